import Foundation
import SlipwayCore

#if canImport(Glibc)
    import Glibc
#endif

/// Where a live service's output goes once its deployment log has reached its cap, instead of being dropped:
/// segment files whose offsets go on from the log's (`DataLayout.logSegment`, named by the offset of their first
/// byte), listed in an index (`DataLayout.logSegmentIndex`) with the offset where the log file itself ends. The
/// writer keeps the newest two segments; the offsets of the lines in them never change, and a reader asking for an
/// offset whose segment is gone goes on at the oldest line kept.
struct LogSegments: Equatable {
    /// Where the log file ends: its lines are read up to here, the segments' from here on.
    var logEnd: Int64
    /// The offsets where the kept segments start, oldest first.
    var starts: [Int64]

    /// The index of `deploymentUID`'s log, or nil when its output never went past the log's cap.
    /// Every read of a log asks (a follower reads on every line written), and almost every log has none: a failed
    /// `open` is all that costs.
    static func load(layout: DataLayout, deploymentUID: UUID) -> LogSegments? {
        let fd = open(layout.logSegmentIndex(deploymentUID), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        // The index is a few lines: one read of 4 KiB takes it whole.
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[0..<count], as: UTF8.self)
        var logEnd: Int64?
        var starts: [Int64] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count == 2, let value = Int64(fields[1]) else { continue }
            switch fields[0] {
            case "log_end": logEnd = value
            case "segment": starts.append(value)
            default: continue
            }
        }
        guard let logEnd, !starts.isEmpty else { return nil }
        return LogSegments(logEnd: logEnd, starts: starts.sorted())
    }

    /// Writes the index (to a temporary file, renamed over the old one: a reader sees the old index or the new one).
    func save(layout: DataLayout, deploymentUID: UUID) throws {
        let path = layout.logSegmentIndex(deploymentUID)
        let text = "log_end \(logEnd)\n" + starts.map { "segment \($0)\n" }.joined()
        try text.write(toFile: path + ".tmp", atomically: false, encoding: .utf8)
        chmod(path + ".tmp", DataLayout.fileMode)
        guard rename(path + ".tmp", path) == 0 else { throw PipelineError("cannot write the log segment index \(path)") }
    }

    /// Removes the index and every segment it lists.
    static func remove(layout: DataLayout, deploymentUID: UUID) {
        if let segments = load(layout: layout, deploymentUID: deploymentUID) {
            for start in segments.starts { unlink(layout.logSegment(deploymentUID, start: start)) }
        }
        unlink(layout.logSegmentIndex(deploymentUID))
    }
}
