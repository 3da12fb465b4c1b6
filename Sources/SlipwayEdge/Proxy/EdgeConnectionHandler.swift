public import NIOCore
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
        /// Hummingbird answered a request for it with `101 Switching Protocols` (a WebSocket of the API, whose frames
        /// are the response's body): what the client sends now are WebSocket frames, which the edge reads for pings
        /// and the close (`WebSocketClientFrames`). Once the response has ended the connection closes.
        case answeredWebSocket(responseEnded: Bool)
        /// The connection closes after what has been written: nothing more is read.
        case closing
        /// Everything goes to NIO's decoder and Hummingbird from now on.
        case handedOver
        /// The connection speaks HTTP/2 (negotiated by ALPN): every byte and event goes on to NIO's HTTP/2 handler,
        /// whose streams have handlers of their own (`EdgeHTTP2`). This one only counts the connection for its address.
        case carryingHTTP2
    }

    /// The longest head the edge reads itself; a longer one is left to NIO's decoder and its limits.
    static let maximumHeadLength = 64 << 10

    private let proxy: ServiceProxy
    /// Whether the connection came in over TLS (`X-Forwarded-Proto: https`, HSTS, no redirect to HTTPS).
    let isSecure: Bool
    /// Header lines the edge adds to every answer it writes itself on this connection (HSTS over HTTPS); nil: none.
    let addedResponseLines: ByteBuffer?
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
    /// When the client must next have sent something (the rest of a head, its next request), checked by one timer per
    /// connection that is re-armed when it fires early: the deadline moves with every request, the timer does not.
    private var clientDeadline: ClientDeadline
    private var deadlineTimer: Scheduled<Void>?
    /// The client address this connection counts for in `proxy.clientConnections`, until it goes.
    private var countedAddress: String?
    private var hasBegun = false
    /// The client's IP address, read once per connection.
    private lazy var clientAddress: String? = context?.channel.remoteAddress?.ipAddress
    /// Graceful shutdown asked, or the client closed its side, while an exchange ran: the connection closes once
    /// it has ended.
    private(set) var closesAfterExchange = false
    /// The last `Host` value looked up, its route key and target, and the route table's version then: a connection
    /// asks for one host over and over, and the answer holds until the table changes.
    private var lastRoute: (host: [UInt8], version: Int, key: String?, target: RouteTarget?)?
    /// The client's frames after Hummingbird switched protocols (`answeredWebSocket`).
    private var clientFrames = WebSocketClientFrames()
    /// The edge has closed an answered WebSocket: nothing more of Hummingbird's response goes out.
    private var webSocketClosed = false
    /// Closes an answered WebSocket whose client has not sent its close frame a while after the server's.
    private var webSocketCloseTimer: Scheduled<Void>?
    /// How long a client has to answer the server's close frame before the connection closes anyway.
    static let webSocketCloseWait = TimeAmount.seconds(2)
    /// When the current request's head was read (`EdgeMetrics.now()`), while metrics are on.
    private var requestStartedAt: UInt64 = 0

    /// Adds Hummingbird's HTTP/1 handlers after this one; nil once they are there.
    private var http1Handlers: ((EdgeConnectionHandler, ChannelPipeline.SynchronousOperations) throws -> Void)?
    /// Whether this handler serves one HTTP/2 stream (`EdgeHTTP2`): the stream's connection is counted and timed by
    /// the connection's own handler, not here.
    let isStream: Bool

    init(
        proxy: ServiceProxy, secure: Bool = false, stream: Bool = false,
        http1Handlers: @escaping (EdgeConnectionHandler, ChannelPipeline.SynchronousOperations) throws -> Void
    ) {
        self.proxy = proxy
        self.isSecure = secure
        self.isStream = stream
        self.addedResponseLines =
            secure && proxy.https?.strictTransportSecurity == true ? ByteBuffer(string: EdgeHTTPS.strictTransportSecurityLine) : nil
        self.http1Handlers = http1Handlers
        self.clientDeadline = ClientDeadline(proxy.clientLimits)
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.pool = proxy.pool(on: context.eventLoop)
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        headTimer?.cancel()
        headTimer = nil
        deadlineTimer?.cancel()
        deadlineTimer = nil
        webSocketCloseTimer?.cancel()
        webSocketCloseTimer = nil
        uncount()
        abortExchange()
        self.context = nil
    }

    public func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        begin(context)
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch state {
        case .carryingHTTP2:
            context.fireChannelRead(data)
            return
        case .handedOver:
            keepHandedOverAlive()
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
        if case .carryingHTTP2 = state {
            context.fireChannelReadComplete()
            return
        }
        inReadBatch = false
        if case .proxying(let exchange) = state { exchange.upstream?.flush() }
        if passedUnannounced {
            passedUnannounced = false
            context.fireChannelReadComplete()
        }
    }

    public func channelWritabilityChanged(context: ChannelHandlerContext) {
        if case .proxying(let exchange) = state, context.channel.isWritable { exchange.upstream?.resumeReading() }
        if case .answeredWebSocket = state, context.channel.isWritable { resumeReading() }
        context.fireChannelWritabilityChanged()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        uncount()
        abortExchange()
        state = .closing
        context.fireChannelInactive()
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .carryingHTTP2 = state {
            // NIO's HTTP/2 connection manager ends the connection gracefully (GOAWAY) on `ChannelShouldQuiesceEvent`.
            context.fireUserInboundEventTriggered(event)
            return
        }
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
        case .tunneling:
            // A tunnel's relay reads for itself.
            readPending = true
        case .answeredWebSocket where !context.channel.isWritable:
            // A client that sends pings faster than it reads the pongs (and the log) waits.
            readPending = true
        default:
            // Closing, too: what arrives is dropped, but reading lets a TLS handler before this one see the
            // client's close_notify (or its end of the stream) at once instead of holding the connection's state
            // until its shutdown timeout.
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
                awaitRequest(context)
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
            case .answeredWebSocket(let responseEnded):
                answerClientFrames(responseEnded: responseEnded, context: context)
                return
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
            case .tunneling, .closing, .handedOver, .carryingHTTP2:
                return
            }
        }
    }

    /// Takes a request whose head has been read: to a service, or on to Hummingbird.
    private func start(_ head: RequestHead, headBytes: ByteBuffer, context: ChannelHandlerContext) {
        clientDeadline.requestStarted()
        if proxy.metrics != nil { requestStartedAt = EdgeMetrics.now() }
        if head.hostCount > 1 {
            // RFC 9112 §3.2: which of the hosts the request is for is anybody's guess.
            answer(.badRequest, html: EdgePage.multipleHosts, to: head, remainingBody: .length(0), closing: true)
            return
        }
        if let mark = head.forwardedBy, headBytes.withUnsafeReadableBytes({ proxy.forwardingMark.isOwn($0, mark) }) {
            // The edge relayed this request itself: relaying it again would go around the loop until the process runs
            // out of file descriptors.
            answer(.loopDetected, html: EdgePage.loopDetected, to: head, remainingBody: .length(0), closing: true)
            return
        }
        guard !head.isCONNECT, let body = head.bodyFraming else {
            var unread = headBytes
            if var rest = input { unread.writeBuffer(&rest) }
            input = unread
            handOver(context)
            return
        }
        switch HTTPSFront(proxy: proxy, isSecure: isSecure).answer(head, headBytes) {
        case .none:
            break
        case .some(let answer):
            writeFront(answer, to: head, remainingBody: body)
            return
        }
        if head.hostCount == 1, let host = head.host, let (target, key) = routeTarget(headBytes, host) {
            switch target.kind {
            case .service:
                startExchange(head, headBytes: headBytes, body: body, target: target, key: key, context: context)
                return
            case .static:
                if let sites = proxy.staticSites, body.isComplete, !head.expectsContinue, !head.asksForUpgrade,
                    let answer = StaticFront(sites: sites).answer(head, headBytes, buildID: target.buildID)
                {
                    writeStatic(answer, to: head, context: context)
                    return
                }
            }
        }
        state = .passing(body: body, responseEnded: false)
        pass(headBytes, context: context)
    }

    /// Writes the front's answer to a static request, keeping the connection as the client asked.
    private func writeStatic(_ answer: StaticFront.Answer, to head: RequestHead, context: ChannelHandlerContext) {
        let closes = !head.keepAlive || closesAfterExchange
        var bytes = answer.head
        bytes.writeString(DateLine.now())
        if let addedResponseLines { bytes.writeImmutableBuffer(addedResponseLines) }
        if closes {
            bytes.writeStaticString("Connection: close\r\n")
        } else if head.isHTTP10 {
            bytes.writeStaticString("Connection: keep-alive\r\n")
        }
        bytes.writeStaticString("\r\n")
        if let metrics = proxy.metrics {
            let bodyBytes: Int
            switch answer.body {
            case .none: bodyBytes = 0
            case .bytes(let body): bodyBytes = body.readableBytes
            case .file(_, let range): bodyBytes = range.count
            }
            metrics.record(.static, status: answer.status, since: requestStartedAt, bytes: bodyBytes)
        }
        switch answer.body {
        case .none:
            context.write(wrapOutboundOut(bytes), promise: nil)
        case .bytes(let body):
            context.write(wrapOutboundOut(bytes), promise: nil)
            context.write(wrapOutboundOut(body), promise: nil)
        case .file(let path, let range):
            guard let handle = StaticFront.open(path) else {
                // The build went away since the head was prepared: nothing has been written yet.
                answerGone(to: head, context: context)
                return
            }
            let region = FileRegion(fileHandle: handle, readerIndex: range.lowerBound, endIndex: range.upperBound + 1)
            context.write(wrapOutboundOut(bytes), promise: nil)
            let written = context.eventLoop.makePromise(of: Void.self)
            context.write(NIOAny(IOData.fileRegion(region)), promise: written)
            written.futureResult.whenComplete { _ in try? handle.close() }
        }
        if closes {
            close(context)
        } else {
            context.flush()
            state = .idle
            process()
            resumeReading()
        }
    }

    /// A file that was in the manifest and is gone now (its build was deleted while the request was read).
    private func answerGone(to head: RequestHead, context: ChannelHandlerContext) {
        answer(.notFound, html: EdgePage.notFound, to: head, remainingBody: .length(0))
    }

    /// The route a `Host` value names, if it does, with its route key.
    private func routeTarget(_ headBytes: ByteBuffer, _ host: Range<Int>) -> (RouteTarget, String)? {
        let version = proxy.routes.version
        let (key, target) = headBytes.withUnsafeReadableBytes { bytes -> (String?, RouteTarget?) in
            let value = UnsafeRawBufferPointer(rebasing: bytes[host])
            if let lastRoute, lastRoute.version == version, lastRoute.host.elementsEqual(value) { return (lastRoute.key, lastRoute.target) }
            let key = EdgeHost.routeKey(of: String(decoding: value, as: UTF8.self), domain: proxy.domain, routes: proxy.routes)
            let target = key.flatMap(proxy.routes.target(for:))
            lastRoute = (Array(value), version, key, target)
            return (key, target)
        }
        guard let key, let target else { return nil }
        return (target, key)
    }

    /// Relays a request to its service: an error page when the process does not run, a tunnel for an upgrade,
    /// else an exchange over a pooled connection.
    private func startExchange(
        _ head: RequestHead, headBytes: ByteBuffer, body: BodyFraming, target: RouteTarget, key: String, context: ChannelHandlerContext
    ) {
        var deploymentID = target.deploymentID
        var address = proxy.endpoints.beginRequest(to: deploymentID)
        if address == nil, let current = proxy.routes.target(for: key), current.deploymentID != deploymentID, current.kind == .service {
            // The route switched while this request was on its way and the old process is already draining:
            // the new one answers it.
            deploymentID = current.deploymentID
            address = proxy.endpoints.beginRequest(to: deploymentID)
        }
        guard let address, pool != nil else {
            if let metrics = proxy.metrics {
                metrics.record(.proxy, status: 502, since: requestStartedAt, bytes: 0)
                metrics.recordUpstreamError(project: EdgeMetrics.project(ofRouteKey: key), status: 502)
            }
            answer(
                .badGateway, html: EdgePage.serviceNotRunning(host: proxy.hostName(key)), to: head, remainingBody: body,
                closing: head.asksForUpgrade)
            return
        }
        if head.asksForUpgrade {
            let inFlight = InFlightRequest(endpoints: proxy.endpoints, deploymentID: deploymentID)
            startTunnel(head, headBytes: headBytes, address: address, inFlight: inFlight, key: key, context: context)
            return
        }
        let exchange = ProxyExchange(
            handler: self, request: head, routeKey: key, address: address, requestBody: body, endpoints: proxy.endpoints,
            deploymentID: deploymentID, responseHeadTimeout: TimeAmount(proxy.configuration.responseHeadTimeout),
            metrics: proxy.metrics, startedAt: requestStartedAt)
        state = .proxying(exchange)
        // A pooled connection comes at once; a new one later (it then flushes what was sent meanwhile).
        connect(exchange, fresh: false)
        // Connecting may fail at once: the request has then been answered (502) already.
        guard !exchange.isOver else { return }
        exchange.send(
            ProxyHeaders.upstreamRequest(headBytes, head, clientAddress: clientAddress, mark: proxy.forwardingMark, secure: isSecure), isHead: true)
        if head.expectsContinue && !head.isHTTP10 && !body.isComplete {
            // The edge reads the body as it comes; the process never sees the `Expect`.
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(staticString: "HTTP/1.1 100 Continue\r\n\r\n")), promise: nil)
        }
        if body.isComplete { endRequest(of: exchange) }
    }

    /// Gets `exchange` a connection to its process: an idle one from the pool (unless `fresh`; what is written on it
    /// is flushed at the end of the read, or of `process()`), else a new one.
    func connect(_ exchange: ProxyExchange, fresh: Bool) {
        guard let pool else { return }
        if !fresh, let connection = pool.idleConnection(to: exchange.address) {
            exchange.attach(connection, flush: false)
            return
        }
        pool.newConnection(to: exchange.address) { [self, exchange] result in
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
        _ head: RequestHead, headBytes: ByteBuffer, address: ServiceAddress, inFlight: InFlightRequest, key: String, context: ChannelHandlerContext
    ) {
        let upstreamHead = ProxyHeaders.upstreamRequest(
            headBytes, head, clientAddress: clientAddress, mark: proxy.forwardingMark, keepingUpgrade: true, secure: isSecure)
        state = .tunneling
        let request = { [weak self] () -> ByteBuffer in
            var request = upstreamHead
            if var rest = self?.input {
                request.writeBuffer(&rest)
                self?.input = nil
            }
            return request
        }
        UpgradeTunnel.open(client: context, address: address, connector: proxy.upstreamConnector, request: request, onEnd: { inFlight.end() })
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
        keepHandedOverAlive()
        if let rest = input, rest.readableBytes > 0 { pass(rest, context: context) }
        input = nil
        resumeReading()
    }

    /// Writes an answer of `HTTPSFront` (an ACME challenge, a redirect to HTTPS), keeping the connection as the client
    /// asked.
    private func writeFront(_ answer: HTTPSFront.Answer, to head: RequestHead, remainingBody: BodyFraming) {
        guard let context else { return }
        let closes = !head.keepAlive || closesAfterExchange
        var bytes = answer.head
        bytes.writeString(DateLine.now())
        if closes {
            bytes.writeStaticString("Connection: close\r\n")
        } else if head.isHTTP10 {
            bytes.writeStaticString("Connection: keep-alive\r\n")
        }
        bytes.writeStaticString("\r\n")
        if !head.isHEAD { bytes.writeImmutableBuffer(answer.body) }
        context.write(wrapOutboundOut(bytes), promise: nil)
        if closes {
            close(context)
        } else {
            context.flush()
            state = remainingBody.isComplete ? .idle : .discarding(remainingBody)
            process()
            resumeReading()
        }
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
        if let addedResponseLines { page.writeImmutableBuffer(addedResponseLines) }
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

    /// The TLS handshake chose HTTP/2: from now on every byte goes on to NIO's HTTP/2 handler, added after this one.
    /// The connection still counts for its client's address until it closes; its head and idle deadlines end here
    /// (NIO's connection manager closes an HTTP/2 connection that idles).
    func carryHTTP2() {
        guard case .idle = state, (input?.readableBytes ?? 0) == 0 else { return }
        state = .carryingHTTP2
        http1Handlers = nil
        deadlineTimer?.cancel()
        deadlineTimer = nil
        clientDeadline = ClientDeadline(proxy.clientLimits)
        resumeReading()
    }

    // MARK: - Called by Hummingbird's side and by the exchange

    /// Hummingbird has written the head of a `101 Switching Protocols` to the request passed on last: the bytes the
    /// client sends from now on are WebSocket frames.
    func passedResponseSwitchedProtocols() {
        guard !isStream, case .passing(let body, _) = state, body.isComplete else { return }
        state = .answeredWebSocket(responseEnded: false)
        process()
    }

    /// Answers the client frames that have come whole after a `101` of Hummingbird's: a ping its pong; a close frame
    /// the closing of the connection, after echoing its code unless the server's close frame has gone out already.
    private func answerClientFrames(responseEnded: Bool, context: ChannelHandlerContext) {
        guard input != nil else { return }
        let controls: [WebSocketClientFrames.Control]
        do {
            controls = try clientFrames.take(from: &input!)
        } catch {
            webSocketClosed = true
            close(context)
            return
        }
        for control in controls {
            switch control {
            case .ping(let payload):
                context.writeAndFlush(wrapOutboundOut(WebSocketClientFrames.serverFrame(opcode: 0xA, payload: payload)), promise: nil)
            case .close(let payload):
                if !responseEnded {
                    let code = payload.getSlice(at: payload.readerIndex, length: min(2, payload.readableBytes)) ?? ByteBuffer()
                    context.write(wrapOutboundOut(WebSocketClientFrames.serverFrame(opcode: 0x8, payload: code)), promise: nil)
                }
                webSocketClosed = true
                close(context)
                return
            }
        }
    }

    /// Hummingbird has written the end of its response to the request passed on last.
    func passedResponseEnded() {
        if case .answeredWebSocket = state, let context {
            // The server's close frame was the body's last: the client answers it with its own, then the connection
            // closes (RFC 6455 §7.1.1: the server closes the TCP connection first); a client that does not, soon anyway.
            state = .answeredWebSocket(responseEnded: true)
            webSocketCloseTimer = context.eventLoop.assumeIsolated().scheduleTask(in: Self.webSocketCloseWait) { [weak self] in
                guard let self, let context = self.context, case .answeredWebSocket = self.state else { return }
                self.webSocketClosed = true
                self.close(context)
            }
            process()
            return
        }
        guard case .passing(let body, _) = state else { return }
        state = .passing(body: body, responseEnded: true)
        process()
        resumeReading()
    }

    var clientIsWritable: Bool { context?.channel.isWritable ?? false }

    func writeToClient(_ bytes: ByteBuffer) {
        context?.write(wrapOutboundOut(bytes), promise: nil)
    }

    func flushClient() {
        context?.flush()
    }

    /// The exchange's response has been written whole.
    func responseCompleted(_ exchange: ProxyExchange, closingClient: Bool) {
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
    func responseCut(_ exchange: ProxyExchange) {
        guard case .proxying(let current) = state, current === exchange, let context else { return }
        close(context)
    }

    /// Answers the exchange's request with an error page (nothing of the response has gone out).
    func answerFailure(_ exchange: ProxyExchange, status: HTTPResponseStatus, html: String) {
        guard case .proxying(let current) = state, current === exchange else { return }
        answer(status, html: html, to: exchange.request, remainingBody: exchange.requestEnded ? .length(0) : exchange.requestBody)
    }

    /// The time on the connection's event loop (which `EmbeddedEventLoop` lets a test move): every deadline of the
    /// connection and its exchanges counts by it.
    var now: NIODeadline { context?.eventLoop.now ?? .now() }

    /// Makes sure the head timer fires at `deadline` (by `now`) or earlier.
    func armHeadTimer(at deadline: NIODeadline) {
        guard headTimer == nil, let context else { return }
        // Holds the handler until it fires or `handlerRemoved` cancels it.
        headTimer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            self.headTimer = nil
            guard case .proxying(let exchange) = self.state, let due = exchange.headDeadline else { return }
            if due <= context.eventLoop.now { exchange.headTimerFired() } else { self.armHeadTimer(at: due) }
        }
    }

    func upstreamBecameWritable() {
        guard readPending, case .proxying(let exchange) = state, !exchange.requestEnded, let context else { return }
        readPending = false
        context.read()
    }

    /// Gives a connection back to this loop's pool.
    func release(_ connection: UpstreamConnection, reusable: Bool) {
        if let pool { pool.release(connection, reusable: reusable) } else { connection.close() }
    }
}

extension EdgeConnectionHandler {
    /// The host name of a route key, for error pages.
    func hostName(_ key: String) -> String { proxy.hostName(key) }
}

// MARK: - Client limits (docs/security-connections.md)

extension EdgeConnectionHandler {
    /// Writes of Hummingbird's handlers (the edge's own go past this handler): on a connection handed over to NIO's
    /// decoder they show it is busy.
    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .handedOver = state { keepHandedOverAlive() }
        if webSocketClosed {
            // Hummingbird's next frames after the close frame the edge sent: a WebSocket has nothing after its close.
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        context.write(data, promise: promise)
    }

    /// The connection has started: it counts for its client's address (or closes when the address has too many
    /// open), and its first head must come within the head timeout.
    private func begin(_ context: ChannelHandlerContext) {
        guard !hasBegun, !isStream else { return }
        hasBegun = true
        if proxy.clientLimits.maximumConnectionsPerAddress > 0, let address = clientAddress {
            guard proxy.clientConnections.open(address) else {
                state = .closing
                input = nil
                context.close(promise: nil)
                return
            }
            countedAddress = address
        }
        clientDeadline.awaitHead(now: context.eventLoop.now)
        armDeadlineTimer()
    }

    /// The connection no longer counts for its client's address.
    private func uncount() {
        guard let address = countedAddress else { return }
        countedAddress = nil
        proxy.clientConnections.close(address)
    }

    /// Between requests: the connection idles until the next request's first byte, then its head must come within
    /// the head timeout.
    private func awaitRequest(_ context: ChannelHandlerContext) {
        let hasBytes = (input?.readableBytes ?? 0) > 0
        switch clientDeadline.phase {
        case .none, .inactivity:
            if hasBytes { clientDeadline.awaitHead(now: context.eventLoop.now) } else { clientDeadline.awaitNextRequest(now: context.eventLoop.now) }
        case .idle where hasBytes:
            clientDeadline.awaitHead(now: context.eventLoop.now)
        case .idle, .head:
            return
        }
        armDeadlineTimer()
    }

    /// A connection handed over to NIO's decoder read or wrote something: it may stay quiet for the idle time again
    /// (the edge no longer sees where its requests begin and end).
    private func keepHandedOverAlive() {
        guard let context else { return }
        clientDeadline.active(now: context.eventLoop.now)
        armDeadlineTimer()
    }

    /// Makes sure the deadline timer fires at the deadline or earlier.
    private func armDeadlineTimer() {
        guard deadlineTimer == nil, clientDeadline.phase != .none, let context else { return }
        // Holds the handler until it fires or `handlerRemoved` cancels it.
        deadlineTimer = context.eventLoop.assumeIsolated().scheduleTask(deadline: clientDeadline.deadline) { [self] in
            self.deadlineTimer = nil
            guard let context = self.context else { return }
            switch self.clientDeadline.expiry(now: context.eventLoop.now) {
            case .none: return
            case .rearm: self.armDeadlineTimer()
            case .expired(let phase): self.deadlinePassed(phase, context: context)
            }
        }
    }

    /// The client did not send what it had to in time: the connection closes, with a `408` when part of a head came.
    private func deadlinePassed(_ phase: ClientDeadline.Phase, context: ChannelHandlerContext) {
        switch (phase, state) {
        case (.head, .idle) where (input?.readableBytes ?? 0) > 0:
            context.write(
                wrapOutboundOut(ByteBuffer(staticString: "HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")),
                promise: nil)
            close(context)
        case (.head, .idle), (.idle, .idle):
            close(context)
        case (.inactivity, .handedOver):
            state = .closing
            context.close(promise: nil)
        default:
            return
        }
    }
}
