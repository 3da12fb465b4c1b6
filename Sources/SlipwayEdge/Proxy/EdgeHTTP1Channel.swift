import Hummingbird
public import HummingbirdCore
public import Logging
public import NIOCore
import NIOHTTP1
public import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// Hummingbird's HTTP/1 child channel with the edge's `EdgeConnectionHandler` in front: the same pipeline as
/// `HTTP1Channel` (NIO's server codecs, the conversion to HTTPTypes, the connection state, the async channel that
/// feeds the responder), with the edge's handler before NIO's codecs. It reads each request head off the wire,
/// relays service requests as bytes and passes the others on; `PassedResponseObserver` tells it when Hummingbird's
/// answer to one of those has ended. Hummingbird's handlers are added with the connection's first request for it.
public struct EdgeHTTP1Channel: ServerChildChannel, HTTPChannelHandler {
    /// A connection's async channel, which feeds the responder, and what closes it if it is never served.
    public struct Value: ServerChildChannelValue {
        let asyncChannel: NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>
        let unserved: UnservedConnectionCloser
        /// The connection.
        public var channel: any Channel { asyncChannel.channel }

        init(_ asyncChannel: NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>) {
            self.asyncChannel = asyncChannel
            self.unserved = UnservedConnectionCloser(asyncChannel)
        }
    }

    /// The responder every request that is not proxied goes to.
    public let responder: HTTPChannelHandler.Responder
    /// Hummingbird's HTTP/1 settings (its additional handlers come after the proxy handler).
    public let configuration: HTTP1Channel.Configuration
    let proxy: ServiceProxy
    /// Whether the connections come in over TLS (`EdgeTLSChannel` puts its handlers in front).
    let isSecure: Bool

    /// Creates the channel; `proxy` takes the requests for services.
    public init(responder: @escaping HTTPChannelHandler.Responder, proxy: ServiceProxy, configuration: HTTP1Channel.Configuration = .init()) {
        self.init(responder: responder, proxy: proxy, configuration: configuration, secure: false)
    }

    init(responder: @escaping HTTPChannelHandler.Responder, proxy: ServiceProxy, configuration: HTTP1Channel.Configuration, secure: Bool) {
        self.responder = responder
        self.proxy = proxy
        self.configuration = configuration
        self.isSecure = secure
    }

    /// Sets up a client connection's pipeline: the edge's handler, then the async channel that feeds the responder.
    /// Hummingbird's HTTP/1 handlers go in between when the connection's first request for Hummingbird comes:
    /// a connection that only carries proxied requests never runs through them.
    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let edge = proxy.makeHandler(
                secure: isSecure,
                http1Handlers: { [configuration] edge, pipeline in
                    try Self.addHummingbirdHandlers(after: edge, to: pipeline, configuration: configuration, logger: logger)
                })
            try channel.pipeline.syncOperations.addHandler(edge)
            return Value(try NIOAsyncChannel(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true)))
        }
    }

    /// Hummingbird's HTTP/1 pipeline, as `HTTP1Channel` has it (NIO's server codecs, the conversion to HTTPTypes,
    /// its additional handlers, the connection state), right after `edge`, with `PassedResponseObserver` after
    /// NIO's codecs.
    static func addHummingbirdHandlers(
        after edge: EdgeConnectionHandler, to pipeline: ChannelPipeline.SynchronousOperations,
        configuration: HTTP1Channel.Configuration, logger: Logger
    ) throws {
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderFieldSize = configuration.httpDecoder.maxHeaderFieldSize
        limits.maxHeaderListSize = configuration.httpDecoder.maxHeaderListSize
        limits.maxHeaderFieldCount = configuration.httpDecoder.maxHeaderFieldCount
        try pipeline.configureHTTPServerPipeline(
            position: .after(edge),
            withPipeliningAssistance: false,
            withErrorHandling: false,
            withOutboundHeaderValidation: false,
            withEncoderConfiguration: .init(),
            withDecoderLimitConfiguration: limits
        )
        var last: any ChannelHandler = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
        var handlers: [any ChannelHandler] = [DuplicateHostFilter(), PassedResponseObserver(edge: edge)]
        if let lines = edge.addedResponseLines { handlers.append(AddedResponseHeaders(lines: lines)) }
        handlers.append(HTTP1ToHTTPServerCodec(secure: edge.isSecure))
        handlers += configuration.additionalChannelHandlers()
        handlers.append(HTTPConnectionStateHandler(idleTimeout: configuration.idleTimeout.map { .init($0) }, logger: logger))
        for handler in handlers {
            try pipeline.addHandler(handler, position: .after(last))
            last = handler
        }
    }

    /// Runs the responder for the requests that reach Hummingbird.
    public func handle(value: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: value.asyncChannel, logger: logger)
    }
}

/// Finishes and closes a connection's async channel when the last copy of its value goes. Served, that is after
/// Hummingbird's handling, which has finished and closed it already. Unserved, it is the only way out: a connection
/// accepted as the server stops can be dropped by the server's loop before anything runs it (apple/swift-nio#2637),
/// and NIO traps when the writer of an async channel is released unfinished ("Deinited NIOAsyncWriter without
/// calling finish()"), which took the whole process down.
final class UnservedConnectionCloser: Sendable {
    private let asyncChannel: NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    init(_ asyncChannel: NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>) {
        self.asyncChannel = asyncChannel
    }

    deinit {
        asyncChannel.outbound.finish()
        asyncChannel.channel.close(promise: nil)
    }
}

/// Tells the connection's `EdgeConnectionHandler` when Hummingbird has written the end of a response (the next
/// request may then start), or the head of a `101 Switching Protocols`, right after NIO's HTTP/1 codecs.
final class PassedResponseObserver: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let edge: EdgeConnectionHandler

    init(edge: EdgeConnectionHandler) {
        self.edge = edge
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let part = unwrapOutboundIn(data)
        let isEnd = if case .end = part { true } else { false }
        context.write(data, promise: promise)
        if case .head(let head) = part, head.status == .switchingProtocols {
            // An upgrade answered by the API itself (a WebSocket whose frames are the body): the edge reads the
            // client's frames from now on.
            edge.passedResponseSwitchedProtocols()
        }
        if isEnd {
            // Not inside Hummingbird's write: the next request may start at once, and pass its bytes inbound.
            context.eventLoop.assumeIsolated().execute { [edge] in edge.passedResponseEnded() }
        }
    }
}

/// Adds the edge's header lines (HSTS over HTTPS) to the heads of Hummingbird's responses, as the edge's own answers
/// carry them.
final class AddedResponseHeaders: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let fields: [(String, String)]

    /// `lines`: whole header lines, `Name: value\r\n` each.
    init(lines: ByteBuffer) {
        fields = String(buffer: lines).split(separator: "\r\n").compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), String(line[line.index(after: colon)...].drop { $0 == " " }))
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .head(var head) = unwrapOutboundIn(data) else {
            context.write(data, promise: promise)
            return
        }
        for (name, value) in fields { head.headers.replaceOrAdd(name: name, value: value) }
        context.write(wrapOutboundOut(.head(head)), promise: promise)
    }
}

extension HTTPServerBuilder {
    /// An HTTP/1 server whose service requests `proxy` relays at the NIO level (see `EdgeHTTP1Channel`).
    public static func edge(proxy: ServiceProxy, configuration: HTTP1Channel.Configuration = .init()) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in EdgeHTTP1Channel(responder: responder, proxy: proxy, configuration: configuration) }
    }
}
