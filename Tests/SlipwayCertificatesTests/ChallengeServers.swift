import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import SlipwayCertificates
import Synchronization

/// The answers the test's challenge servers serve, shared by both; an `ACMEChallengeResponder` for the client.
final class ChallengeAnswers: ACMEChallengeResponder {
    private let answers = Mutex<[String: ACMEChallengeAnswer]>([:])
    /// When set, HTTP-01 answers this instead of the key authorization (a responder that gets it wrong).
    let wrongKeyAuthorization: String?
    /// Every answer presented and cleaned up, in order (`present NAME TYPE`, `cleanUp NAME TYPE`).
    let events = Mutex<[String]>([])

    init(wrongKeyAuthorization: String? = nil) {
        self.wrongKeyAuthorization = wrongKeyAuthorization
    }

    func present(_ answer: ACMEChallengeAnswer) async throws {
        answers.withLock { $0[Self.key(answer)] = answer }
        events.withLock { $0.append("present \(answer.name) \(answer.type.rawValue)") }
    }

    func cleanUp(_ answer: ACMEChallengeAnswer) async throws {
        answers.withLock { $0[Self.key(answer)] = nil }
        events.withLock { $0.append("cleanUp \(answer.name) \(answer.type.rawValue)") }
    }

    /// The body for `GET /.well-known/acme-challenge/<token>`.
    func httpBody(token: String) -> String? {
        answers.withLock { answers in
            for answer in answers.values {
                if case .http01(token, let keyAuthorization) = answer.content { return wrongKeyAuthorization ?? keyAuthorization }
            }
            return nil
        }
    }

    /// The challenge certificate for SNI `name`.
    func tlsCertificate(name: String) -> TLSALPNChallengeCertificate? {
        answers.withLock { answers in
            if case .tlsALPN01(let certificate) = answers["\(name) tls-alpn-01"]?.content { return certificate }
            return nil
        }
    }

    private static func key(_ answer: ACMEChallengeAnswer) -> String {
        switch answer.content {
        case .http01(let token, _): return "http \(token)"
        case .tlsALPN01: return "\(answer.name) tls-alpn-01"
        }
    }
}

/// An HTTP/1.1 server on 127.0.0.1 answering HTTP-01 challenges from `ChallengeAnswers`.
struct HTTPChallengeServer {
    let channel: any Channel
    var port: Int { channel.localAddress?.port ?? 0 }

    static func start(answers: ChallengeAnswers) async throws -> HTTPChallengeServer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(HTTPChallengeHandler(answers: answers))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return HTTPChallengeServer(channel: channel)
    }

    func stop() async {
        try? await channel.close()
    }
}

private final class HTTPChallengeHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let answers: ChallengeAnswers

    init(answers: ChallengeAnswers) {
        self.answers = answers
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let head) = unwrapInboundIn(data) else { return }
        let prefix = "/.well-known/acme-challenge/"
        let body = head.uri.hasPrefix(prefix) ? answers.httpBody(token: String(head.uri.dropFirst(prefix.count))) : nil
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain")
        headers.add(name: "Content-Length", value: "\(body?.utf8.count ?? 0)")
        headers.add(name: "Connection", value: "close")
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: body == nil ? .notFound : .ok, headers: headers))), promise: nil)
        if let body { context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
    }
}

/// A TLS server on 127.0.0.1 answering TLS-ALPN-01: for SNI NAME it serves the challenge certificate of NAME and
/// negotiates ALPN `acme-tls/1`.
struct TLSALPNChallengeServer {
    let channel: any Channel
    var port: Int { channel.localAddress?.port ?? 0 }

    static func start(answers: ChallengeAnswers) async throws -> TLSALPNChallengeServer {
        // Every connection gets the certificate of its SNI name; this placeholder is only the context's default.
        let placeholder = try SelfSignedCertificate.make(names: ["placeholder.invalid"])
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(placeholder.certificatePEM.utf8)).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(placeholder.privateKeyPEM.utf8), format: .pem))
        )
        tls.applicationProtocols = [TLSALPNChallengeCertificate.applicationProtocol]
        tls.sslContextCallback = { values, promise in
            guard let name = values.serverHostname, let certificate = answers.tlsCertificate(name: name) else {
                promise.succeed(.noChanges)
                return
            }
            do {
                var override = NIOSSLContextConfigurationOverride()
                override.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(certificate.certificatePEM.utf8)).map { .certificate($0) }
                override.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(certificate.privateKeyPEM.utf8), format: .pem))
                promise.succeed(override)
            } catch {
                promise.fail(error)
            }
        }
        let context = try NIOSSLContext(configuration: tls)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // The CA closes the connection once the handshake has shown the certificate; nothing is read.
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return TLSALPNChallengeServer(channel: channel)
    }

    func stop() async {
        try? await channel.close()
    }
}
