import Foundation
import NIOCore
import NIOEmbedded
import SlipwayCore
import Testing

@testable import SlipwayEdge

/// The limits of a client connection, on `EdgeConnectionHandler` alone in an `EmbeddedChannel` whose event loop is
/// the clock: the head and idle deadlines, the cap per client address, 400 for two `Host` lines and 508 for a
/// request that carries the edge's own mark.
@Suite struct ClientConnectionLimitsTests {
    static let limits = ClientConnectionLimits(requestHeadTimeout: .seconds(30), idleTimeout: .seconds(75), maximumConnectionsPerAddress: 2)

    /// One client connection: the edge's handler with a stand-in for Hummingbird that answers `200 ok` to each head.
    struct Connection {
        let channel: EmbeddedChannel
        let loop: EmbeddedEventLoop

        init(proxy: ServiceProxy, address: String = "192.0.2.1", answering: Bool = true) throws {
            loop = EmbeddedEventLoop()
            let handler = proxy.makeHandler(http1Handlers: { edge, pipeline in
                try pipeline.addHandler(CannedResponder(edge: edge, answering: answering))
            })
            channel = EmbeddedChannel(handler: handler, loop: loop)
            // The client's address as the edge reads it; an embedded channel has no socket, the port is nominal.
            let remote = try SocketAddress(ipAddress: address, port: 1)
            channel.remoteAddress = remote
            try channel.connect(to: remote).wait()
        }

        func send(_ text: String) throws {
            try channel.writeInbound(ByteBuffer(string: text))
        }

        /// Everything the client got so far.
        func received() throws -> String {
            var text = ""
            while let buffer = try channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
            return text
        }

        func advance(_ seconds: Int64) {
            loop.advanceTime(by: .seconds(seconds))
        }

        var isOpen: Bool { channel.isActive }
    }

    static func proxy(_ limits: ClientConnectionLimits = limits) -> ServiceProxy {
        ServiceProxy(domain: "localhost", routes: RouteTable(), endpoints: ServiceEndpoints(), clientLimits: limits)
    }

    @Test func aConnectionThatSendsNothingClosesAtTheHeadDeadline() throws {
        let connection = try Connection(proxy: Self.proxy())
        connection.advance(29)
        #expect(connection.isOpen)
        connection.advance(2)
        #expect(!connection.isOpen)
        #expect(try connection.received() == "")
    }

    @Test func aHeadTrickledInByteByByteGets408AtTheDeadlineOfItsConnection() throws {
        let connection = try Connection(proxy: Self.proxy())
        for byte in "GET / HTTP/1.1\r\nHost: loca" {
            try connection.send(String(byte))
            connection.advance(1)
        }
        #expect(connection.isOpen)
        connection.advance(5)
        #expect(try connection.received().hasPrefix("HTTP/1.1 408 Request Timeout\r\n"))
        #expect(!connection.isOpen)
    }

    @Test func aKeptAliveConnectionIdlesForTheIdleTimeoutAfterEachResponse() throws {
        let connection = try Connection(proxy: Self.proxy())
        connection.advance(20)
        try connection.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(try connection.received().hasPrefix("HTTP/1.1 200 OK\r\n"))
        // Past the head deadline of the connection's start: idle time counts from the response.
        connection.advance(74)
        #expect(connection.isOpen)
        try connection.send("GET /again HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(try connection.received().hasPrefix("HTTP/1.1 200 OK\r\n"))
        connection.advance(74)
        #expect(connection.isOpen)
        connection.advance(2)
        #expect(!connection.isOpen)
        #expect(try connection.received() == "")
    }

    @Test func theFirstByteOfTheNextRequestStartsItsHeadDeadline() throws {
        let connection = try Connection(proxy: Self.proxy())
        try connection.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        _ = try connection.received()
        connection.advance(60)
        try connection.send("GET /sl")
        // The idle deadline (75 s after the response) no longer holds: the head has 30 s from its first byte.
        connection.advance(29)
        #expect(connection.isOpen)
        connection.advance(2)
        #expect(try connection.received().hasPrefix("HTTP/1.1 408 Request Timeout\r\n"))
        #expect(!connection.isOpen)
    }

    @Test func aRequestBeingAnsweredHasNoDeadlineOfTheConnection() throws {
        let connection = try Connection(proxy: Self.proxy(), answering: false)
        try connection.send("GET /slow HTTP/1.1\r\nHost: localhost\r\n\r\n")
        connection.advance(600)
        #expect(connection.isOpen)
    }

    @Test func aRequestWithTwoHostLinesIs400AndTheConnectionCloses() throws {
        let connection = try Connection(proxy: Self.proxy())
        try connection.send("GET / HTTP/1.1\r\nHost: localhost\r\nHost: app.localhost\r\n\r\n")
        let answer = try connection.received()
        #expect(answer.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        #expect(answer.contains("Connection: close\r\n"))
        #expect(answer.contains("more than one Host header"))
        #expect(!connection.isOpen)
    }

    @Test func aRequestCarryingTheEdgesOwnMarkIs508AndAnyOtherMarkIsServed() throws {
        let proxy = Self.proxy()
        let marked = try Connection(proxy: proxy)
        try marked.send("GET / HTTP/1.1\r\nHost: app.localhost\r\nSlipway-Forwarded-By: \(proxy.forwardingMark.token)\r\n\r\n")
        let answer = try marked.received()
        #expect(answer.hasPrefix("HTTP/1.1 508 Loop Detected\r\n"))
        #expect(!marked.isOpen)

        let other = try Connection(proxy: proxy)
        try other.send("GET / HTTP/1.1\r\nHost: app.localhost\r\nSlipway-Forwarded-By: 0123456789abcdef0123456789abcdef\r\n\r\n")
        #expect(try other.received().hasPrefix("HTTP/1.1 200 OK\r\n"))
    }

    @Test func anAddressGetsItsMaximumOfConnectionsAndAnotherAddressIsNotCounted() throws {
        let proxy = Self.proxy()
        let first = try Connection(proxy: proxy)
        let second = try Connection(proxy: proxy)
        let third = try Connection(proxy: proxy)
        #expect(first.isOpen && second.isOpen)
        #expect(!third.isOpen)
        let elsewhere = try Connection(proxy: proxy, address: "192.0.2.2")
        #expect(elsewhere.isOpen)
        #expect(proxy.clientConnections.count("192.0.2.1") == 2)

        try first.channel.close().wait()
        #expect(proxy.clientConnections.count("192.0.2.1") == 1)
        let again = try Connection(proxy: proxy)
        #expect(again.isOpen)
    }

    @Test func theDeadlineValueMovesWithTheConnectionAndSchedulesNothing() {
        var deadline = ClientDeadline(Self.limits)
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
        #expect(deadline.expiry(now: start) == .none)
        deadline.awaitHead(now: start)
        #expect(deadline.expiry(now: start + .seconds(29)) == .rearm(start + .seconds(30)))
        #expect(deadline.expiry(now: start + .seconds(30)) == .expired(.head))
        deadline.requestStarted()
        #expect(deadline.expiry(now: start + .seconds(3000)) == .none)
        deadline.awaitNextRequest(now: start + .seconds(40))
        #expect(deadline.expiry(now: start + .seconds(100)) == .rearm(start + .seconds(115)))
        #expect(deadline.expiry(now: start + .seconds(115)) == .expired(.idle))
    }
}

/// Stands in for Hummingbird's handlers behind the edge: answers each request head it gets with `200 ok` and tells
/// the edge the response has ended (unless it is not `answering`: the request then stays in progress).
final class CannedResponder: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let edge: EdgeConnectionHandler
    private let answering: Bool
    private var received = ""

    init(edge: EdgeConnectionHandler, answering: Bool) {
        self.edge = edge
        self.answering = answering
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        received += String(buffer: unwrapInboundIn(data))
        guard let end = received.range(of: "\r\n\r\n") else { return }
        received.removeSubrange(received.startIndex..<end.upperBound)
        guard answering else { return }
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")), promise: nil)
        edge.passedResponseEnded()
    }
}
