import Foundation
import Logging
import NIOCore
import NIOEmbedded
import SlipwayCore
import Testing

@testable import SlipwayEdge

/// A connection accepted as the server stops can be dropped by Hummingbird's server loop before anything serves it
/// (apple/swift-nio#2637). NIO traps when such a connection's async writer is released unfinished: the process died
/// (CI: "Deinited NIOAsyncWriter without calling finish()" as the connection became active). Now it is closed.
@Suite struct UnservedConnectionTests {
    @Test func aConnectionWhoseValueIsDroppedBeforeItIsActiveIsClosedAndNothingTraps() async throws {
        let proxy = ServiceProxy(domain: "localhost", routes: RouteTable(), endpoints: ServiceEndpoints())
        let edge = EdgeHTTP1Channel(responder: { _, _, _ in }, proxy: proxy)
        let channel = EmbeddedChannel()
        // What the server's loop would get, dropped at once (as when its task is cancelled): the future holding it
        // goes at the end of the statement.
        _ = edge.setup(channel: channel, logger: Logger(label: "test"))
        channel.embeddedEventLoop.run()
        // Becoming active releases the async handler's own reference to the writer: unfinished, NIO traps. The
        // dropped connection was closed instead, so it never becomes active.
        _ = try? await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 80)).get()
        channel.embeddedEventLoop.run()
        #expect(channel.isActive == false)
        try await channel.closeFuture.get()
    }
}
