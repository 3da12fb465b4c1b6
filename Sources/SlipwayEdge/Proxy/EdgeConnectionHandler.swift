import NIOCore
import NIOHTTP1
import SlipwayCore

/// The first handler of every client connection of the edge. It reads each request head off the wire itself and
/// decides where the request goes:
/// - its single `Host` routes to a service deployment: the request is relayed to the service's process as bytes,
///   over a pooled upstream connection (`ProxyExchange`), and the response comes back the same way — no HTTP
///   decoding or encoding beyond the heads' framing and their hop-by-hop lines;
/// - anything else (API, static sites, unknown hosts): the request's bytes go on to NIO's HTTP decoder and
///   Hummingbird, and the next request waits until Hummingbird's response has ended (`PassedResponseObserver`);
/// - a head the edge does not read itself (malformed, ambiguous framing, `CONNECT`): from then on every byte of the
///   connection goes to NIO's decoder, which answers it as it always does.
///
/// One request at a time: once a request has been read whole, the client is not read again until its response has
/// been sent. While the upstream cannot take more of a request body the client is not read; while the client cannot
/// take more of a response the upstream is not read. Every exchange that `ServiceEndpoints.beginRequest` started
/// ends exactly once, however it ends.
public final class EdgeConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    private enum State {
        /// Between requests: the next head is read from `input`.
        case idle
        /// A request for Hummingbird: its head has gone on, `body` is what is left of it to pass on. The next
        /// request waits until Hummingbird's response has ended too.
        case passing(body: BodyFraming, responseEnded: Bool)
        /// A request relayed to a service process.
        case proxying(ProxyExchange)
        /// A request already answered here (an error page): the rest of its body is dropped.
        case discarding(BodyFraming)
        /// A protocol upgrade passed through: the connection belongs to an `UpgradeTunnel` from now on.
        case tunneling
        /// The connection closes after what has been written: nothing more is read.
        case closing
        /// Everything goes to NIO's decoder and Hummingbird from now on.
        case handedOver
    }

    /// The longest head the edge reads itself; a longer one is left to NIO's decoder and its limits.
    static let maximumHeadLength = 64 << 10

    private let proxy: ServiceProxy
    private var state = State.idle
    /// Bytes read from the client and not yet passed on.
    private var input: ByteBuffer?
    private var context: ChannelHandlerContext?
    private var pool: UpstreamConnectionPool?
    private var readPending = false
    /// Between a batch's first `channelRead` and its `channelReadComplete` (which flushes and passes the batch on).
    private var inReadBatch = false
    private var isProcessing = false
    private var processAgain = false
    /// Whether bytes went on to NIO's decoder since the last `channelReadComplete` passed on (only then does one
    /// go on: the handlers behind have nothing to do with the reads of proxied requests).
    private var passedUnannounced = false
    /// One timer for the response heads of all exchanges on this connection, re-armed when it fires early
    /// (scheduling and cancelling one per exchange costs more than the rest of the exchange's bookkeeping).
    private var headTimer: Scheduled<Void>?
    /// The client's IP address, read once per connection.
    private lazy var clientAddress: String? = context?.channel.remoteAddress?.ipAddress
    /// Graceful shutdown asked, or the client closed its side, while an exchange ran: the connection closes once
    /// it has ended.
    fileprivate private(set) var closesAfterExchange = false
    /// The last `Host` value looked up, its route key and target, and the route table's version then: a connection
    /// asks for one host over and over, and the answer holds until the table changes.
    private var lastRoute: (host: [UInt8], version: Int, key: String?, target: RouteTarget?)?

    /// Adds Hummingbird's HTTP/1 handlers after this one; nil once they are there.
    private var http1Handlers: ((EdgeConnectionHandler, ChannelPipeline.SynchronousOperations) throws -> Void)?

    init(proxy: ServiceProxy, http1Handlers: @escaping (EdgeConnectionHandler, ChannelPipeline.SynchronousOperations) throws -> Void) {
        self.proxy = proxy
        self.http1Handlers = http1Handlers
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.pool = proxy.pool(on: context.eventLoop)
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        headTimer?.cancel()
        headTimer = nil
        abortExchange()
        self.context = nil
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch state {
        case .handedOver:
            passedUnannounced = true
            context.fireChannelRead(data)
            return
        case .closing:
            return
        default:
            break
        }
        inReadBatch = true
        var bytes = unwrapInboundIn(data)
        if input == nil || input?.readableBytes == 0 {
            input = bytes
        } else {
            input?.writeBuffer(&bytes)
        }
        process()
    }

    public func channelReadComplete(context: ChannelHandlerContext) {
        inReadBatch = false
        if case .proxying(let exchange) = state { exchange.upstream?.flush() }
        if passedUnannounced {
            passedUnannounced = false
            context.fireChannelReadComplete()
        }
    }

    public func channelWritabilityChanged(context: ChannelHandlerContext) {
        if case .proxying(let exchange) = state, context.channel.isWritable { exchange.upstream?.resumeReading() }
        context.fireChannelWritabilityChanged()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        abortExchange()
        state = .closing
        context.fireChannelInactive()
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent || (event as? ChannelEvent) == .inputClosed {
            switch state {
            case .proxying, .discarding:
                // Hummingbird would close the connection now; the exchange finishes first.
                closesAfterExchange = true
                return
            default:
                if http1Handlers != nil {
                    // Hummingbird has not seen this connection (its connection state would close it): closed here.
                    close(context)
                    return
                }
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// Reads go on while a response is awaited (a client that does not pipeline sends nothing meanwhile, and
    /// holding reads back costs two `epoll_ctl` calls per request) until `maximumHeadLength` bytes wait unread.
    public func read(context: ChannelHandlerContext) {
        let piledUp = (input?.readableBytes ?? 0) > Self.maximumHeadLength
        switch state {
        case .proxying(let exchange) where exchange.requestEnded ? piledUp : !(exchange.upstream?.isWritable ?? false):
            readPending = true
        case .passing(let body, _) where body.isComplete && piledUp:
            readPending = true
        case .tunneling, .closing:
            // A tunnel's relay reads for itself.
            readPending = true
        default:
            context.read()
        }
    }

    // MARK: - Requests

    /// Moves through `input` as far as the current state allows: heads, bodies, the next request.
    private func process() {
        guard let context else { return }
        if isProcessing {
            processAgain = true
            return
        }
        isProcessing = true
        repeat {
            processAgain = false
            step(context)
        } while processAgain
        isProcessing = false
        if input?.readableBytes == 0 { input = nil }
        if !inReadBatch {
            // Work done outside a read (a pipelined request taken up after a response): flushed here.
            if case .proxying(let exchange) = state { exchange.upstream?.flush() }
            if passedUnannounced {
                passedUnannounced = false
                context.fireChannelReadComplete()
            }
        }
    }

    private func step(_ context: ChannelHandlerContext) {
        while true {
            switch state {
            case .idle:
                if closesAfterExchange {
                    // The server is shutting down, or the client closed its side, while the last exchange ran.
                    close(context)
                    return
                }
                guard let bytes = input, bytes.readableBytes > 0 else { return }
                switch RequestHead.scan(bytes) {
                case .incomplete:
                    if bytes.readableBytes > Self.maximumHeadLength { handOver(context) }
                    return
                case .invalid:
                    handOver(context)
                    return
                case .complete(let head):
                    guard let headBytes = input?.readSlice(length: head.length) else { return }
                    start(head, headBytes: headBytes, context: context)
                }
            case .passing(var body, let responseEnded):
                if !body.isComplete {
                    do {
                        guard input != nil, let slice = try body.take(from: &input!) else { return }
                        state = .passing(body: body, responseEnded: responseEnded)
                        pass(slice, context: context)
                    } catch {
                        handOver(context)
                        return
                    }
                } else {
                    guard responseEnded else { return }
                    state = .idle
                }
            case .proxying(let exchange):
                guard !exchange.requestEnded else { return }
                do {
                    guard input != nil, let slice = try exchange.requestBody.take(from: &input!) else { return }
                    exchange.send(slice)
                    if exchange.requestBody.isComplete { endRequest(of: exchange) }
                } catch {
                    exchange.abort()
                    close(context)
                    return
                }
            case .discarding(var body):
                do {
                    guard input != nil, try body.take(from: &input!) != nil else { return }
                } catch {
                    close(context)
                    return
                }
                state = body.isComplete ? .idle : .discarding(body)
            case .tunneling, .closing, .handedOver:
                return
            }
        }
    }

    /// Takes a request whose head has been read: to a service, or on to Hummingbird.
    private func start(_ head: RequestHead, headBytes: ByteBuffer, context: ChannelHandlerContext) {
        guard !head.isCONNECT, let body = head.bodyFraming else {
            var unread = headBytes
            if var rest = input { unread.writeBuffer(&rest) }
            input = unread
            handOver(context)
            return
        }
        if head.hostCount == 1, let host = head.host, let (target, key) = serviceTarget(headBytes, host) {
            startExchange(head, headBytes: headBytes, body: body, target: target, key: key, context: context)
        } else {
            state = .passing(body: body, responseEnded: false)
            pass(headBytes, context: context)
        }
    }

    /// The service route a `Host` value names, if it does, with its route key.
    private func serviceTarget(_ headBytes: ByteBuffer, _ host: Range<Int>) -> (RouteTarget, String)? {
        let version = proxy.routes.version
        let (key, target) = headBytes.withUnsafeReadableBytes { bytes -> (String?, RouteTarget?) in
            let value = UnsafeRawBufferPointer(rebasing: bytes[host])
            if let lastRoute, lastRoute.version == version, lastRoute.host.elementsEqual(value) { return (lastRoute.key, lastRoute.target) }
            let key = EdgeHost.routeKey(of: String(decoding: value, as: UTF8.self), domain: proxy.domain)
            let target = key.flatMap(proxy.routes.target(for:))
            lastRoute = (Array(value), version, key, target)
            return (key, target)
        }
        guard let key, let target, target.kind == .service else { return nil }
        return (target, key)
    }

    /// Relays a request to its service: an error page when the process does not run, a tunnel for an upgrade,
    /// else an exchange over a pooled connection.
    private func startExchange(
        _ head: RequestHead, headBytes: ByteBuffer, body: BodyFraming, target: RouteTarget, key: String, context: ChannelHandlerContext
    ) {
        var deploymentID = target.deploymentID
        var port = proxy.endpoints.beginRequest(to: deploymentID)
        if port == nil, let current = proxy.routes.target(for: key), current.deploymentID != deploymentID, current.kind == .service {
            // The route switched while this request was on its way and the old process is already draining:
            // the new one answers it.
            deploymentID = current.deploymentID
            port = proxy.endpoints.beginRequest(to: deploymentID)
        }
        guard let port, pool != nil else {
            answer(
                .badGateway, html: EdgePage.serviceNotRunning(host: proxy.hostName(key)), to: head, remainingBody: body,
                closing: head.asksForUpgrade)
            return
        }
        if head.asksForUpgrade {
            let inFlight = InFlightRequest(endpoints: proxy.endpoints, deploymentID: deploymentID)
            startTunnel(head, headBytes: headBytes, port: port, inFlight: inFlight, key: key, context: context)
            return
        }
        let exchange = ProxyExchange(
            handler: self, request: head, routeKey: key, port: port, requestBody: body, endpoints: proxy.endpoints,
            deploymentID: deploymentID, responseHeadTimeout: TimeAmount(proxy.configuration.responseHeadTimeout))
        state = .proxying(exchange)
        // A pooled connection comes at once; a new one later (it then flushes what was sent meanwhile).
        connect(exchange, fresh: false)
        // Connecting may fail at once: the request has then been answered (502) already.
        guard !exchange.isOver else { return }
        exchange.send(ProxyHeaders.upstreamRequest(headBytes, head, clientAddress: clientAddress), isHead: true)
        if head.expectsContinue && !head.isHTTP10 && !body.isComplete {
            // The edge reads the body as it comes; the process never sees the `Expect`.
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(staticString: "HTTP/1.1 100 Continue\r\n\r\n")), promise: nil)
        }
        if body.isComplete { endRequest(of: exchange) }
    }

    /// Gets `exchange` a connection to its port: an idle one from the pool (unless `fresh`; what is written on it
    /// is flushed at the end of the read, or of `process()`), else a new one.
    fileprivate func connect(_ exchange: ProxyExchange, fresh: Bool) {
        guard let pool else { return }
        if !fresh, let connection = pool.idleConnection(to: exchange.port) {
            exchange.attach(connection, flush: false)
            return
        }
        pool.newConnection(to: exchange.port) { [self, exchange] result in
            guard case .proxying(let current) = state, current === exchange, !exchange.isOver else {
                // The client left while connecting: the new connection is not needed now, but can serve the next.
                if case .success(let connection) = result { pool.release(connection, reusable: true) }
                return
            }
            switch result {
            case .success(let connection):
                exchange.attach(connection, flush: true)
                if readPending, !exchange.requestEnded, connection.isWritable {
                    readPending = false
                    context?.read()
                }
            case .failure:
                exchange.failBeforeResponse(.badGateway, html: EdgePage.upstreamUnavailable(host: proxy.hostName(exchange.routeKey)))
            }
        }
    }

    /// The exchange's request has been read whole: the wait for its response head starts.
    private func endRequest(of exchange: ProxyExchange) {
        exchange.requestEnded = true
        exchange.startResponseTimer()
    }

    /// Passes a protocol upgrade through to the process: its head with `Connection: Upgrade` and `Upgrade` kept, then
    /// raw bytes both ways. The request stays in flight (a drain waits for it) until either side closes.
    private func startTunnel(
        _ head: RequestHead, headBytes: ByteBuffer, port: Int, inFlight: InFlightRequest, key: String, context: ChannelHandlerContext
    ) {
        let upstreamHead = ProxyHeaders.upstreamRequest(headBytes, head, clientAddress: clientAddress, keepingUpgrade: true)
        state = .tunneling
        let request = { [weak self] () -> ByteBuffer in
            var request = upstreamHead
            if var rest = self?.input {
                request.writeBuffer(&rest)
                self?.input = nil
            }
            return request
        }
        UpgradeTunnel.open(client: context, port: port, request: request, onEnd: { inFlight.end() })
            .assumeIsolated()
            .whenFailure { [weak self] _ in
                inFlight.end()
                guard let self else { return }
                self.answer(
                    .badGateway, html: EdgePage.upstreamUnavailable(host: self.proxy.hostName(key)), to: head,
                    remainingBody: .length(0), closing: true)
            }
    }

    /// Sends bytes of a request on to NIO's decoder.
    private func pass(_ bytes: ByteBuffer, context: ChannelHandlerContext) {
        guard addHummingbird(context) else { return }
        passedUnannounced = true
        context.fireChannelRead(wrapInboundOut(bytes))
    }

    /// Adds Hummingbird's HTTP/1 handlers after this one, unless they are there; false (and the connection closes)
    /// when they cannot be added.
    private func addHummingbird(_ context: ChannelHandlerContext) -> Bool {
        guard let http1Handlers else { return true }
        self.http1Handlers = nil
        do {
            try http1Handlers(self, context.pipeline.syncOperations)
            return true
        } catch {
            close(context)
            return false
        }
    }

    /// Leaves the connection to NIO's decoder and Hummingbird: what has been read but not passed on goes first.
    private func handOver(_ context: ChannelHandlerContext) {
        guard addHummingbird(context) else { return }
        state = .handedOver
        if let rest = input, rest.readableBytes > 0 { pass(rest, context: context) }
        input = nil
        resumeReading()
    }

    /// Writes an error page of the edge's for the request `head`, keeping the connection as the client asked.
    private func answer(
        _ status: HTTPResponseStatus, html: String, to head: RequestHead, remainingBody: BodyFraming, closing: Bool = false
    ) {
        guard let context else { return }
        let closes = closing || !head.keepAlive || closesAfterExchange
        var page = ByteBuffer()
        let body = ByteBuffer(string: html)
        page.writeString("HTTP/1.1 \(status.code) \(status.reasonPhrase)\r\n")
        page.writeStaticString("Content-Type: text/html; charset=utf-8\r\nCache-Control: no-store\r\n")
        page.writeString("Content-Length: \(body.readableBytes)\r\n")
        if closes {
            page.writeStaticString("Connection: close\r\n")
        } else if head.isHTTP10 {
            page.writeStaticString("Connection: keep-alive\r\n")
        }
        page.writeStaticString("\r\n")
        if !head.isHEAD { page.writeImmutableBuffer(body) }
        context.write(wrapOutboundOut(page), promise: nil)
        if closes {
            close(context)
        } else {
            context.flush()
            state = remainingBody.isComplete ? .idle : .discarding(remainingBody)
            process()
            resumeReading()
        }
    }

    /// Closes the connection once what has been written is sent.
    private func close(_ context: ChannelHandlerContext) {
        state = .closing
        input = nil
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(ByteBuffer()), promise: written)
        written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    /// Reads again if a read was held back.
    private func resumeReading() {
        guard readPending, let context else { return }
        readPending = false
        read(context: context)
    }

    /// Ends the current exchange because the client's connection went away (which also lets go of the exchange:
    /// it holds the handler).
    private func abortExchange() {
        if case .proxying(let exchange) = state {
            exchange.abort()
            state = .closing
        }
        input = nil
    }

    // MARK: - Called by Hummingbird's side and by the exchange

    /// Hummingbird has written the end of its response to the request passed on last.
    func passedResponseEnded() {
        guard case .passing(let body, _) = state else { return }
        state = .passing(body: body, responseEnded: true)
        process()
        resumeReading()
    }

    fileprivate var clientIsWritable: Bool { context?.channel.isWritable ?? false }

    fileprivate func writeToClient(_ bytes: ByteBuffer) {
        context?.write(wrapOutboundOut(bytes), promise: nil)
    }

    fileprivate func flushClient() {
        context?.flush()
    }

    /// The exchange's response has been written whole.
    fileprivate func responseCompleted(_ exchange: ProxyExchange, closingClient: Bool) {
        guard case .proxying(let current) = state, current === exchange, let context else { return }
        if closingClient || closesAfterExchange {
            close(context)
            return
        }
        context.flush()
        // A response that came before the request's body was all read: the rest of the body is dropped.
        state = exchange.requestEnded ? .idle : .discarding(exchange.requestBody)
        process()
        resumeReading()
    }

    /// The exchange's response broke off after its head went out: the client learns by the connection closing.
    fileprivate func responseCut(_ exchange: ProxyExchange) {
        guard case .proxying(let current) = state, current === exchange, let context else { return }
        close(context)
    }

    /// Answers the exchange's request with an error page (nothing of the response has gone out).
    fileprivate func answerFailure(_ exchange: ProxyExchange, status: HTTPResponseStatus, html: String) {
        guard case .proxying(let current) = state, current === exchange else { return }
        answer(status, html: html, to: exchange.request, remainingBody: exchange.requestEnded ? .length(0) : exchange.requestBody)
    }

    /// Makes sure the head timer fires at `deadline` or earlier.
    fileprivate func armHeadTimer(at deadline: NIODeadline) {
        guard headTimer == nil, let context else { return }
        // Holds the handler until it fires or `handlerRemoved` cancels it.
        headTimer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            self.headTimer = nil
            guard case .proxying(let exchange) = self.state, let due = exchange.headDeadline else { return }
            if due <= .now() { exchange.headTimerFired() } else { self.armHeadTimer(at: due) }
        }
    }

    fileprivate func upstreamBecameWritable() {
        guard readPending, case .proxying(let exchange) = state, !exchange.requestEnded, let context else { return }
        readPending = false
        context.read()
    }

    /// Gives a connection back to this loop's pool.
    fileprivate func release(_ connection: UpstreamConnection, reusable: Bool) {
        if let pool { pool.release(connection, reusable: reusable) } else { connection.close() }
    }
}

/// One request relayed to a service process and its response relayed back, as bytes: its upstream connection, the
/// bytes sent before that connection was open, the response head's timer, and the request's place in the
/// in-flight count (`ServiceEndpoints.beginRequest`), which ends exactly once: when the exchange finishes, or
/// else when it goes away.
final class ProxyExchange: UpstreamResponseReceiver {
    /// The handler, which holds the exchange in its state until the exchange is over: no weak or unowned
    /// reference, whose side table would slow down every retain and release of both.
    private let handler: EdgeConnectionHandler
    /// The client's request head.
    let request: RequestHead
    /// The route key of the request's host (for error pages).
    let routeKey: String
    /// The process's port.
    let port: Int
    /// What is left of the request's body.
    var requestBody: BodyFraming
    /// Whether the client's request has been read whole.
    var requestEnded = false
    private let endpoints: ServiceEndpoints
    private let deploymentID: Int64
    private var isInFlight = true
    private let responseHeadTimeout: TimeAmount
    /// The connection, once open.
    private(set) var upstream: UpstreamConnection?
    /// Bytes of the request sent before the connection was open.
    private var pending: ByteBuffer?
    /// The request (a head without a body, of an idempotent method) while it may be sent again over a new
    /// connection: the pooled connection it went on closed before a byte of the response came.
    private var replayable: ByteBuffer?
    /// The start of a response head still arriving.
    private var partialHead: ByteBuffer?
    /// What is left of the response's body, once its head has come.
    private var responseBody: BodyFraming?
    /// A small response (head and body), held until it is whole: the process failing within it is then a 502, not
    /// a response cut short (see `smallBodyLimit`).
    private var held: ByteBuffer?
    /// Whether the response head has gone to the client (from then on a failure can only close the connection).
    private var responseStarted = false
    private var closesClient = false
    private var upstreamReusable = true
    /// When the response head must have come, while the edge waits for it.
    private(set) var headDeadline: NIODeadline?
    private(set) var isOver = false

    deinit {
        if isInFlight { endpoints.endRequest(to: deploymentID) }
    }

    /// The largest body, by its `Content-Length`, that is held until it is complete before the head goes out.
    /// Larger bodies stream.
    static let smallBodyLimit = 64 << 10

    init(
        handler: EdgeConnectionHandler, request: RequestHead, routeKey: String, port: Int, requestBody: BodyFraming,
        endpoints: ServiceEndpoints, deploymentID: Int64, responseHeadTimeout: TimeAmount
    ) {
        self.handler = handler
        self.request = request
        self.routeKey = routeKey
        self.port = port
        self.requestBody = requestBody
        self.endpoints = endpoints
        self.deploymentID = deploymentID
        self.responseHeadTimeout = responseHeadTimeout
    }

    /// Sends bytes of the request now, or once the connection is open. The request's head (`isHead`) is kept for
    /// sending again when it has no body, its method is idempotent and its connection came from the pool.
    func send(_ bytes: ByteBuffer, isHead: Bool = false) {
        if isHead, requestBody.isComplete, request.isIdempotent { replayable = bytes }
        if let upstream {
            upstream.write(bytes)
            if !upstream.wasReused { replayable = nil }
        } else if pending == nil {
            pending = bytes
        } else {
            var bytes = bytes
            pending?.writeBuffer(&bytes)
        }
    }

    /// The connection is open: it gets what was sent so far.
    func attach(_ connection: UpstreamConnection, flush: Bool) {
        guard !isOver else { return }
        upstream = connection
        connection.receiver = self
        if !connection.wasReused { replayable = nil }
        if let pending {
            self.pending = nil
            connection.write(pending)
        }
        if flush { connection.flush() }
    }

    /// Starts the wait for the response head, once the request has been sent.
    func startResponseTimer() {
        guard headDeadline == nil, responseBody == nil, !isOver else { return }
        let deadline = NIODeadline.now() + responseHeadTimeout
        headDeadline = deadline
        handler.armHeadTimer(at: deadline)
    }

    /// The response head's deadline has come: a 504 if the head is still missing.
    func headTimerFired() {
        guard headDeadline != nil, !isOver else { return }
        failBeforeResponse(.gatewayTimeout, html: EdgePage.upstreamTimeout(host: handler.hostName(routeKey)))
    }

    /// The client went away: the upstream connection is closed, the request ends.
    func abort() {
        guard !isOver else { return }
        finish(reusable: false)
    }

    var clientIsWritable: Bool { handler.clientIsWritable }

    func upstreamRead(_ bytes: ByteBuffer) {
        guard !isOver else { return }
        replayable = nil
        var bytes = bytes
        if var partial = partialHead {
            partialHead = nil
            partial.writeBuffer(&bytes)
            bytes = partial
        }
        while bytes.readableBytes > 0 && !isOver {
            guard var body = responseBody else {
                switch ResponseHead.scan(bytes) {
                case .incomplete:
                    if bytes.readableBytes > EdgeConnectionHandler.maximumHeadLength { failUnreadable() } else { partialHead = bytes }
                    return
                case .invalid:
                    failUnreadable()
                    return
                case .complete(let head):
                    guard let headBytes = bytes.readSlice(length: head.length) else { return }
                    if head.status == 101 {
                        // A switch nobody asked for: the connection is the process's own from here on.
                        failUnreadable()
                        return
                    }
                    // Informational answers (`103 Early Hints`) are the process's own business.
                    if head.status >= 200 { startResponse(head, headBytes: headBytes, rest: bytes.readableBytes) }
                    continue
                }
            }
            do {
                guard var slice = try body.take(from: &bytes) else { return }
                responseBody = body
                if held != nil { held?.writeBuffer(&slice) } else { handler.writeToClient(slice) }
            } catch {
                upstreamReusable = false
                upstreamClosed(cleanly: false)
                return
            }
            if body.isComplete {
                if bytes.readableBytes > 0 { upstreamReusable = false }
                completeResponse()
            }
        }
    }

    /// The final response head: what the client gets of it, and how its body is relayed.
    private func startResponse(_ head: ResponseHead, headBytes: ByteBuffer, rest: Int) {
        headDeadline = nil
        guard let body = head.bodyFraming(forHEAD: request.isHEAD) else {
            failUnreadable()
            return
        }
        upstreamReusable = upstreamReusable && head.keepsAlive && !request.isHTTP10 && !body.endsWithConnection
        closesClient = !request.keepAlive || body.endsWithConnection || handler.closesAfterExchange
        let connection: ProxyHeaders.ClientConnection = closesClient ? .close : request.isHTTP10 ? .keepAlive : .unsaid
        responseBody = body
        if !body.isComplete, let length = head.contentLength, length <= Self.smallBodyLimit {
            held = ProxyHeaders.clientResponse(headBytes, head, connection: connection, bodyCapacity: length)
            return
        }
        responseStarted = true
        handler.writeToClient(ProxyHeaders.clientResponse(headBytes, head, connection: connection))
        if body.isComplete {
            if rest > 0 { upstreamReusable = false }
            completeResponse()
        }
    }

    /// The whole response has come: it goes out, the connection goes back to the pool.
    private func completeResponse() {
        if let held {
            self.held = nil
            responseStarted = true
            handler.writeToClient(held)
        }
        let closesClient = self.closesClient
        // The process has sent its whole answer: nothing of this request is left for it to do.
        finish(reusable: upstreamReusable && requestEnded)
        handler.responseCompleted(self, closingClient: closesClient)
    }

    func upstreamReadComplete() {
        handler.flushClient()
    }

    func upstreamWritabilityChanged() {
        if upstream?.isWritable ?? false { handler.upstreamBecameWritable() }
    }

    func upstreamClosed(cleanly: Bool) {
        guard !isOver else { return }
        if cleanly, let responseBody, responseBody.endsWithConnection {
            completeResponse()
        } else if let replayable, let upstream, responseBody == nil, partialHead == nil {
            // A pooled connection the process had closed (its keep-alive ran out) just as the request went on it:
            // the request goes again, once, on a new connection.
            self.replayable = nil
            self.upstream = nil
            handler.release(upstream, reusable: false)
            pending = replayable
            handler.connect(self, fresh: true)
        } else if responseStarted {
            finish(reusable: false)
            handler.responseCut(self)
        } else {
            failBeforeResponse(.badGateway, html: EdgePage.upstreamUnavailable(host: handler.hostName(routeKey)))
        }
    }

    /// The process sent something that is not an HTTP/1 response the edge can relay.
    private func failUnreadable() {
        upstreamReusable = false
        if responseStarted {
            finish(reusable: false)
            handler.responseCut(self)
        } else {
            failBeforeResponse(.badGateway, html: EdgePage.upstreamUnavailable(host: handler.hostName(routeKey)))
        }
    }

    /// Ends the exchange with an error page (nothing of the response has gone out yet).
    func failBeforeResponse(_ status: HTTPResponseStatus, html: String) {
        guard !isOver else { return }
        finish(reusable: false)
        handler.answerFailure(self, status: status, html: html)
    }

    /// Ends the request once: the timer stops, the connection goes back to the pool or is closed.
    private func finish(reusable: Bool) {
        isOver = true
        headDeadline = nil
        held = nil
        pending = nil
        replayable = nil
        endInFlight()
        if let upstream {
            self.upstream = nil
            handler.release(upstream, reusable: reusable)
        }
    }
}

extension ProxyExchange {
    /// Ends the request's place in the in-flight count (once).
    private func endInFlight() {
        guard isInFlight else { return }
        isInFlight = false
        endpoints.endRequest(to: deploymentID)
    }
}

extension EdgeConnectionHandler {
    /// The host name of a route key, for error pages.
    fileprivate func hostName(_ key: String) -> String { proxy.hostName(key) }
}
