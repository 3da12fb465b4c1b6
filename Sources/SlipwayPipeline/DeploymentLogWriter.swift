public import Foundation
public import SlipwayCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Appends the lines of one deployment to its log file: one JSON object per line,
/// `{"ts":<µs since 1970>,"stream":"stdout","stage":"build","line":"…"}`. Safe to call from any thread.
public final class DeploymentLogWriter: Sendable {
    /// Where the lines go once the log has reached its cap, instead of being dropped: a service's output
    /// (`LogSegments`). Segments of `segmentSize` bytes, the newest two kept. With `stages`, only a line of one of
    /// them goes on past the cap (a service process's while it is deployed); any other is cut as a build's is.
    public struct Overflow: Sendable {
        public var layout: DataLayout
        public var deploymentUID: UUID
        public var segmentSize: Int
        public var stages: Set<StageName>?

        public init(layout: DataLayout, deploymentUID: UUID, segmentSize: Int, stages: Set<StageName>? = nil) {
            self.layout = layout
            self.deploymentUID = deploymentUID
            self.segmentSize = max(1, segmentSize)
            self.stages = stages
        }

        func applies(to line: LogLine) -> Bool {
            guard let stages else { return true }
            return line.stage.map(stages.contains) ?? false
        }
    }

    /// The segment being written, once the output has gone past the cap.
    private struct Segment {
        var segments: LogSegments
        var descriptor: Int32
        var bytes: Int
        var start: Int64 { segments.starts[segments.starts.count - 1] }
    }

    private struct State {
        var descriptor: Int32
        var bytes: Int
        var capped = false
        var segment: Segment?
    }

    private let state: Mutex<State>
    /// The secret values of the deployment's env: replaced by `•••` in every line before it is written.
    private let masker = Mutex(SecretMasker(secrets: []))
    private let cap: Int?
    private let capNote: String
    private let overflow: Overflow?
    private let onAppend: @Sendable () -> Void
    private let onCapReached: @Sendable () -> Void

    /// Opens (creating if needed) the log at `path` for appending. `onAppend` runs after every line written.
    /// With a `cap` (bytes), the build's own lines stop being written once the log would pass it: one last system
    /// line says so and `onCapReached` runs once. Slipway's own lines are always written. With an `overflow`, every
    /// line goes on in its segments instead, from the first that would pass the cap (or at once, when an earlier
    /// writer of the same log had got there).
    public init(
        path: String, cap: Int? = nil, capNote: String = "the rest of the output is dropped and the build is stopped",
        overflow: Overflow? = nil, onAppend: @escaping @Sendable () -> Void = {}, onCapReached: @escaping @Sendable () -> Void = {}
    ) throws {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw PipelineError("cannot open the log file \(path): \(String(cString: strerror(errno)))") }
        var status = stat()
        let size = fstat(fd, &status) == 0 ? Int(status.st_size) : 0
        var state = State(descriptor: fd, bytes: size)
        if let overflow, let segments = LogSegments.load(layout: overflow.layout, deploymentUID: overflow.deploymentUID) {
            state.segment = Self.openSegment(segments, overflow)
        }
        self.state = Mutex(state)
        self.cap = cap
        self.capNote = capNote
        self.overflow = overflow
        self.onAppend = onAppend
        self.onCapReached = onCapReached
    }

    deinit {
        state.withLock { state in
            if state.descriptor >= 0 { Glibc.close(state.descriptor) }
            if let segment = state.segment, segment.descriptor >= 0 { Glibc.close(segment.descriptor) }
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
            if state.segment != nil {
                writeToSegment(record, &state)
                return false
            }
            var reachedCap = false
            if line.stream != .system, let cap {
                if state.capped { return false }
                if state.bytes + record.utf8.count > cap, let overflow, overflow.applies(to: line) {
                    startSegments(at: line, overflow, &state)
                    writeToSegment(record, &state)
                    return false
                }
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

    /// The log is full: its output goes on in a first segment, which starts where the log ends, with a line saying so.
    private func startSegments(at line: LogLine, _ overflow: Overflow, _ state: inout State) {
        // The file's own size, not this writer's count: another writer of the same log may have added lines.
        var status = stat()
        let start = fstat(state.descriptor, &status) == 0 ? Int64(status.st_size) : Int64(state.bytes)
        let segments = LogSegments(logEnd: start, starts: [start])
        guard (try? segments.save(layout: overflow.layout, deploymentUID: overflow.deploymentUID)) != nil,
            let segment = Self.openSegment(segments, overflow)
        else {
            state.capped = true
            return
        }
        state.segment = segment
        let size = { (bytes: Int) in ByteCountFormatter.string(fromByteCount: Int64(bytes), countStyle: .binary) }
        writeToSegment(
            Self.encode(
                LogLine(
                    timestamp: line.timestamp, stream: .system, stage: line.stage,
                    text: "The log reached its cap of \(size(cap ?? 0)): the service's output goes on, and its latest "
                        + "\(size(overflow.segmentSize)) to \(size(2 * overflow.segmentSize)) are kept",
                    isRuntime: line.isRuntime
                )), &state)
    }

    /// Appends to the current segment; a full one makes way for the next, and the one before it is removed.
    private func writeToSegment(_ record: String, _ state: inout State) {
        guard var segment = state.segment, let overflow else { return }
        Self.write(record, to: segment.descriptor)
        segment.bytes += record.utf8.count
        if segment.bytes >= overflow.segmentSize {
            var next = segment.segments
            next.starts = [segment.start, segment.start + Int64(segment.bytes)]
            if (try? next.save(layout: overflow.layout, deploymentUID: overflow.deploymentUID)) != nil,
                let opened = Self.openSegment(next, overflow)
            {
                for start in segment.segments.starts where !next.starts.contains(start) {
                    unlink(overflow.layout.logSegment(overflow.deploymentUID, start: start))
                }
                Glibc.close(segment.descriptor)
                segment = opened
            }
        }
        state.segment = segment
    }

    /// Opens the newest segment of `segments` for appending.
    private static func openSegment(_ segments: LogSegments, _ overflow: Overflow) -> Segment? {
        let path = overflow.layout.logSegment(overflow.deploymentUID, start: segments.starts[segments.starts.count - 1])
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return nil }
        var status = stat()
        return Segment(segments: segments, descriptor: fd, bytes: fstat(fd, &status) == 0 ? Int(status.st_size) : 0)
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
            if let segment = state.segment { Glibc.close(segment.descriptor) }
            state.segment = nil
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
