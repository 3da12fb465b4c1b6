import NIOCore
import Synchronization

/// Files of builds held in memory, ready to write: the prepared head of their whole `200` answer and, for files small
/// enough, their bytes. At most `budget` bytes in all; the entry used longest ago goes first. Builds never change, so
/// an entry never goes stale: a file is known by its real path and the name its type comes from.
final class StaticFileCache: Sendable {
    struct Entry: Sendable {
        /// The status line and the fields of a whole `200`, without `Date`, `Connection` and the empty line.
        var head: ByteBuffer
        /// The file's bytes; nil for a file sent from disk.
        var body: ByteBuffer?
        /// The memory it holds: its buffers' capacities (NIO allocates in powers of two, so a 150 KiB file takes
        /// 256 KiB), which is what the budget bounds.
        var cost: Int { head.capacity + (body?.capacity ?? 0) }
    }

    let budget: Int
    private let state = Mutex(State())

    private struct State {
        var entries: [String: (entry: Entry, lastUse: UInt64)] = [:]
        var used = 0
        var clock: UInt64 = 0
    }

    init(budget: Int) {
        self.budget = budget
    }

    /// How many bytes the entries take now.
    var usedBytes: Int { state.withLock { $0.used } }

    /// The entry of `key`, marked as used now.
    func entry(_ key: String) -> Entry? {
        state.withLock { state in
            guard let found = state.entries[key] else { return nil }
            state.clock += 1
            state.entries[key] = (found.entry, state.clock)
            return found.entry
        }
    }

    /// Keeps `entry`, letting the least recently used go until it fits; an entry larger than the whole budget is
    /// not kept.
    func insert(_ entry: Entry, for key: String) {
        let cost = entry.cost
        guard cost <= budget else { return }
        state.withLock { state in
            if let old = state.entries.removeValue(forKey: key) { state.used -= old.entry.cost }
            while state.used + cost > budget, let oldest = state.entries.min(by: { $0.value.lastUse < $1.value.lastUse }) {
                state.entries[oldest.key] = nil
                state.used -= oldest.value.entry.cost
            }
            state.clock += 1
            state.entries[key] = (entry, state.clock)
            state.used += cost
        }
    }
}
