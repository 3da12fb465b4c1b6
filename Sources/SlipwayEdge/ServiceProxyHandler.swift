import NIOCore
import NIOHTTP1
import SlipwayCore

/// One client connection's proxy to service processes, between NIO's HTTP/1 server codecs and Hummingbird's: a
/// request whose `Host` routes to a service deployment is taken here and relayed to the service's process over a
/// pooled upstream connection; every other request (API, static sites, unknown hosts, several `Host` lines) flows
/// on to Hummingbird untouched.
///
/// One proxied exchange at a time: once its request has been read whole, the client is not read again until the
/// response has been sent (parts a pipelining client sent meanwhile wait, in order). While the upstream cannot take
/// more of a request body the client is not read; while the client cannot take more of a response the upstream is
/// not read. Every exchange that `ServiceEndpoints.beginRequest` started ends exactly once, however it ends.
public final class ServiceProxyHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPServerRequestPart
    public typealias InboundOut = HTTPServerRequestPart
    public typealias OutboundIn = HTTPServerResponsePart
    public typealias OutboundOut = HTTPServerResponsePart

    /// What the handler does with the parts of the current request.
    private enum State {
        /// Between requests.
        case idle
        /// A request for Hummingbird: its parts flow on until its end.
        case passingThrough
        /// A request already answered here (an error page): its remaining parts are dropped.
        case discarding
        /// A request relayed to a service process.
        case proxying(ProxyExchange)
        /// A protocol upgrade passed through (`UpgradeTunnel`): the connection carries raw bytes from now on.
        case tunneling
    }

    private let proxy: ServiceProxy
    private var state = State.idle
    private var context: ChannelHandlerContext?
    private var pool: UpstreamConnectionPool?
    /// Parts read while an exchange was still being answered (a pipelining client), replayed after it.
    private var queued: [HTTPServerRequestPart] = []
    private var readPending = false
    /// One timer for the response heads of all exchanges on this connection, re-armed when it fires early
    /// (scheduling and cancelling one per exchange costs more than the rest of the exchange's bookkeeping).
    private var headTimer: Scheduled<Void>?
    /// Whether `startExchange` is asking the pool for a connection (an idle one comes back before it returns).
    private var isStarting = false
    /// The client's IP address, read once per connection.
    private lazy var clientAddress: String? = context?.channel.remoteAddress?.ipAddress
    /// Graceful shutdown asked while an exchange ran: passed on (to Hummingbird's connection state) once it ends.
    private var quiesceEvent: Any?

    init(proxy: ServiceProxy) {
        self.proxy = proxy
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
        let part = unwrapInboundIn(data)
        if !queued.isEmpty || isAwaitingResponse {
            queued.append(part)
            return
        }
        handle(part, context: context)
    }

    public func channelReadComplete(context: ChannelHandlerContext) {
        if case .proxying(let exchange) = state { exchange.upstream?.flush() }
        context.fireChannelReadComplete()
    }

    public func channelWritabilityChanged(context: ChannelHandlerContext) {
        if case .proxying(let exchange) = state, context.channel.isWritable { exchange.upstream?.resumeReading() }
        context.fireChannelWritabilityChanged()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        abortExchange()
        context.fireChannelInactive()
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent, case .proxying = state {
            quiesceEvent = event
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    public func read(context: ChannelHandlerContext) {
        if case .proxying(let exchange) = state, exchange.requestEnded || !(exchange.upstream?.isWritable ?? false) {
            readPending = true
            return
        }
        context.read()
    }

    // MARK: - Requests

    /// Whether the current request has been read whole and its response is not yet done: later parts wait.
    private var isAwaitingResponse: Bool {
        if case .proxying(let exchange) = state { return exchange.requestEnded }
        return false
    }

    private func handle(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch (state, part) {
        case (.idle, .head(let head)):
            guard let (target, key) = serviceTarget(of: head) else {
                state = .passingThrough
                context.fireChannelRead(wrapInboundOut(part))
                return
            }
            startExchange(head, target: target, key: key, context: context)
        case (.idle, _):
            // A body or end without its head: the decoder never sends one; Hummingbird decides.
            context.fireChannelRead(wrapInboundOut(part))
        case (.passingThrough, _):
            if case .end = part { state = .idle }
            context.fireChannelRead(wrapInboundOut(part))
        case (.discarding, .end):
            finishRequest()
        case (.discarding, _), (.tunneling, _):
            break
        case (.proxying(let exchange), .head):
            // A head inside a request: the decoder never sends one.
            exchange.abort()
            context.close(promise: nil)
        case (.proxying(let exchange), .body(let body)):
            exchange.send(.body(.byteBuffer(body)))
        case (.proxying(let exchange), .end(let trailers)):
            exchange.requestEnded = true
            exchange.send(.end(trailers))
            // Flushed at the end of this read batch (`channelReadComplete`).
            exchange.startResponseTimer()
        }
    }

    /// The service route `head`'s single `Host` line names, if it does.
    private func serviceTarget(of head: HTTPRequestHead) -> (RouteTarget, String)? {
        let hosts = head.headers["host"]
        guard hosts.count == 1, let key = EdgeHost.routeKey(of: hosts[0], domain: proxy.domain),
            let target = proxy.routes.target(for: key), target.kind == .service
        else { return nil }
        return (target, key)
    }

    /// Takes a request for a service: an error page when it asks for an upgrade or the process does not run,
    /// else an exchange with the process.
    private func startExchange(_ head: HTTPRequestHead, target: RouteTarget, key: String, context: ChannelHandlerContext) {
        let host = key + "." + proxy.domain
        var deploymentID = target.deploymentID
        var port = proxy.endpoints.beginRequest(to: deploymentID)
        if port == nil, let current = proxy.routes.target(for: key), current.deploymentID != deploymentID, current.kind == .service {
            // The route switched while this request was on its way and the old process is already draining:
            // the new one answers it.
            deploymentID = current.deploymentID
            port = proxy.endpoints.beginRequest(to: deploymentID)
        }
        guard let port, let pool else {
            // NIO's decoder stops parsing after a request that asks to upgrade: such a connection closes after the page.
            answer(
                .badGateway, html: EdgePage.serviceNotRunning(host: host), to: head, requestEnded: false,
                closing: ProxyHeaders.asksForUpgrade(head.headers))
            return
        }
        if ProxyHeaders.asksForUpgrade(head.headers) {
            startTunnel(head, port: port, deploymentID: deploymentID, host: host, context: context)
            return
        }
        let exchange = ProxyExchange(
            handler: self, head: head, host: host,
            inFlight: InFlightRequest(endpoints: proxy.endpoints, deploymentID: deploymentID),
            responseHeadTimeout: TimeAmount(proxy.configuration.responseHeadTimeout)
        )
        exchange.buffered.append(
            .head(ProxyHeaders.upstreamRequestHead(head, clientAddress: clientAddress)))
        state = .proxying(exchange)
        isStarting = true
        defer { isStarting = false }
        pool.connection(to: port) { [weak self, exchange] result in
            guard let self, case .proxying(let current) = self.state, current === exchange else {
                // The client left while connecting: the new connection is not needed now, but can serve the next.
                if case .success(let connection) = result { self?.pool?.release(connection, reusable: true) }
                return
            }
            switch result {
            case .success(let connection):
                // A pooled connection comes at once, inside the client's read: its flush comes with the end of
                // that read. A new one comes later: it is flushed now.
                exchange.attach(connection, flush: !isStarting)
                if readPending, !exchange.requestEnded, connection.isWritable {
                    readPending = false
                    context.read()
                }
            case .failure:
                exchange.failBeforeHead()
            }
        }
    }

    /// Passes a protocol upgrade through to the process: its head with `Connection: Upgrade` and `Upgrade` kept, then
    /// raw bytes both ways. The request stays in flight (a drain waits for it) until either side closes.
    private func startTunnel(_ head: HTTPRequestHead, port: Int, deploymentID: Int64, host: String, context: ChannelHandlerContext) {
        let inFlight = InFlightRequest(endpoints: proxy.endpoints, deploymentID: deploymentID)
        var upstreamHead = ProxyHeaders.upstreamRequestHead(head, clientAddress: clientAddress)
        upstreamHead.headers.replaceOrAdd(name: "Connection", value: "Upgrade")
        upstreamHead.headers.remove(name: "Upgrade")
        for value in head.headers[canonicalForm: "upgrade"] { upstreamHead.headers.add(name: "Upgrade", value: String(value)) }
        state = .tunneling
        UpgradeTunnel.open(client: context, head: upstreamHead, port: port, onEnd: { inFlight.end() })
            .assumeIsolated()
            .whenFailure { [weak self] _ in
                inFlight.end()
                guard let self else { return }
                self.answer(.badGateway, html: EdgePage.upstreamUnavailable(host: host), to: head, requestEnded: false, closing: true)
            }
    }

    /// Writes an error page of the edge's for the request `head`, with the connection's keep-alive as the client asked.
    private func answer(_ status: HTTPResponseStatus, html: String, to head: HTTPRequestHead, requestEnded: Bool, closing: Bool = false) {
        guard let context else { return }
        let body = ByteBuffer(string: html)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/html; charset=utf-8")
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        headers.add(name: "Cache-Control", value: "no-store")
        Self.setKeepAlive(of: &headers, for: head)
        if closing { headers.replaceOrAdd(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        if head.method != .HEAD { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        endResponse(keepAlive: head.isKeepAlive && !closing, context: context)
        state = .discarding
        if requestEnded { finishRequest() }
    }

    /// Writes the end of a response; closes the connection after it when the client did not ask to keep it.
    private func endResponse(keepAlive: Bool, context: ChannelHandlerContext) {
        if keepAlive {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        } else {
            let written = context.eventLoop.makePromise(of: Void.self)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
            written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }

    /// `Connection: close` for a client that did not ask for keep-alive, `Connection: keep-alive` for an HTTP/1.0
    /// client that did (HTTP/1.1 keeps alive without saying so).
    static func setKeepAlive(of headers: inout HTTPHeaders, for request: HTTPRequestHead) {
        if !request.isKeepAlive {
            headers.replaceOrAdd(name: "Connection", value: "close")
        } else if request.version.major == 1 && request.version.minor == 0 {
            headers.replaceOrAdd(name: "Connection", value: "keep-alive")
        }
    }

    /// The current request is over (read whole, and answered or being dropped): the next one may come.
    private func finishRequest() {
        state = .idle
        guard let context else { return }
        if let quiesceEvent {
            self.quiesceEvent = nil
            context.fireUserInboundEventTriggered(quiesceEvent)
        }
        while !queued.isEmpty && !isAwaitingResponse {
            handle(queued.removeFirst(), context: context)
        }
        if readPending && queued.isEmpty {
            readPending = false
            context.read()
        }
    }

    /// Ends the current exchange because the client's connection went away.
    private func abortExchange() {
        if case .proxying(let exchange) = state {
            exchange.abort()
            state = .idle
        }
        queued = []
    }

    // MARK: - Called by the exchange

    /// The exchange's response has been sent (or failed after its head was sent: then the connection is closed).
    fileprivate func exchangeEnded(_ exchange: ProxyExchange, closeClient: Bool) {
        guard case .proxying(let current) = state, current === exchange, let context else { return }
        if closeClient {
            state = .idle
            context.close(promise: nil)
            return
        }
        if exchange.requestEnded {
            finishRequest()
        } else {
            // The process answered before the request's body was all read: the rest is dropped.
            state = .discarding
        }
    }

    /// Answers the exchange's request with an error page (its upstream failed before the head, or timed out).
    fileprivate func answerFailure(_ exchange: ProxyExchange, status: HTTPResponseStatus, html: String) {
        guard case .proxying(let current) = state, current === exchange else { return }
        answer(status, html: html, to: exchange.head, requestEnded: exchange.requestEnded)
    }

    fileprivate var clientContext: ChannelHandlerContext? { context }

    /// Makes sure the head timer fires at `deadline` or earlier.
    fileprivate func armHeadTimer(at deadline: NIODeadline) {
        guard headTimer == nil, let context else { return }
        headTimer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [weak self] in
            guard let self else { return }
            self.headTimer = nil
            guard case .proxying(let exchange) = self.state, let due = exchange.headDeadline else { return }
            if due <= .now() { exchange.headTimerFired() } else { self.armHeadTimer(at: due) }
        }
    }

    fileprivate func wrap(_ part: HTTPServerResponsePart) -> NIOAny { wrapOutboundOut(part) }

    fileprivate func upstreamBecameWritable() {
        guard readPending, case .proxying(let exchange) = state, !exchange.requestEnded, let context else { return }
        readPending = false
        context.read()
    }
}

/// One request relayed to a service process and its response relayed back: its upstream connection, the parts
/// written before that connection was open, the response head's timer, and the request's place in the in-flight
/// count, which ends exactly once.
final class ProxyExchange: UpstreamResponseReceiver {
    private unowned let handler: ServiceProxyHandler
    /// The client's request head.
    let head: HTTPRequestHead
    /// The deployment's host name, for error pages.
    let host: String
    private let inFlight: InFlightRequest
    private let responseHeadTimeout: TimeAmount
    /// The connection, once open.
    private(set) var upstream: UpstreamConnection?
    /// Request parts read before the connection was open.
    var buffered: [HTTPClientRequestPart] = []
    /// Whether the client's request has been read whole.
    var requestEnded = false
    /// Whether the response head has gone to the client (from then on a failure can only close the connection).
    private var responseStarted = false
    /// The head of a small response, held with its body until the body is complete (see `smallBodyLimit`).
    private var heldHead: HTTPResponseHead?
    private var heldBody: [ByteBuffer] = []
    private var upstreamKeepsAlive = true
    /// When the response head must have come, while the edge waits for it.
    private(set) var headDeadline: NIODeadline?
    private var isOver = false

    /// The largest body, by its `Content-Length`, that is held until it is complete before the head goes out: the
    /// process failing within it is then still a 502, not a response cut short. Larger bodies stream.
    static let smallBodyLimit = 64 << 10

    init(handler: ServiceProxyHandler, head: HTTPRequestHead, host: String, inFlight: InFlightRequest, responseHeadTimeout: TimeAmount) {
        self.handler = handler
        self.head = head
        self.host = host
        self.inFlight = inFlight
        self.responseHeadTimeout = responseHeadTimeout
    }

    /// Sends a request part now, or once the connection is open.
    func send(_ part: HTTPClientRequestPart) {
        if let upstream { upstream.write(part) } else { buffered.append(part) }
    }

    /// The connection is open: it gets what was read so far.
    func attach(_ connection: UpstreamConnection, flush: Bool) {
        guard !isOver else { return }
        upstream = connection
        connection.receiver = self
        for part in buffered { connection.write(part) }
        buffered = []
        if flush { connection.flush() }
    }

    /// Starts the wait for the response head, once the request has been sent.
    func startResponseTimer() {
        guard headDeadline == nil, !responseStarted, heldHead == nil, !isOver else { return }
        let deadline = NIODeadline.now() + responseHeadTimeout
        headDeadline = deadline
        handler.armHeadTimer(at: deadline)
    }

    /// The response head's deadline has come: a 504 if the head is still missing.
    func headTimerFired() {
        guard headDeadline != nil, !isOver else { return }
        fail(status: .gatewayTimeout, html: EdgePage.upstreamTimeout(host: host))
    }

    /// Connecting failed.
    func failBeforeHead() {
        fail(status: .badGateway, html: EdgePage.upstreamUnavailable(host: host))
    }

    /// The client went away: the upstream connection is closed, the request ends.
    func abort() {
        guard !isOver else { return }
        finish(reusable: false)
    }

    var clientIsWritable: Bool { handler.clientContext?.channel.isWritable ?? false }

    func upstreamRead(_ part: HTTPClientResponsePart) {
        guard !isOver, let context = handler.clientContext else { return }
        switch part {
        case .head(let response):
            // Informational answers (`103 Early Hints`) are the upstream's own business.
            guard response.status.code >= 200 || response.status == .switchingProtocols else { return }
            headDeadline = nil
            upstreamKeepsAlive = response.isKeepAlive
            var headers = ProxyHeaders.responseHeaders(response.headers)
            ServiceProxyHandler.setKeepAlive(of: &headers, for: head)
            let clientHead = HTTPResponseHead(version: head.version, status: response.status, headers: headers)
            if let length = response.headers.first(name: "content-length").flatMap(Int.init), length > 0,
                length <= Self.smallBodyLimit
            {
                heldHead = clientHead
            } else {
                responseStarted = true
                context.write(handler.wrap(.head(clientHead)), promise: nil)
            }
        case .body(let body):
            if heldHead != nil {
                heldBody.append(body)
            } else {
                context.write(handler.wrap(.body(.byteBuffer(body))), promise: nil)
            }
        case .end:
            if let heldHead {
                self.heldHead = nil
                responseStarted = true
                context.write(handler.wrap(.head(heldHead)), promise: nil)
                for body in heldBody { context.write(handler.wrap(.body(.byteBuffer(body))), promise: nil) }
                heldBody = []
            }
            let keepAlive = head.isKeepAlive
            // The process has sent its whole answer: nothing of this request is left for it to do.
            finish(reusable: upstreamKeepsAlive && requestEnded)
            if keepAlive {
                context.writeAndFlush(handler.wrap(.end(nil)), promise: nil)
            } else {
                let written = context.eventLoop.makePromise(of: Void.self)
                context.writeAndFlush(handler.wrap(.end(nil)), promise: written)
                written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            }
            handler.exchangeEnded(self, closeClient: false)
        }
    }

    func upstreamReadComplete() {
        handler.clientContext?.flush()
    }

    func upstreamWritabilityChanged() {
        if upstream?.isWritable ?? false { handler.upstreamBecameWritable() }
    }

    func upstreamFailed() {
        guard !isOver else { return }
        if responseStarted {
            // The head has gone out: the client can only learn of the failure by its connection closing.
            finish(reusable: false)
            handler.exchangeEnded(self, closeClient: true)
        } else {
            fail(status: .badGateway, html: EdgePage.upstreamUnavailable(host: host))
        }
    }

    /// Ends the exchange with an error page (nothing of the response has been sent yet).
    private func fail(status: HTTPResponseStatus, html: String) {
        guard !isOver else { return }
        finish(reusable: false)
        handler.answerFailure(self, status: status, html: html)
    }

    /// Ends the request once: the timer stops, the connection goes back to the pool or is closed.
    private func finish(reusable: Bool) {
        isOver = true
        headDeadline = nil
        inFlight.end()
        if let upstream {
            self.upstream = nil
            handler.release(upstream, reusable: reusable)
        }
        buffered = []
    }
}

extension ServiceProxyHandler {
    /// Gives a connection back to this loop's pool.
    fileprivate func release(_ connection: UpstreamConnection, reusable: Bool) {
        if let pool { pool.release(connection, reusable: reusable) } else { connection.close() }
    }
}
