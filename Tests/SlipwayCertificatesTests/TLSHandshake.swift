import NIOCore
import NIOPosix
import NIOSSL

/// Serves a certificate chain and key over TLS on 127.0.0.1 as the edge will; says `ok` to each client once the
/// handshake is done (application data cannot flow before it).
struct TLSBundleServer {
    let channel: any Channel
    var port: Int { channel.localAddress?.port ?? 0 }

    static func start(chainPEM: String, privateKeyPEM: String) async throws -> TLSBundleServer {
        let tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(chainPEM.utf8)).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(privateKeyPEM.utf8), format: .pem))
        )
        let context = try NIOSSLContext(configuration: tls)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    try channel.pipeline.syncOperations.addHandler(Greeter())
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return TLSBundleServer(channel: channel)
    }

    func stop() async {
        try? await channel.close()
    }
}

/// Connects to 127.0.0.1:`port` sending SNI `serverName`, trusting only `rootPEM`, and completes a TLS handshake
/// (certificate chain and host name verified by BoringSSL) by reading the server's `ok`; throws when it fails.
func tlsHandshake(port: Int, serverName: String, trustingRootPEM rootPEM: String) async throws {
    var tls = TLSConfiguration.makeClientConfiguration()
    tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(rootPEM.utf8)))
    let context = try NIOSSLContext(configuration: tls)
    let group = MultiThreadedEventLoopGroup.singleton
    let handshake = group.any().makePromise(of: Void.self)
    let channel = try await ClientBootstrap(group: group)
        .channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: serverName))
                try channel.pipeline.syncOperations.addHandler(HandshakeWatcher(promise: handshake))
            }
        }
        .connect(host: "127.0.0.1", port: port).get()
    do {
        try await handshake.futureResult.get()
    } catch {
        try? await channel.close()
        throw error
    }
    try? await channel.close()
}

private final class Greeter: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "ok")), promise: nil)
        context.fireChannelActive()
    }
}

private final class HandshakeWatcher: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let promise: EventLoopPromise<Void>

    init(promise: EventLoopPromise<Void>) {
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        promise.succeed(())
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(ChannelError.eof)
        context.fireChannelInactive()
    }
}
