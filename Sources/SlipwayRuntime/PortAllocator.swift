import Foundation
import SlipwayCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Hands out loopback ports for service processes from a range: a port is given only when nothing listens on it
/// and no other process of ours holds it; it goes back to the pool when that process stops.
public final class PortAllocator: Sendable {
    public let range: ClosedRange<Int>
    private struct State {
        var taken: Set<Int> = []
        var next: Int
    }

    private let state: Mutex<State>
    /// Whether nothing else holds a port now (`isFree` on the real machine).
    private let portIsFree: @Sendable (Int) -> Bool

    /// An allocator of `range`; `portIsFree` tells whether nothing outside the allocator holds a port (a test's own
    /// answer instead of the machine's).
    public init(range: ClosedRange<Int> = 20000...29999, portIsFree: @escaping @Sendable (Int) -> Bool = PortAllocator.isFree) {
        self.range = range
        self.portIsFree = portIsFree
        // A random first port: two servers on one machine (or in one test run) rarely try the same ports at once.
        self.state = Mutex(State(next: Int.random(in: range)))
    }

    /// A free port of the range, taken until `release`.
    public func allocate() throws -> Int {
        try state.withLock { state in
            for _ in 0..<range.count {
                let candidate = state.next
                state.next = candidate == range.upperBound ? range.lowerBound : candidate + 1
                if !state.taken.contains(candidate), portIsFree(candidate) {
                    state.taken.insert(candidate)
                    return candidate
                }
            }
            throw ServiceFailure("no free port left in \(range.lowerBound)-\(range.upperBound)")
        }
    }

    /// Marks a fixed port (a project's own `port`) as held by one of our processes.
    public func take(_ port: Int) {
        _ = state.withLock { $0.taken.insert(port) }
    }

    public func release(_ port: Int) {
        _ = state.withLock { $0.taken.remove(port) }
    }

    /// Whether a listening socket could be bound to `127.0.0.1:port` now.
    public static func isFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var reuse: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        return LoopbackAddress.with(port: port) { bind(fd, $0, $1) } == 0
    }
}
