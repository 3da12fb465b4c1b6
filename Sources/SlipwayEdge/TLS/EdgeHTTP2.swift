import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOTLS

/// HTTP/2 on the edge's HTTPS connections (when ALPN chooses `h2`), built around the HTTP/1 machinery rather than
/// beside it. NIO's HTTP/2 handler takes the connection (100 concurrent streams, its flow control and its limits on
/// resets, headers and continuation frames left on); NIO's connection manager closes it when it idles for the
/// client limits' idle time and ends it with GOAWAY on graceful shutdown. Each stream gets the edge's own
/// per-request pipeline: `HTTP2StreamBridge` writes the stream's request as HTTP/1.1 bytes into an
/// `EdgeConnectionHandler` of its own, so routing, the static front, the service relay (HTTP/1.1 upstream) and
/// Hummingbird all run unchanged; the bytes it answers with are read back into response parts, and Hummingbird's
/// answers reach the bridge as parts directly (`HummingbirdResponseDiverter`). WebSocket upgrades stay on HTTP/1.1
/// (RFC 8441's extended CONNECT is not offered).
enum EdgeHTTP2 {
    /// The async channel through which Hummingbird answers one stream (or one HTTP/1 connection).
    typealias StreamChannel = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    /// Puts NIO's HTTP/2 handlers after `edge` (which carries the connection's bytes to them from now on); each
    /// stream's async channel is yielded to `streams`.
    static func configure(
        connection pipeline: ChannelPipeline.SynchronousOperations, on eventLoop: any EventLoop, after edge: EdgeConnectionHandler,
        proxy: ServiceProxy,
        configuration: HTTP1Channel.Configuration, logger: Logger, streams: AsyncStream<StreamChannel>.Continuation
    ) throws {
        let manager = NIOHTTP2ServerConnectionManagementHandler(
            eventLoop: eventLoop,
            configuration: .init(
                maxIdleTime: TimeAmount(proxy.clientLimits.idleTimeout), maxAge: nil, maxGraceTime: .seconds(30), keepalive: nil))
        var connection = NIOHTTP2Handler.ConnectionConfiguration()
        // 100 concurrent streams, header lists up to NIO's default (16 KiB); NIO's limits on resets, continuation
        // frames, control frames and glitches stay at their defaults.
        connection.initialSettings = nioDefaultSettings
        let http2 = NIOHTTP2Handler(
            mode: .server, eventLoop: eventLoop, connectionConfiguration: connection, streamConfiguration: .init(),
            streamDelegate: manager.http2StreamDelegate
        ) { stream in
            stream.eventLoop.makeCompletedFuture {
                let asyncChannel = try setUpStream(stream, proxy: proxy, configuration: configuration, logger: logger)
                if case .terminated = streams.yield(asyncChannel) {
                    // The connection's handling has ended: nobody will serve the stream. Its writer must be finished
                    // before it is released (NIO traps otherwise).
                    asyncChannel.outbound.finish()
                    stream.close(promise: nil)
                }
            }
        }
        try pipeline.addHandler(http2, position: .after(edge))
        try pipeline.addHandler(manager, position: .after(http2))
        try pipeline.addHandler(ConnectionFrameSink(), position: .after(manager))
    }

    /// One stream's pipeline: NIO's conversion to HTTP/1 parts, the bridge to HTTP/1.1 bytes, file regions read into
    /// buffers, the edge's handler (Hummingbird's handlers come after it with the stream's first request for it),
    /// and the async channel that feeds Hummingbird's responder.
    static func setUpStream(
        _ stream: any Channel, proxy: ServiceProxy, configuration: HTTP1Channel.Configuration, logger: Logger
    ) throws -> StreamChannel {
        let pipeline = stream.pipeline.syncOperations
        try pipeline.addHandler(HTTP2FramePayloadToHTTP1ServerCodec())
        let bridge = HTTP2StreamBridge()
        try pipeline.addHandler(bridge)
        try pipeline.addHandler(FileRegionReader())
        let edge = EdgeConnectionHandler(
            proxy: proxy, secure: true, stream: true,
            http1Handlers: { edge, pipeline in
                try addHummingbirdHandlers(after: edge, bridge: bridge, to: pipeline, configuration: configuration, logger: logger)
            })
        try pipeline.addHandler(edge)
        return try StreamChannel(wrappingChannelSynchronously: stream)
    }

    /// Hummingbird's handlers for a stream, as `EdgeHTTP1Channel.addHummingbirdHandlers` adds them for a connection,
    /// except that its response parts go to the bridge as they are instead of through NIO's HTTP/1 encoder.
    static func addHummingbirdHandlers(
        after edge: EdgeConnectionHandler, bridge: HTTP2StreamBridge, to pipeline: ChannelPipeline.SynchronousOperations,
        configuration: HTTP1Channel.Configuration, logger: Logger
    ) throws {
        var handlers: [any ChannelHandler] = [
            ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)),
            HummingbirdResponseDiverter(bridge: bridge), DuplicateHostFilter(), PassedResponseObserver(edge: edge),
        ]
        if let lines = edge.addedResponseLines { handlers.append(AddedResponseHeaders(lines: lines)) }
        handlers.append(HTTP1ToHTTPServerCodec(secure: true))
        handlers += configuration.additionalChannelHandlers()
        handlers.append(HTTPConnectionStateHandler(idleTimeout: configuration.idleTimeout.map { .init($0) }, logger: logger))
        var last: any ChannelHandler = edge
        for handler in handlers {
            try pipeline.addHandler(handler, position: .after(last))
            last = handler
        }
    }
}

/// Drops the connection-level frames NIO's HTTP/2 handlers pass on (settings, pings): the HTTP/1 handlers at the end
/// of the connection's pipeline never see them. An error NIO's HTTP/2 handler reports (it has sent GOAWAY or reset
/// the stream already) closes the connection, as Hummingbird's HTTP/2 server does.
final class ConnectionFrameSink: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTP2Frame

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// Waits for the TLS handshake of an HTTPS connection: when ALPN chose `h2`, the connection's `EdgeConnectionHandler`
/// carries its bytes to NIO's HTTP/2 handlers from then on (`EdgeHTTP2.configure`); otherwise nothing changes. Either
/// way it then leaves the pipeline. The streams' channels go to `streams`, which finishes when the connection is
/// not HTTP/2 or closes.
final class HTTP2Negotiation: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = Any

    private let edge: EdgeConnectionHandler
    private let proxy: ServiceProxy
    private let configuration: HTTP1Channel.Configuration
    private let logger: Logger
    private let streams: AsyncStream<EdgeHTTP2.StreamChannel>.Continuation

    init(
        edge: EdgeConnectionHandler, proxy: ServiceProxy, configuration: HTTP1Channel.Configuration, logger: Logger,
        streams: AsyncStream<EdgeHTTP2.StreamChannel>.Continuation
    ) {
        self.edge = edge
        self.proxy = proxy
        self.configuration = configuration
        self.logger = logger
        self.streams = streams
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard case TLSUserEvent.handshakeCompleted(let negotiated) = event else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        if negotiated == "h2" {
            do {
                edge.carryHTTP2()
                try EdgeHTTP2.configure(
                    connection: context.pipeline.syncOperations, on: context.eventLoop, after: edge, proxy: proxy, configuration: configuration,
                    logger: logger,
                    streams: streams)
                context.channel.closeFuture.whenComplete { [streams] _ in streams.finish() }
            } catch {
                streams.finish()
                context.close(promise: nil)
                return
            }
        } else {
            streams.finish()
        }
        context.fireUserInboundEventTriggered(event)
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        streams.finish()
        context.fireChannelInactive()
    }
}

/// Hands Hummingbird's response parts for an HTTP/2 stream to the stream's bridge (right after NIO's HTTP/1 decoder,
/// where NIO's encoder would be on an HTTP/1 connection): they become HTTP/2 frames without being HTTP/1 bytes first.
final class HummingbirdResponseDiverter: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTPServerResponsePart

    private let bridge: HTTP2StreamBridge

    init(bridge: HTTP2StreamBridge) {
        self.bridge = bridge
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        bridge.writeResponsePart(unwrapOutboundIn(data), promise: promise)
    }
}
