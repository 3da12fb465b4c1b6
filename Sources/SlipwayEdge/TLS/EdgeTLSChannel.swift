public import Hummingbird
public import HummingbirdCore
public import Logging
public import NIOCore
public import NIOHTTPTypes

/// The edge's HTTPS child channel: `ClientHelloReader` first (it picks the certificate by SNI and puts NIO's TLS
/// handler in its place), then the same pipeline as plain HTTP (`EdgeHTTP1Channel`: the service relay, the static
/// front, Hummingbird), which knows its connections are secure (`X-Forwarded-Proto: https`, HSTS, Hummingbird's
/// `secure` requests).
public struct EdgeTLSChannel: ServerChildChannel, HTTPChannelHandler {
    public typealias Value = EdgeHTTP1Channel.Value

    let base: EdgeHTTP1Channel
    let https: EdgeHTTPS

    /// The responder every request that is not proxied goes to.
    public var responder: HTTPChannelHandler.Responder { base.responder }

    /// Creates the channel; `proxy` takes the requests for services, its `https` settings give the certificates.
    public init(
        responder: @escaping HTTPChannelHandler.Responder, proxy: ServiceProxy, https: EdgeHTTPS,
        configuration: HTTP1Channel.Configuration = .init()
    ) {
        self.base = EdgeHTTP1Channel(responder: responder, proxy: proxy, configuration: configuration, secure: true)
        self.https = https
    }

    /// The hello reader, then the HTTP pipeline of `EdgeHTTP1Channel`.
    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(
                ClientHelloReader(certificates: https.certificates, challenges: base.proxy.acmeChallenges))
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    /// Runs the responder for the requests that reach Hummingbird.
    public func handle(value asyncChannel: Value, logger: Logger) async {
        await base.handle(value: asyncChannel, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// An HTTPS server whose certificates `https` gives per connection, otherwise as `edge(proxy:)`.
    public static func edgeTLS(proxy: ServiceProxy, https: EdgeHTTPS, configuration: HTTP1Channel.Configuration = .init()) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in EdgeTLSChannel(responder: responder, proxy: proxy, https: https, configuration: configuration) }
    }
}
