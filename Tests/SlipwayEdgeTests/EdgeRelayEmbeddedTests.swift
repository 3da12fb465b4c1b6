import Foundation
import NIOCore
import NIOEmbedded
import SlipwayCore
import Testing

@testable import SlipwayEdge

/// `EdgeConnectionHandler` and its `ProxyExchange` with both sides in `EmbeddedChannel`s on one `EmbeddedEventLoop`:
/// the client's connection, and every upstream connection the edge opens (through an `UpstreamConnector` that hands
/// out embedded channels). The test writes the client's and the process's bytes itself, reads what the edge sent each
/// of them, and moves the loop's clock: the relay's states and its deadlines, with no socket and no real time.
@Suite struct EdgeRelayEmbeddedTests {
    static let service: Int64 = 10
    /// The port the route's process "listens" on: nothing is dialled, the connector gives an embedded channel instead.
    static let nominalServicePort = 8080

    /// One client connection to the edge, the route `app` → deployment 10 (a service), and the upstream channels.
    final class Harness {
        let loop = EmbeddedEventLoop()
        let upstreams: EmbeddedUpstreams
        let endpoints = ServiceEndpoints()
        let proxy: ServiceProxy
        let client: EmbeddedChannel
        /// The stand-in for Hummingbird (requests that are not for a service), once the edge has added it.
        private(set) var hummingbird: HeldResponder?

        init(responseHeadTimeout: Duration = .seconds(60), connectsAtOnce: Bool = true) throws {
            upstreams = EmbeddedUpstreams(loop: loop, connectsAtOnce: connectsAtOnce)
            let routes = RouteTable()
            routes.set(["app": RouteTarget(deploymentID: EdgeRelayEmbeddedTests.service, buildID: UUID(), kind: .service)])
            endpoints.setPort(EdgeRelayEmbeddedTests.nominalServicePort, for: EdgeRelayEmbeddedTests.service)
            proxy = ServiceProxy(
                domain: "localhost", routes: routes, endpoints: endpoints,
                configuration: .init(responseHeadTimeout: responseHeadTimeout),
                clientLimits: ClientConnectionLimits(requestHeadTimeout: .seconds(30), idleTimeout: .seconds(75)),
                upstreamConnector: upstreams.connector)
            client = EmbeddedChannel(loop: loop)
            let handler = proxy.makeHandler(http1Handlers: { [unowned self] edge, pipeline in
                let responder = HeldResponder(edge: edge)
                self.hummingbird = responder
                try pipeline.addHandler(responder)
            })
            try client.pipeline.syncOperations.addHandler(handler)
            let remote = try SocketAddress(ipAddress: "192.0.2.1", port: 1)
            client.remoteAddress = remote
            try client.connect(to: remote).wait()
        }

        /// The client sends `text`.
        func send(_ text: String) throws {
            try client.writeInbound(ByteBuffer(string: text))
        }

        /// Everything the client got since the last call.
        func received() throws -> String {
            try EmbeddedUpstreams.drain(client)
        }

        /// The one upstream connection the edge opened.
        func upstream(_ index: Int = 0) throws -> EmbeddedChannel {
            try #require(upstreams.channels.count > index, "the edge opened \(upstreams.channels.count) upstream connections")
            return upstreams.channels[index]
        }

        /// What the edge sent the process over `upstream` since the last call.
        func sentUpstream(_ index: Int = 0) throws -> String {
            try EmbeddedUpstreams.drain(try upstream(index))
        }

        /// The process answers with `text`.
        func answer(_ text: String, on index: Int = 0) throws {
            try upstream(index).writeInbound(ByteBuffer(string: text))
        }

        var inFlight: Int { endpoints.inFlight(to: EdgeRelayEmbeddedTests.service) }
    }

    // MARK: - The client's deadlines, exactly

    @Test func halfAHeadGets408ExactlyWhenTheHeadDeadlineOfItsConnectionPassesNotBefore() throws {
        let harness = try Harness()
        harness.loop.advanceTime(by: .seconds(10))
        try harness.send("GET / HTTP/1.1\r\nHost: app.loc")
        harness.loop.advanceTime(by: .seconds(20) - .nanoseconds(1))
        #expect(harness.client.isActive, "open until 30 s after the connection started")
        #expect(try harness.received() == "")
        harness.loop.advanceTime(by: .nanoseconds(1))
        #expect(try harness.received() == "HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        #expect(!harness.client.isActive)
        #expect(harness.upstreams.channels.isEmpty)
    }

    @Test func aKeptAliveConnectionClosesExactlyAtItsIdleDeadlineAfterAProxiedResponse() throws {
        let harness = try Harness()
        try harness.send("GET / HTTP/1.1\r\nHost: app.localhost\r\n\r\n")
        // Past the connection's head deadline (30 s), short of the response head's (60 s): an exchange has no
        // deadline of the client's.
        harness.loop.advanceTime(by: .seconds(59))
        try harness.answer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        #expect(try harness.received() == "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        harness.loop.advanceTime(by: .seconds(75) - .nanoseconds(1))
        #expect(harness.client.isActive)
        harness.loop.advanceTime(by: .nanoseconds(1))
        #expect(!harness.client.isActive)
        #expect(try harness.received() == "", "an idle connection closes without a word")
    }

    @Test func anUnusedPooledConnectionClosesAtThePoolsIdleTimeout() throws {
        let harness = try Harness()
        try harness.send("GET / HTTP/1.1\r\nHost: app.localhost\r\n\r\n")
        try harness.answer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        // The pool's default idle timeout is 60 s (swept every 15 s).
        harness.loop.advanceTime(by: .seconds(60) - .nanoseconds(1))
        #expect(try harness.upstream().isActive)
        harness.loop.advanceTime(by: .nanoseconds(1))
        #expect(!(try harness.upstream().isActive))
        #expect(harness.client.isActive)
        try harness.send("GET /later HTTP/1.1\r\nHost: app.localhost\r\n\r\n")
        #expect(try harness.sentUpstream(1).hasPrefix("GET /later HTTP/1.1\r\n"), "the next request gets a new connection")
    }

    // MARK: - Pipelining

    @Test func pipelinedRequestsForHummingbirdArePassedOnOneAtATimeAndAnsweredInOrder() throws {
        let harness = try Harness()
        try harness.send("GET /first HTTP/1.1\r\nHost: localhost\r\n\r\nGET /second HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let hummingbird = try #require(harness.hummingbird)
        #expect(hummingbird.paths == ["/first"], "the second request waits until the first has been answered")
        hummingbird.answer("one")
        #expect(hummingbird.paths == ["/first", "/second"])
        hummingbird.answer("two")
        #expect(try harness.received() == "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\noneHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo")
    }

    @Test func pipelinedRequestsForAServiceGoOneAtATimeOverOneUpstreamConnectionAndAreAnsweredInOrder() throws {
        let harness = try Harness()
        try harness.send("GET /first HTTP/1.1\r\nHost: app.localhost\r\n\r\nGET /second HTTP/1.1\r\nHost: app.localhost\r\n\r\n")
        let first = try harness.sentUpstream()
        #expect(first.hasPrefix("GET /first HTTP/1.1\r\n"))
        #expect(!first.contains("/second"), "the second request waits for the first's response")
        try harness.answer("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none")
        #expect(try harness.received() == "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none")
        #expect(try harness.sentUpstream().hasPrefix("GET /second HTTP/1.1\r\n"), "the pooled connection carries the next one")
        try harness.answer("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo")
        #expect(try harness.received() == "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo")
        #expect(harness.upstreams.channels.count == 1)
        #expect(harness.inFlight == 0)
    }

    // MARK: - The relay's states

    @Test func aRequestIsForwardedWithTheEdgesHeadersAndItsResponseRelayedWithoutHopByHopOnes() throws {
        let harness = try Harness()
        try harness.send("POST /submit?x=1 HTTP/1.1\r\nHost: app.localhost\r\nContent-Length: 5\r\nKeep-Alive: timeout=5\r\n\r\nhel")
        let head = try harness.sentUpstream()
        #expect(head.hasPrefix("POST /submit?x=1 HTTP/1.1\r\nHost: app.localhost\r\nContent-Length: 5\r\n"))
        #expect(head.contains("X-Forwarded-For: 192.0.2.1\r\n"))
        #expect(head.contains("Slipway-Forwarded-By: \(harness.proxy.forwardingMark.token)\r\n"))
        #expect(!head.contains("Keep-Alive"))
        #expect(head.hasSuffix("\r\n\r\nhel"))
        #expect(harness.inFlight == 1)
        try harness.send("lo")
        #expect(try harness.sentUpstream() == "lo", "the rest of the body follows as it comes")

        try harness.answer("HTTP/1.1 201 Created\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nContent-Length: 4\r\n\r\ndone")
        #expect(try harness.received() == "HTTP/1.1 201 Created\r\nContent-Length: 4\r\n\r\ndone")
        #expect(harness.inFlight == 0)
        #expect(harness.client.isActive)
        #expect(try harness.upstream().isActive, "a clean exchange leaves its connection open for the next")
    }

    @Test func bytesSentBeforeTheUpstreamConnectionIsOpenGoOutOnceItIs() throws {
        let harness = try Harness(connectsAtOnce: false)
        try harness.send("POST / HTTP/1.1\r\nHost: app.localhost\r\nContent-Length: 4\r\n\r\nab")
        try harness.send("cd")
        #expect(try harness.sentUpstream() == "", "nothing goes out before the connection is open")
        try harness.upstreams.completeConnect()
        let sent = try harness.sentUpstream()
        #expect(sent.hasPrefix("POST / HTTP/1.1\r\n"))
        #expect(sent.hasSuffix("\r\n\r\nabcd"))
    }

    @Test func aConnectionThatCannotBeOpenedIsABadGatewayAndTheClientStays() throws {
        let harness = try Harness(connectsAtOnce: false)
        try harness.send("GET / HTTP/1.1\r\nHost: app.localhost\r\n\r\n")
        harness.upstreams.failConnect()
        #expect(try harness.received().hasPrefix("HTTP/1.1 502 Bad Gateway\r\n"))
        #expect(harness.client.isActive)
        #expect(harness.inFlight == 0)
    }

    @Test func aResponseHeadLaterThanTheTimeoutIsA504ExactlyAtTheDeadline() throws {
        let harness = try Harness(responseHeadTimeout: .seconds(60))
        harness.loop.advanceTime(by: .seconds(3))
        try harness.send("GET /slow HTTP/1.1\r\nHost: app.localhost\r\n\r\n")
        harness.loop.advanceTime(by: .seconds(60) - .nanoseconds(1))
        #expect(try harness.received() == "")
        #expect(harness.inFlight == 1)
        harness.loop.advanceTime(by: .nanoseconds(1))
        #expect(try harness.received().hasPrefix("HTTP/1.1 504 Gateway Timeout\r\n"))
        #expect(harness.inFlight == 0)
        #expect(!(try harness.upstream().isActive), "the late process's connection is not reused")
        #expect(harness.client.isActive, "the client keeps its connection")
    }

    @Test func theResponseHeadTimerStopsWhenTheHeadComesAndTheBodyHasNoTimeLimit() throws {
        let harness = try Harness(responseHeadTimeout: .seconds(60))
        try harness.send("GET /stream HTTP/1.1\r\nHost: app.localhost\r\n\r\n")
        harness.loop.advanceTime(by: .seconds(59))
        try harness.answer("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\nfirst")
        harness.loop.advanceTime(by: .seconds(600))
        #expect(try harness.received() == "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\nfirst")
        #expect(harness.client.isActive)
        #expect(harness.inFlight == 1)
    }

    @Test func anUpstreamThatClosesMidResponseClosesTheClientAndEndsTheRequest() throws {
        let harness = try Harness()
        try harness.send("GET /large HTTP/1.1\r\nHost: app.localhost\r\n\r\n")
        // Longer than `ProxyExchange.smallBodyLimit`: the head and the body stream as they come.
        try harness.answer("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n0123456789")
        #expect(try harness.received() == "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n0123456789")
        #expect(harness.inFlight == 1)
        try harness.upstream().close().wait()
        #expect(!harness.client.isActive, "the client learns of the cut by its connection closing")
        #expect(try harness.received() == "")
        #expect(harness.inFlight == 0)
    }

    @Test func anUpstreamThatClosesWithinASmallResponseIsABadGatewayAndTheClientStays() throws {
        let harness = try Harness()
        try harness.send("GET / HTTP/1.1\r\nHost: app.localhost\r\n\r\n")
        try harness.answer("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npart")
        #expect(try harness.received() == "", "a small response is held until it is whole")
        try harness.upstream().close().wait()
        #expect(try harness.received().hasPrefix("HTTP/1.1 502 Bad Gateway\r\n"))
        #expect(harness.client.isActive)
        #expect(harness.inFlight == 0)
    }

    @Test func aClientThatClosesMidRequestClosesTheUpstreamAndEndsTheRequest() throws {
        let harness = try Harness()
        try harness.send("POST /upload HTTP/1.1\r\nHost: app.localhost\r\nContent-Length: 10\r\n\r\n1234")
        #expect(try harness.sentUpstream().hasSuffix("\r\n\r\n1234"))
        #expect(harness.inFlight == 1)
        try harness.client.close().wait()
        #expect(!(try harness.upstream().isActive), "a half-sent request's connection cannot be reused")
        #expect(harness.inFlight == 0)
    }

    @Test func aResponseThatComesBeforeTheWholeBodyEndsTheExchangeAndTheRestOfTheBodyIsDropped() throws {
        let harness = try Harness()
        try harness.send("POST /early HTTP/1.1\r\nHost: app.localhost\r\nContent-Length: 6\r\n\r\nab")
        try harness.answer("HTTP/1.1 413 Content Too Large\r\nContent-Length: 0\r\n\r\n")
        #expect(try harness.received() == "HTTP/1.1 413 Content Too Large\r\nContent-Length: 0\r\n\r\n")
        #expect(harness.inFlight == 0)
        #expect(!(try harness.upstream().isActive), "the process did not get the whole request: its connection is closed")
        try harness.send("cdef")
        try harness.send("GET /next HTTP/1.1\r\nHost: app.localhost\r\n\r\n")
        #expect(try harness.sentUpstream(1).hasPrefix("GET /next HTTP/1.1\r\n"), "the next request goes on a new connection")
    }

    @Test func aPooledConnectionTheProcessClosedGetsTheRequestAgainOnANewOne() throws {
        let harness = try Harness()
        try harness.send("GET /a HTTP/1.1\r\nHost: app.localhost\r\n\r\n")
        try harness.answer("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na")
        _ = try harness.received()
        _ = try harness.sentUpstream()
        try harness.send("GET /b HTTP/1.1\r\nHost: app.localhost\r\n\r\n")
        #expect(try harness.sentUpstream().hasPrefix("GET /b HTTP/1.1\r\n"), "the pooled connection is used first")
        try harness.upstream().close().wait()
        #expect(try harness.sentUpstream(1).hasPrefix("GET /b HTTP/1.1\r\n"), "then the request goes again on a new one")
        try harness.answer("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb", on: 1)
        #expect(try harness.received() == "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb")
    }

    @Test func whileTheClientCannotTakeMoreTheUpstreamIsNotRead() throws {
        let harness = try Harness()
        try harness.send("GET / HTTP/1.1\r\nHost: app.localhost\r\n\r\n")
        let reads = try #require(harness.upstreams.reads.first)
        let before = reads.count
        harness.client.isWritable = false
        harness.client.pipeline.fireChannelWritabilityChanged()
        try harness.upstream().read()
        #expect(reads.count == before, "no read of the upstream while the client is full")
        harness.client.isWritable = true
        harness.client.pipeline.fireChannelWritabilityChanged()
        #expect(reads.count == before + 1, "the held read goes on once the client takes more")
    }
}

/// The upstream connections of one test: each connection the edge opens is an `EmbeddedChannel` on the test's loop,
/// open at once or when the test says. Touched only on the test's thread (the embedded loop's), hence unchecked.
final class EmbeddedUpstreams: @unchecked Sendable {
    let loop: EmbeddedEventLoop
    let connectsAtOnce: Bool
    private(set) var channels: [EmbeddedChannel] = []
    /// The reads each channel's handlers asked for, in the order of `channels`.
    private(set) var reads: [ReadCounter] = []
    private var pending: [(channel: EmbeddedChannel, promise: EventLoopPromise<any Channel>)] = []

    init(loop: EmbeddedEventLoop, connectsAtOnce: Bool) {
        self.loop = loop
        self.connectsAtOnce = connectsAtOnce
    }

    var connector: UpstreamConnector {
        UpstreamConnector { [self] address, _, eventLoop, _, initializer in
            #expect(eventLoop === loop, "an upstream connection belongs to its client connection's loop")
            let channel = EmbeddedChannel(loop: loop)
            let counter = ReadCounter()
            do {
                try channel.pipeline.syncOperations.addHandler(counter)
                try initializer(channel).wait()
            } catch {
                return eventLoop.makeFailedFuture(error)
            }
            channels.append(channel)
            reads.append(counter)
            let promise = eventLoop.makePromise(of: (any Channel).self)
            pending.append((channel, promise))
            if connectsAtOnce { try? completeConnect() }
            return promise.futureResult
        }
    }

    /// The oldest connection being opened is open.
    func completeConnect() throws {
        let (channel, promise) = pending.removeFirst()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: EdgeRelayEmbeddedTests.nominalServicePort)).wait()
        promise.succeed(channel)
    }

    /// The oldest connection being opened was refused.
    func failConnect() {
        let (channel, promise) = pending.removeFirst()
        _ = channel.close()
        promise.fail(ChannelError.connectTimeout(.seconds(5)))
    }

    /// Everything written to `channel`'s outbound side since the last call.
    static func drain(_ channel: EmbeddedChannel) throws -> String {
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
        return text
    }
}

/// Counts the reads that reach the front of an upstream channel's pipeline (what `UpstreamConnection` lets through).
final class ReadCounter: ChannelOutboundHandler {
    typealias OutboundIn = ByteBuffer
    private(set) var count = 0

    func read(context: ChannelHandlerContext) {
        count += 1
        context.read()
    }
}

/// Stands in for Hummingbird's handlers behind the edge: records each request head it gets and answers only when the
/// test says (then tells the edge the response has ended, as `PassedResponseObserver` does).
final class HeldResponder: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let edge: EdgeConnectionHandler
    private var context: ChannelHandlerContext?
    private var received = ""
    /// The paths of the request heads received so far.
    private(set) var paths: [String] = []

    init(edge: EdgeConnectionHandler) {
        self.edge = edge
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        received += String(buffer: unwrapInboundIn(data))
        while let end = received.range(of: "\r\n\r\n") {
            let requestLine = received[..<end.lowerBound].prefix { $0 != "\r" }
            paths.append(String(requestLine.split(separator: " ")[1]))
            received.removeSubrange(received.startIndex..<end.upperBound)
        }
    }

    /// Answers the oldest unanswered request with `200` and `body`.
    func answer(_ body: String) {
        context?.writeAndFlush(
            wrapOutboundOut(ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")), promise: nil)
        edge.passedResponseEnded()
    }
}
