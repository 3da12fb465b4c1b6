import NIOCore
import Synchronization

/// What a client connection of the edge (and so of the API, which shares its listener) may hold: how long it may
/// take to send a request head, how long it may stay open between requests, and how many connections one client
/// address may have open at once (docs/security-connections.md).
public struct ClientConnectionLimits: Sendable {
    /// How long a client may take to send a whole request head, from its connection's start or from the first byte
    /// of the head: then the connection closes (a `408` first when part of a head came).
    public var requestHeadTimeout: Duration
    /// How long a kept-alive connection may wait for its next request after a response: then it closes.
    public var idleTimeout: Duration
    /// The most connections one client address may have open at once; a connection beyond it is closed at once.
    /// 0: no cap.
    public var maximumConnectionsPerAddress: Int

    /// The defaults: 30 s for a head, 75 s between requests (nginx's `keepalive_timeout`), 256 connections per
    /// address (a browser opens 6 per host, and a NAT of a few dozen busy clients stays well under it).
    public init(requestHeadTimeout: Duration = .seconds(30), idleTimeout: Duration = .seconds(75), maximumConnectionsPerAddress: Int = 256) {
        self.requestHeadTimeout = requestHeadTimeout
        self.idleTimeout = idleTimeout
        self.maximumConnectionsPerAddress = maximumConnectionsPerAddress
    }
}

/// The open client connections of one server, counted by client address, on every event loop.
final class ClientConnectionCounter: Sendable {
    private let open = Mutex<[String: Int]>([:])
    private let maximum: Int

    /// A counter that lets each address have `maximum` connections (0: any number).
    init(maximum: Int) {
        self.maximum = maximum
    }

    /// Counts a new connection from `address`; false (and not counted) when the address has its maximum already.
    func open(_ address: String) -> Bool {
        guard maximum > 0 else { return true }
        return open.withLock { open in
            let count = open[address, default: 0]
            guard count < maximum else { return false }
            open[address] = count + 1
            return true
        }
    }

    /// Forgets a connection that `open` counted.
    func close(_ address: String) {
        guard maximum > 0 else { return }
        open.withLock { open in
            let count = open[address, default: 0]
            open[address] = count > 1 ? count - 1 : nil
        }
    }

    /// How many connections `address` has open.
    func count(_ address: String) -> Int {
        open.withLock { $0[address, default: 0] }
    }
}

/// When a client connection must next have sent something, as a value: the connection handler tells it what the
/// connection is doing, and asks it, when its one timer fires, whether the deadline has passed. Each event takes
/// the time (the event loop's `now`, which `EmbeddedEventLoop` lets a test move) and schedules nothing.
struct ClientDeadline {
    /// What the connection waits for.
    enum Phase: Equatable {
        /// Nothing: a request is being answered, or the connection belongs to a tunnel.
        case none
        /// The rest of a request head (or the first head of a new connection).
        case head
        /// The next request of a kept-alive connection, of which no byte has come.
        case idle
        /// Anything at all, read or written: the connection went to NIO's decoder and its requests are not seen.
        case inactivity
    }

    /// What the handler does when its timer fires.
    enum Expiry: Equatable {
        /// Nothing to wait for any more: no timer.
        case none
        /// The deadline moved: the timer fires again at this time.
        case rearm(NIODeadline)
        /// The deadline has passed in this phase: the connection closes.
        case expired(Phase)
    }

    private(set) var phase = Phase.none
    private(set) var deadline = NIODeadline.distantFuture
    let headTimeout: TimeAmount
    let idleTimeout: TimeAmount

    init(_ limits: ClientConnectionLimits) {
        headTimeout = TimeAmount(limits.requestHeadTimeout)
        idleTimeout = TimeAmount(limits.idleTimeout)
    }

    /// A head is awaited from `now` on (a new connection, or the first byte of the next request came).
    mutating func awaitHead(now: NIODeadline) {
        phase = .head
        deadline = now + headTimeout
    }

    /// A response has ended and nothing of the next request has come: the connection idles from `now` on.
    mutating func awaitNextRequest(now: NIODeadline) {
        phase = .idle
        deadline = now + idleTimeout
    }

    /// A head has been read whole: the request is being answered, no deadline of the connection's own.
    mutating func requestStarted() {
        phase = .none
    }

    /// The connection went to NIO's decoder, or it read or wrote something since: it may stay quiet for the idle time.
    mutating func active(now: NIODeadline) {
        phase = .inactivity
        deadline = now + idleTimeout
    }

    /// Whether the deadline has passed at `now`, when the timer fires.
    func expiry(now: NIODeadline) -> Expiry {
        guard phase != .none else { return .none }
        return deadline <= now ? .expired(phase) : .rearm(deadline)
    }
}
