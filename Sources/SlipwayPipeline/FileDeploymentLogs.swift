public import Foundation
public import SlipwayCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Reads deployment log files written by `DeploymentLogWriter`, in chunks, never whole into memory:
/// one read holds at most `Configuration.chunkSize` bytes of the file plus the lines it returns
/// (at most `limit` lines and about `Configuration.byteBudget` bytes of records).
public struct FileDeploymentLogs: DeploymentLogReader {
    /// How much one read may take from the file.
    public struct Configuration: Sendable {
        /// Bytes read from the file at a time.
        public var chunkSize: Int
        /// A read stops at the first line boundary after this many bytes of records (it always returns at least one line).
        public var byteBudget: Int
        /// A record longer than this is skipped instead of kept in memory (the writer never writes one: lines are at most 16 KiB).
        public var maximumRecordLength: Int

        /// The defaults: 64 KiB reads, about 1 MiB of records per read, records up to 1 MiB.
        public init(chunkSize: Int = 64 * 1024, byteBudget: Int = 1 << 20, maximumRecordLength: Int = 1 << 20) {
            self.chunkSize = chunkSize
            self.byteBudget = byteBudget
            self.maximumRecordLength = maximumRecordLength
        }
    }

    public let layout: DataLayout
    public let configuration: Configuration
    /// Line numbers of the logs read (shared by every copy of this reader).
    let lineIndex = LogLineIndex()

    /// Reads the logs under `layout.logs`.
    public init(layout: DataLayout, configuration: Configuration = Configuration()) {
        self.layout = layout
        self.configuration = configuration
    }

    /// A record as JSONDecoder reads it, for records not in the writer's own layout.
    private struct Record: Decodable {
        var ts: Int64
        var stream: LogStream
        var stage: StageName?
        var runtime: Bool?
        var line: String
    }

    /// Up to `limit` lines from byte `offset`, stopping early at about `configuration.byteBudget` bytes of records.
    /// Only whole lines are returned: a line still being written is left for the next read. A record that does not
    /// decode is skipped (its bytes still count towards `nextOffset`), so a reader never gets stuck on it.
    /// A service's output past the log's cap is read from its segments (`LogSegments`), whose offsets go on from
    /// the log file's; an offset whose segment has been rotated away reads on from the oldest line kept.
    public func read(deploymentUID: UUID, from offset: Int64, limit: Int) throws -> LogChunk {
        var position = max(0, offset)
        let logFile = layout.logFile(deploymentUID)
        guard let segments = LogSegments.load(layout: layout, deploymentUID: deploymentUID) else {
            return try read(file: logFile, from: position, end: nil, limit: limit)
        }
        // A part that has no whole line left before its end has nothing more to give (its writer went on in the
        // next part): the read goes on there.
        if position < segments.logEnd {
            let chunk = try read(file: logFile, from: position, end: segments.logEnd, limit: limit)
            if !chunk.lines.isEmpty { return chunk }
            position = segments.logEnd
        }
        for (index, start) in segments.starts.enumerated() {
            let end = index + 1 < segments.starts.count ? segments.starts[index + 1] : nil
            position = max(position, start)
            if let end, position >= end { continue }
            let chunk = try read(
                file: layout.logSegment(deploymentUID, start: start), from: position - start, end: end.map { $0 - start }, limit: limit)
            let lines = chunk.lines.map { (offset: $0.offset + start, line: $0.line) }
            let next = chunk.nextOffset + start
            guard let end, lines.isEmpty else { return LogChunk(lines: lines, nextOffset: next) }
            position = end
        }
        return LogChunk(lines: [], nextOffset: position)
    }

    /// Where 1-based line `number` starts (docs/logs.md "Line numbers").
    public func position(ofLine number: Int, deploymentUID: UUID) throws -> LogPosition {
        let (parts, shape) = lineParts(deploymentUID)
        let entry = try lineIndex.entry(for: deploymentUID, parts: parts, shape: shape)
        return try lineIndex.position(ofLine: number, in: entry, parts: parts)
    }

    /// How many whole lines end at or before byte `offset`.
    public func position(ofOffset offset: Int64, deploymentUID: UUID) throws -> LogPosition {
        let (parts, shape) = lineParts(deploymentUID)
        let entry = try lineIndex.entry(for: deploymentUID, parts: parts, shape: shape)
        return try lineIndex.position(ofOffset: max(0, offset), in: entry, parts: parts)
    }

    /// The files of a log in offset order, and its shape (where the log file ends and the oldest kept segment starts:
    /// when that changes, segments were rotated away and the log is counted again).
    private func lineParts(_ deploymentUID: UUID) -> (parts: [LogLineIndex.Part], shape: [Int64]) {
        let logFile = layout.logFile(deploymentUID)
        guard let segments = LogSegments.load(layout: layout, deploymentUID: deploymentUID) else {
            return ([LogLineIndex.Part(path: logFile, start: 0, end: nil)], [])
        }
        var parts = [LogLineIndex.Part(path: logFile, start: 0, end: segments.logEnd)]
        for (index, start) in segments.starts.enumerated() {
            let end = index + 1 < segments.starts.count ? segments.starts[index + 1] : nil
            parts.append(LogLineIndex.Part(path: layout.logSegment(deploymentUID, start: start), start: start, end: end))
        }
        return (parts, [segments.logEnd, segments.starts[0]])
    }

    /// The lines of one file from byte `offset` up to byte `end` (the file's end when nil), offsets in the file.
    private func read(file path: String, from offset: Int64, end: Int64?, limit: Int) throws -> LogChunk {
        let start = max(0, offset)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return LogChunk(lines: [], nextOffset: start) }
            throw PipelineError("cannot open the log file \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        // Nothing past the end (a caught-up follower, or an offset beyond any log, which pread would refuse).
        var status = stat()
        let size = fstat(fd, &status) == 0 ? min(Int64(status.st_size), end ?? .max) : (end ?? .max)
        if start >= size { return LogChunk(lines: [], nextOffset: start) }

        let decoder = JSONDecoder()
        let lineLimit = max(1, limit)
        var lines: [(offset: Int64, line: LogLine)] = []
        // `consumed`: just past the last whole record looked at. `readPosition`: where the next pread starts.
        var consumed = start
        var readPosition = start
        // The bytes of a record that spans reads (none are kept while skipping an over-long record).
        var pending: [UInt8] = []
        var pendingLength = 0
        var skippingLongRecord = false
        var chunk = [UInt8](repeating: 0, count: max(1, configuration.chunkSize))
        let budgetEnd = start + Int64(configuration.byteBudget)

        reading: while lines.count < lineLimit {
            let wanted = Int(min(Int64(chunk.count), size - readPosition))
            if wanted <= 0 { break }
            let count = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, wanted, off_t(readPosition)) }
            if count < 0 {
                if errno == EINTR { continue }
                throw PipelineError("cannot read the log file \(path): \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            readPosition += Int64(count)
            var recordStart = 0
            var full = false
            chunk.withUnsafeBytes { bytes in
                let base = bytes.baseAddress!
                while recordStart < count, let found = memchr(base + recordStart, 0x0A, count - recordStart) {
                    let newline = base.distance(to: UnsafeRawPointer(found))
                    let length = pendingLength + (newline - recordStart)
                    if !skippingLongRecord {
                        let line: LogLine?
                        if pending.isEmpty {
                            line = Self.decode(UnsafeRawBufferPointer(rebasing: bytes[recordStart..<newline]), decoder: decoder)
                        } else {
                            pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[recordStart..<newline]))
                            line = pending.withUnsafeBytes { Self.decode($0, decoder: decoder) }
                        }
                        if let line { lines.append((consumed + Int64(length + 1), line)) }
                    }
                    skippingLongRecord = false
                    pending.removeAll(keepingCapacity: pending.count <= configuration.chunkSize)
                    pendingLength = 0
                    consumed += Int64(length + 1)
                    recordStart = newline + 1
                    if lines.count >= lineLimit || (consumed >= budgetEnd && !lines.isEmpty) {
                        full = true
                        return
                    }
                }
                // The rest of this read is the start of a record that the next read completes.
                pendingLength += count - recordStart
                if !skippingLongRecord {
                    pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[recordStart..<count]))
                    if pending.count > configuration.maximumRecordLength {
                        pending = []
                        skippingLongRecord = true
                    }
                }
            }
            if full { break reading }
        }
        return LogChunk(lines: lines, nextOffset: consumed)
    }

    /// The last `limit` lines of each kind, read chunk by chunk so that only about `2 * limit` lines are ever held.
    public func tail(deploymentUID: UUID, limit: Int) throws -> (client: [LogLine], system: [LogLine], truncated: Bool) {
        var client: [LogLine] = []
        var system: [LogLine] = []
        var truncated = false
        var offset: Int64 = 0
        while true {
            let chunk = try read(deploymentUID: deploymentUID, from: offset, limit: 10_000)
            for (_, line) in chunk.lines {
                if line.stream == .system { system.append(line) } else { client.append(line) }
            }
            if client.count > 2 * limit {
                client.removeFirst(client.count - limit)
                truncated = true
            }
            if system.count > 2 * limit {
                system.removeFirst(system.count - limit)
                truncated = true
            }
            if chunk.lines.isEmpty || chunk.nextOffset == offset { break }
            offset = chunk.nextOffset
        }
        if client.count > limit || system.count > limit { truncated = true }
        return (Array(client.suffix(limit)), Array(system.suffix(limit)), truncated)
    }

    /// One record: the writer's own layout is parsed directly (JSONDecoder costs several µs a line, which a
    /// follower of a million-line build notices); anything else goes through JSONDecoder; nil when it is not a record.
    static func decode(_ record: UnsafeRawBufferPointer, decoder: JSONDecoder) -> LogLine? {
        var scanner = RecordScanner(record)
        if let line = scanner.line() { return line }
        guard let base = record.baseAddress, !record.isEmpty else { return nil }
        let data = Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: base), count: record.count, deallocator: .none)
        guard let decoded = try? decoder.decode(Record.self, from: data) else { return nil }
        return LogLine(
            timestamp: Timestamp.date(microseconds: decoded.ts), stream: decoded.stream, stage: decoded.stage, text: decoded.line,
            isRuntime: decoded.runtime ?? false
        )
    }
}

/// Parses a record exactly as `DeploymentLogWriter.encode` writes it:
/// `{"ts":<int>,"stream":"<name>"[,"stage":"<name>"],"line":"<escaped>"}`. Returns nil at the first byte it does not
/// expect (other key orders, whitespace, `\u` escapes above U+007F), so that JSONDecoder decides instead.
struct RecordScanner {
    let bytes: UnsafeRawBufferPointer
    var index = 0

    /// A scanner at the start of `bytes`.
    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// The record as a log line, or nil when it is not in the writer's layout.
    mutating func line() -> LogLine? {
        guard expect("{\"ts\":"), let ts = integer(), expect(",\"stream\":\""), let streamName = plainString(),
            let stream = LogStream(rawValue: streamName)
        else { return nil }
        var stage: StageName?
        if expect(",\"stage\":\"") {
            guard let name = plainString(), let known = StageName(rawValue: name) else { return nil }
            stage = known
        }
        let isRuntime = expect(",\"runtime\":true")
        guard expect(",\"line\":\""), let text = escapedString(), expect("}"), index == bytes.count else { return nil }
        return LogLine(timestamp: Timestamp.date(microseconds: ts), stream: stream, stage: stage, text: text, isRuntime: isRuntime)
    }

    /// Skips `literal` when the bytes continue with it.
    private mutating func expect(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard bytes.count - index >= count else { return false }
        for offset in 0..<count where bytes[index + offset] != literal.utf8Start[offset] { return false }
        index += count
        return true
    }

    /// A decimal integer, possibly negative.
    private mutating func integer() -> Int64? {
        var negative = false
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        var value: Int64 = 0
        let start = index
        while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9"), index - start < 18 {
            value = value * 10 + Int64(bytes[index] - UInt8(ascii: "0"))
            index += 1
        }
        guard index > start else { return nil }
        return negative ? -value : value
    }

    /// The rest of a string without escapes, up to and past its closing quote.
    private mutating func plainString() -> String? {
        let start = index
        while index < bytes.count, bytes[index] != UInt8(ascii: "\""), bytes[index] != UInt8(ascii: "\\") { index += 1 }
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
        defer { index += 1 }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
    }

    /// The rest of a string with the escapes the writer produces, up to and past its closing quote.
    private mutating func escapedString() -> String? {
        let start = index
        while index < bytes.count, bytes[index] != UInt8(ascii: "\""), bytes[index] != UInt8(ascii: "\\") { index += 1 }
        guard index < bytes.count else { return nil }
        if bytes[index] == UInt8(ascii: "\"") {
            defer { index += 1 }
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        }
        var text = Array(UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: text, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard index < bytes.count else { return nil }
                let escaped = bytes[index]
                index += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): text.append(escaped)
                case UInt8(ascii: "n"): text.append(0x0A)
                case UInt8(ascii: "r"): text.append(0x0D)
                case UInt8(ascii: "t"): text.append(0x09)
                case UInt8(ascii: "b"): text.append(0x08)
                case UInt8(ascii: "f"): text.append(0x0C)
                case UInt8(ascii: "u"):
                    guard bytes.count - index >= 4,
                        let value = UInt8(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[index..<index + 4]), as: UTF8.self), radix: 16),
                        value < 0x80
                    else { return nil }
                    text.append(value)
                    index += 4
                default: return nil
                }
            default:
                text.append(byte)
            }
        }
        return nil
    }
}
