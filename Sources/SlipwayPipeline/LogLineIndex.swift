import Foundation
import SlipwayCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Line numbers for deployment logs, which have no index of their own: per log, where every 1,024th line starts,
/// found by counting newlines (no record is decoded) and grown as the log grows, so a log is counted once and then
/// only its new bytes. A line number is then a lookup and at most 1,023 newlines counted.
///
/// Memory stays bounded: about 8 bytes per 1,024 lines (a million-line log: 8 KiB), for the `capacity` logs used
/// last. When a live service's segments rotate (their oldest lines are removed) or a log file shrinks (deleted and
/// written again), the log is counted again: line numbers count the lines that exist.
final class LogLineIndex: Sendable {
    /// Every how many lines a start is kept.
    static let stride = 1024

    /// One file of a log and where its bytes sit among the log's offsets.
    struct Part: Equatable {
        var path: String
        /// The offset of the file's first byte.
        var start: Int64
        /// Where the part ends (the next part starts), or nil for the last part.
        var end: Int64?
    }

    /// What is known of one log.
    struct Entry {
        /// What the log's parts looked like when counted; a change other than growth means counting again.
        var shape: [Int64]
        /// `starts[k]`: where line `k * stride + 1` starts.
        var starts: [Int64] = [0]
        /// The whole lines counted.
        var count = 0
        /// Just past the last whole line counted.
        var end: Int64 = 0
        /// For evicting the least recently used.
        var lastUse: UInt64 = 0
    }

    private struct State {
        var entries: [UUID: Entry] = [:]
        var uses: UInt64 = 0
    }

    private let state = Mutex(State())
    /// How many logs are remembered.
    let capacity: Int
    /// Bytes read at a time.
    let chunkSize: Int

    init(capacity: Int = 64, chunkSize: Int = 256 * 1024) {
        self.capacity = capacity
        self.chunkSize = chunkSize
    }

    /// The log's entry, counted up to its current end. The count runs outside the lock: two readers of a new log
    /// may both count it, and either result is right.
    func entry(for uid: UUID, parts: [Part], shape: [Int64]) throws -> Entry {
        var entry = state.withLock { $0.entries[uid] } ?? Entry(shape: shape)
        if entry.shape != shape || entry.end > Self.size(of: parts) { entry = Entry(shape: shape) }
        var count = entry.count
        var end = entry.end
        var starts = entry.starts
        try forEachNewline(in: parts, from: entry.end) { offset in
            count += 1
            end = offset
            if count % Self.stride == 0 { starts.append(offset) }
            return true
        }
        entry.count = count
        entry.end = end
        entry.starts = starts
        let counted = entry
        state.withLock { state in
            state.uses += 1
            var stored = counted
            stored.lastUse = state.uses
            state.entries[uid] = stored
            if state.entries.count > capacity, let oldest = state.entries.min(by: { $0.value.lastUse < $1.value.lastUse })?.key {
                state.entries[oldest] = nil
            }
        }
        return counted
    }

    /// Where 1-based line `number` starts in a counted log; its end when the log has fewer lines.
    func position(ofLine number: Int, in entry: Entry, parts: [Part]) throws -> LogPosition {
        let index = max(0, number - 1)
        guard index < entry.count else { return LogPosition(offset: entry.end, linesBefore: entry.count, lineCount: entry.count) }
        var offset = entry.starts[index / Self.stride]
        var remaining = index % Self.stride
        if remaining > 0 {
            try forEachNewline(in: parts, from: offset) { next in
                offset = next
                remaining -= 1
                return remaining > 0
            }
        }
        return LogPosition(offset: offset, linesBefore: index, lineCount: entry.count)
    }

    /// How many whole lines of a counted log end at or before `offset`.
    func position(ofOffset offset: Int64, in entry: Entry, parts: [Part]) throws -> LogPosition {
        guard offset < entry.end else { return LogPosition(offset: offset, linesBefore: entry.count, lineCount: entry.count) }
        // The last kept start at or before `offset`.
        var low = 0
        var high = entry.starts.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if entry.starts[middle] <= offset { low = middle } else { high = middle - 1 }
        }
        var before = low * Self.stride
        try forEachNewline(in: parts, from: entry.starts[low]) { next in
            guard next <= offset else { return false }
            before += 1
            return true
        }
        return LogPosition(offset: offset, linesBefore: before, lineCount: entry.count)
    }

    /// The end of the log's bytes: where its last part ends now.
    static func size(of parts: [Part]) -> Int64 {
        guard let last = parts.last else { return 0 }
        var status = stat()
        guard stat(last.path, &status) == 0 else { return last.start }
        return last.start + Int64(status.st_size)
    }

    /// Calls `body` with the offset just past each newline at or after `from`, in order, until it returns false or
    /// the log's bytes end.
    func forEachNewline(in parts: [Part], from: Int64, _ body: (Int64) -> Bool) throws {
        var buffer = [UInt8](repeating: 0, count: max(1, chunkSize))
        for part in parts {
            if let end = part.end, from >= end { continue }
            let fd = open(part.path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                if errno == ENOENT { continue }
                throw PipelineError("cannot open the log file \(part.path): \(String(cString: strerror(errno)))")
            }
            defer { close(fd) }
            var status = stat()
            var size = fstat(fd, &status) == 0 ? Int64(status.st_size) : 0
            if let end = part.end { size = min(size, end - part.start) }
            var position = max(0, from - part.start)
            while position < size {
                let wanted = Int(min(Int64(buffer.count), size - position))
                let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, wanted, off_t(position)) }
                if count < 0 {
                    if errno == EINTR { continue }
                    throw PipelineError("cannot read the log file \(part.path): \(String(cString: strerror(errno)))")
                }
                if count == 0 { break }
                let goOn = buffer.withUnsafeBytes { bytes -> Bool in
                    let base = bytes.baseAddress!
                    var index = 0
                    while index < count, let found = memchr(base + index, 0x0A, count - index) {
                        let newline = base.distance(to: UnsafeRawPointer(found))
                        if !body(part.start + position + Int64(newline) + 1) { return false }
                        index = newline + 1
                    }
                    return true
                }
                if !goOn { return }
                position += Int64(count)
            }
        }
    }
}
