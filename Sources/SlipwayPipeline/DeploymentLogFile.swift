import Foundation
import SlipwayCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Appends the lines of one deployment to its log file: one JSON object per line,
/// `{"ts":<µs since 1970>,"stream":"stdout","stage":"build","line":"…"}`. Safe to call from any thread.
public final class DeploymentLogWriter: Sendable {
    private let descriptor: Mutex<Int32>
    private let onAppend: @Sendable () -> Void

    /// Opens (creating if needed) the log at `path` for appending; `onAppend` runs after every line written.
    public init(path: String, onAppend: @escaping @Sendable () -> Void = {}) throws {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw PipelineError("cannot open the log file \(path): \(String(cString: strerror(errno)))") }
        self.descriptor = Mutex(fd)
        self.onAppend = onAppend
    }

    deinit {
        descriptor.withLock { fd in
            if fd >= 0 { Glibc.close(fd) }
        }
    }

    /// Appends one line.
    public func append(_ line: LogLine) {
        var record = Self.encode(line)
        descriptor.withLock { fd in
            guard fd >= 0 else { return }
            record.withUTF8 { buffer in
                var offset = 0
                while offset < buffer.count {
                    let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                    if written < 0 && errno == EINTR { continue }
                    if written <= 0 { return }
                    offset += written
                }
            }
        }
        onAppend()
    }

    /// Appends one of Slipway's own lines.
    public func system(_ text: String, stage: StageName?) {
        append(LogLine(timestamp: Date(), stream: .system, stage: stage, text: text))
    }

    /// Closes the file; later appends are dropped.
    public func close() {
        descriptor.withLock { fd in
            if fd >= 0 { Glibc.close(fd) }
            fd = -1
        }
    }

    static func encode(_ line: LogLine) -> String {
        var record = "{\"ts\":\(Timestamp.microseconds(line.timestamp)),\"stream\":\"\(line.stream.rawValue)\""
        if let stage = line.stage { record += ",\"stage\":\"\(stage.rawValue)\"" }
        record += ",\"line\":\""
        escape(line.text, into: &record)
        record += "\"}\n"
        return record
    }

    private static func escape(_ text: String, into output: inout String) {
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case _ where scalar.value < 0x20:
                output += String(format: "\\u%04x", scalar.value)
            default: output.unicodeScalars.append(scalar)
            }
        }
    }
}

/// Reads deployment log files written by `DeploymentLogWriter`, in chunks, never whole into memory.
public struct FileDeploymentLogs: DeploymentLogReader {
    public let layout: DataLayout

    public init(layout: DataLayout) {
        self.layout = layout
    }

    private struct Record: Decodable {
        var ts: Int64
        var stream: LogStream
        var stage: StageName?
        var line: String
    }

    public func read(deploymentUID: UUID, from offset: Int64, limit: Int) throws -> LogChunk {
        guard let handle = FileHandle(forReadingAtPath: layout.logFile(deploymentUID)) else {
            return LogChunk(lines: [], nextOffset: offset)
        }
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(max(0, offset)))
        var lines: [(offset: Int64, line: LogLine)] = []
        var position = max(0, offset)
        var pending = Data()
        let decoder = JSONDecoder()
        reading: while lines.count < limit {
            guard let data = try handle.read(upToCount: 64 * 1024), !data.isEmpty else { break }
            pending.append(data)
            while let newline = pending.firstIndex(of: 10) {
                let recordBytes = pending[pending.startIndex..<newline]
                position += Int64(recordBytes.count + 1)
                if let record = try? decoder.decode(Record.self, from: recordBytes) {
                    lines.append((position, Self.line(from: record)))
                }
                pending.removeSubrange(pending.startIndex...newline)
                if lines.count == limit { break reading }
            }
        }
        return LogChunk(lines: lines, nextOffset: position)
    }

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

    private static func line(from record: Record) -> LogLine {
        LogLine(timestamp: Timestamp.date(microseconds: record.ts), stream: record.stream, stage: record.stage, text: record.line)
    }
}
