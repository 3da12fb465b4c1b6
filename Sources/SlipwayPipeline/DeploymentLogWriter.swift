import Foundation
import SlipwayCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Appends the lines of one deployment to its log file: one JSON object per line,
/// `{"ts":<µs since 1970>,"stream":"stdout","stage":"build","line":"…"}`. Safe to call from any thread.
public final class DeploymentLogWriter: Sendable {
    private struct State {
        var descriptor: Int32
        var bytes: Int
        var capped = false
    }

    private let state: Mutex<State>
    /// The secret values of the deployment's env: replaced by `•••` in every line before it is written.
    private let masker = Mutex(SecretMasker(secrets: []))
    private let cap: Int?
    private let capNote: String
    private let onAppend: @Sendable () -> Void
    private let onCapReached: @Sendable () -> Void

    /// Opens (creating if needed) the log at `path` for appending. `onAppend` runs after every line written.
    /// With a `cap` (bytes), the build's own lines stop being written once the log would pass it: one last system
    /// line says so and `onCapReached` runs once. Slipway's own lines are always written.
    public init(
        path: String, cap: Int? = nil, capNote: String = "the rest of the output is dropped and the build is stopped",
        onAppend: @escaping @Sendable () -> Void = {}, onCapReached: @escaping @Sendable () -> Void = {}
    ) throws {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw PipelineError("cannot open the log file \(path): \(String(cString: strerror(errno)))") }
        var status = stat()
        let size = fstat(fd, &status) == 0 ? Int(status.st_size) : 0
        self.state = Mutex(State(descriptor: fd, bytes: size))
        self.cap = cap
        self.capNote = capNote
        self.onAppend = onAppend
        self.onCapReached = onCapReached
    }

    deinit {
        state.withLock { state in
            if state.descriptor >= 0 { Glibc.close(state.descriptor) }
        }
    }

    /// Appends one line.
    public func append(_ line: LogLine) {
        var line = line
        let masker = self.masker.withLock { $0 }
        if !masker.isEmpty { line.text = masker.apply(line.text) }
        var record = Self.encode(line)
        let reachedCap = state.withLock { state -> Bool in
            guard state.descriptor >= 0 else { return false }
            var reachedCap = false
            if line.stream != .system, let cap {
                if state.capped { return false }
                if state.bytes + record.utf8.count > cap {
                    state.capped = true
                    reachedCap = true
                    let size = ByteCountFormatter.string(fromByteCount: Int64(cap), countStyle: .binary)
                    record = Self.encode(
                        LogLine(
                            timestamp: line.timestamp, stream: .system, stage: line.stage,
                            text: "✗ The log reached its cap of \(size): \(capNote)", isRuntime: line.isRuntime
                        )
                    )
                }
            }
            Self.write(record, to: state.descriptor)
            state.bytes += record.utf8.count
            return reachedCap
        }
        onAppend()
        if reachedCap { onCapReached() }
    }

    private static func write(_ record: String, to fd: Int32) {
        var record = record
        record.withUTF8 { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 && errno == EINTR { continue }
                if written <= 0 { return }
                offset += written
            }
        }
    }

    /// From now on, every line (the build's and Slipway's own) has these secret values replaced by `•••`.
    public func maskSecrets(_ masker: SecretMasker) {
        self.masker.withLock { $0 = masker }
    }

    /// Appends one of Slipway's own lines.
    public func system(_ text: String, stage: StageName?) {
        append(LogLine(timestamp: Date(), stream: .system, stage: stage, text: text))
    }

    /// Closes the file; later appends are dropped.
    public func close() {
        state.withLock { state in
            if state.descriptor >= 0 { Glibc.close(state.descriptor) }
            state.descriptor = -1
        }
    }

    static func encode(_ line: LogLine) -> String {
        var record = "{\"ts\":\(Timestamp.microseconds(line.timestamp)),\"stream\":\"\(line.stream.rawValue)\""
        if let stage = line.stage { record += ",\"stage\":\"\(stage.rawValue)\"" }
        if line.isRuntime { record += ",\"runtime\":true" }
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
