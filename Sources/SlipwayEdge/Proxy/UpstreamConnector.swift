import NIOCore
import NIOPosix
import SlipwayCore

/// How the edge opens a connection to a service process. `sockets` dials it for real (`UpstreamDialer`); a test gives
/// channels of its own (an `EmbeddedChannel` on the client connection's `EmbeddedEventLoop`) and so drives both sides
/// of a relay, and its clock, by hand. Only a new upstream connection goes through it, never a pooled one.
struct UpstreamConnector: Sendable {
    /// What the connection is for.
    enum Use: Sendable {
        /// A keep-alive connection of a pool, for one exchange at a time (`TCP_NODELAY`, reads as they come).
        case exchange
        /// One side of an `UpgradeTunnel` (its relay reads for itself).
        case tunnel
    }

    /// Opens a channel to `address` on `eventLoop` within `timeout`, its pipeline set up by `initializer` before it
    /// becomes active.
    typealias Connect =
        @Sendable (
            _ address: ServiceAddress, _ use: Use, _ eventLoop: any EventLoop, _ timeout: TimeAmount,
            _ initializer: @escaping @Sendable (any Channel) -> EventLoopFuture<Void>
        ) -> EventLoopFuture<any Channel>

    let connect: Connect

    init(_ connect: @escaping Connect) {
        self.connect = connect
    }

    /// Real TCP connections on the host's loopback or in the service's namespace.
    static let sockets = UpstreamConnector { address, use, eventLoop, timeout, initializer in
        let bootstrap =
            switch use {
            case .exchange: ClientBootstrap(group: eventLoop).channelOption(.socketOption(.tcp_nodelay), value: 1)
            case .tunnel: ClientBootstrap(group: eventLoop).channelOption(.autoRead, value: false)
            }
        return UpstreamDialer.connect(bootstrap.channelInitializer(initializer), to: address, on: eventLoop, timeout: timeout)
    }
}
