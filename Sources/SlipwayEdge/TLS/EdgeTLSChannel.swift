public import Hummingbird
public import HummingbirdCore
public import Logging
public import NIOCore
import NIOHTTPTypes

/// The edge's HTTPS child channel: `ClientHelloReader` first (it picks the certificate by SNI and puts NIO's TLS
/// handler in its place), then the same pipeline as plain HTTP (`EdgeHTTP1Channel`: the service relay, the static
/// front, Hummingbird), which knows its connections are secure (`X-Forwarded-Proto: https`, HSTS, Hummingbird's
/// `secure` requests).
public struct EdgeTLSChannel: ServerChildChannel, HTTPChannelHandler {
    /// An HTTPS connection: its HTTP/1 async channel, and the async channels of its streams when it speaks HTTP/2
    /// (`EdgeHTTP2`; the sequence ends at once for HTTP/1.1, or when the connection closes).
    public struct Value: ServerChildChannelValue {
        let http1: EdgeHTTP1Channel.Value
        let http2Streams: AsyncStream<NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>>
        /// The connection.
        public var channel: any Channel { http1.channel }
    }

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

    /// The hello reader, then the HTTP pipeline of `EdgeHTTP1Channel` with `FileRegionReader` in front of its edge
    /// handler (TLS cannot `sendfile`) and `HTTP2Negotiation` after it (it switches the connection to HTTP/2 when
    /// ALPN chose `h2`).
    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(
                ClientHelloReader(certificates: https.certificates, challenges: base.proxy.acmeChallenges))
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }.flatMapThrowing { http1 in
            let pipeline = channel.pipeline.syncOperations
            let edge = try pipeline.handler(type: EdgeConnectionHandler.self)
            let (streams, continuation) = AsyncStream.makeStream(of: NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>.self)
            try pipeline.addHandler(FileRegionReader(), position: .before(edge))
            try pipeline.addHandler(
                HTTP2Negotiation(edge: edge, proxy: base.proxy, configuration: base.configuration, logger: logger, streams: continuation),
                position: .after(edge))
            return Value(http1: http1, http2Streams: streams)
        }
    }

    /// Runs the responder for the requests that reach Hummingbird: those of the connection, or of each of its HTTP/2
    /// streams.
    public func handle(value: Value, logger: Logger) async {
        await withDiscardingTaskGroup { group in
            group.addTask { await base.handle(value: value.http1, logger: logger) }
            for await stream in value.http2Streams {
                group.addTask { await base.handleHTTP(asyncChannel: stream, logger: logger) }
            }
        }
    }
}

extension HTTPServerBuilder {
    /// An HTTPS server whose certificates `https` gives per connection, otherwise as `edge(proxy:)`.
    public static func edgeTLS(proxy: ServiceProxy, https: EdgeHTTPS, configuration: HTTP1Channel.Configuration = .init()) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in EdgeTLSChannel(responder: responder, proxy: proxy, https: https, configuration: configuration) }
    }
}
