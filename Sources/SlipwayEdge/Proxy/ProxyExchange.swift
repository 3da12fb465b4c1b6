import NIOCore
import NIOHTTP1
import SlipwayCore

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
    /// Where the process listens.
    let address: ServiceAddress
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
    /// The edge's request figures; nil: metrics off.
    private let metrics: EdgeMetrics?
    /// When the request's head was read (`EdgeMetrics.now()`, while metrics are on).
    private let startedAt: UInt64
    /// The status of the response head relayed (0 until one came).
    private var responseStatus = 0
    /// The bytes of the response relayed to the client so far, counted while metrics are on.
    private var responseBytes = 0

    deinit {
        if isInFlight { endpoints.endRequest(to: deploymentID) }
    }

    /// The largest body, by its `Content-Length`, that is held until it is complete before the head goes out.
    /// Larger bodies stream.
    static let smallBodyLimit = 64 << 10

    init(
        handler: EdgeConnectionHandler, request: RequestHead, routeKey: String, address: ServiceAddress, requestBody: BodyFraming,
        endpoints: ServiceEndpoints, deploymentID: Int64, responseHeadTimeout: TimeAmount, metrics: EdgeMetrics? = nil,
        startedAt: UInt64 = 0
    ) {
        self.metrics = metrics
        self.startedAt = startedAt
        self.handler = handler
        self.request = request
        self.routeKey = routeKey
        self.address = address
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
        let deadline = handler.now + responseHeadTimeout
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
                if metrics != nil { responseBytes &+= slice.readableBytes }
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
        responseStatus = head.status
        upstreamReusable = upstreamReusable && head.keepsAlive && !request.isHTTP10 && !body.endsWithConnection
        closesClient = !request.keepAlive || body.endsWithConnection || handler.closesAfterExchange
        let connection: ProxyHeaders.ClientConnection = closesClient ? .close : request.isHTTP10 ? .keepAlive : .unsaid
        responseBody = body
        if !body.isComplete, let length = head.contentLength, length <= Self.smallBodyLimit {
            held = ProxyHeaders.clientResponse(
                headBytes, head, connection: connection, bodyCapacity: length, addedLines: handler.addedResponseLines)
            return
        }
        responseStarted = true
        handler.writeToClient(ProxyHeaders.clientResponse(headBytes, head, connection: connection, addedLines: handler.addedResponseLines))
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
        metrics?.record(.proxy, status: responseStatus, since: startedAt, bytes: responseBytes)
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
        if let metrics {
            metrics.record(.proxy, status: Int(status.code), since: startedAt, bytes: 0)
            metrics.recordUpstreamError(project: EdgeMetrics.project(ofRouteKey: routeKey), status: Int(status.code))
        }
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
