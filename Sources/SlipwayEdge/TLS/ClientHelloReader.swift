import NIOCore
import NIOSSL
import NIOTLS

/// The first handler of an HTTPS connection: it reads the client's ClientHello (without consuming it), chooses the
/// certificate by its server name and offered protocols, then puts a `NIOSSLServerHandler` for that certificate in
/// its place and hands it the bytes read so far. A hello that is garbled, too long or not TLS closes the connection;
/// a name no source has a certificate for, with no default certificate, is refused with a fatal `unrecognized_name`
/// alert. A hello that offers exactly `acme-tls/1` is an ACME TLS-ALPN-01 validation: it gets the challenge
/// certificate registered for its name (or the alert), and the connection closes once the handshake is done.
final class ClientHelloReader: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// The most bytes read before a hello must be complete: its longest message in records of one byte would be
    /// longer, but no client sends that.
    static let maximumBuffered = ClientHello.maximumLength + 4 * 5 + 4

    private let certificates: any TLSCertificateSource
    private let challenges: ACMEChallenges?
    private var buffered: ByteBuffer?
    private var isDone = false

    init(certificates: any TLSCertificateSource, challenges: ACMEChallenges?) {
        self.certificates = certificates
        self.challenges = challenges
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !isDone else { return }
        var bytes = unwrapInboundIn(data)
        if buffered == nil { buffered = bytes } else { buffered!.writeBuffer(&bytes) }
        guard let buffered else { return }
        switch ClientHello.scan(buffered) {
        case .incomplete:
            if buffered.readableBytes > Self.maximumBuffered { refuse(context, alert: nil) }
        case .invalid:
            refuse(context, alert: nil)
        case .complete(let hello):
            choose(hello, context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        buffered = nil
        isDone = true
        context.fireChannelInactive()
    }

    /// The certificate for `hello`, then the TLS handler in this one's place.
    private func choose(_ hello: ClientHello, context: ChannelHandlerContext) {
        let certificate: EdgeCertificate?
        let isChallenge = hello.applicationProtocols == ["acme-tls/1"]
        if isChallenge {
            certificate = hello.serverName.flatMap { challenges?.tlsALPN01Certificate(domain: $0) }
        } else {
            certificate =
                certificates.certificate(forServerName: hello.serverName, applicationProtocols: hello.applicationProtocols)
                ?? certificates.defaultCertificate
        }
        guard let certificate else {
            refuse(context, alert: Self.unrecognizedName)
            return
        }
        isDone = true
        let tls = NIOSSLServerHandler(context: certificate.context)
        do {
            let pipeline = context.pipeline.syncOperations
            try pipeline.addHandler(tls, position: .after(self))
            if isChallenge { try pipeline.addHandler(ChallengeHandshakeCloser(), position: .after(tls)) }
        } catch {
            context.close(promise: nil)
            return
        }
        if let buffered {
            self.buffered = nil
            context.fireChannelRead(wrapInboundOut(buffered))
            context.fireChannelReadComplete()
        }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    /// Closes the connection, after a fatal alert when one is given.
    private func refuse(_ context: ChannelHandlerContext, alert: [UInt8]?) {
        isDone = true
        buffered = nil
        guard let alert else {
            context.close(promise: nil)
            return
        }
        context.writeAndFlush(NIOAny(ByteBuffer(bytes: alert))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    /// A TLS record holding a fatal alert `unrecognized_name` (RFC 8446 §6.2, alert 112), readable by TLS 1.2 and 1.3
    /// clients before any handshake.
    static let unrecognizedName: [UInt8] = [21, 3, 3, 0, 2, 2, 112]
}

/// Ends a TLS-ALPN-01 validation's connection once its handshake is done: nothing is served on it.
final class ChallengeHandshakeCloser: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Whatever the validator sends after the handshake is not for the edge.
    }
}
