public import Foundation

/// Which stream a log line came from: the build's own output, or Slipway's.
public enum LogStream: String, Sendable, Codable, CaseIterable {
    case stdout
    case stderr
    case system
}

/// One line of a deployment's log.
public struct LogLine: Sendable, Equatable {
    public var timestamp: Date
    public var stream: LogStream
    public var stage: StageName?
    public var text: String
    /// A line a live service process printed after its deployment ended (the runtime log), not one of the deployment's stages.
    public var isRuntime: Bool

    public init(timestamp: Date, stream: LogStream, stage: StageName?, text: String, isRuntime: Bool = false) {
        self.timestamp = timestamp
        self.stream = stream
        self.stage = stage
        self.text = text
        self.isRuntime = isRuntime
    }
}

/// A slice of a log read from a byte offset: the lines, each with the offset just past it.
public struct LogChunk: Sendable, Equatable {
    public var lines: [(offset: Int64, line: LogLine)]
    /// Where the next read should start.
    public var nextOffset: Int64

    public init(lines: [(offset: Int64, line: LogLine)], nextOffset: Int64) {
        self.lines = lines
        self.nextOffset = nextOffset
    }

    public static func == (lhs: LogChunk, rhs: LogChunk) -> Bool {
        lhs.nextOffset == rhs.nextOffset && lhs.lines.map(\.offset) == rhs.lines.map(\.offset)
            && lhs.lines.map(\.line) == rhs.lines.map(\.line)
    }
}

/// Reads the append-only log of a deployment (the pipeline writes it).
public protocol DeploymentLogReader: Sendable {
    /// Up to `limit` lines starting at byte `offset`; an empty chunk when the log does not exist (yet).
    func read(deploymentUID: UUID, from offset: Int64, limit: Int) throws -> LogChunk
    /// The last `limit` lines of each kind: the build's own (stdout, stderr) and Slipway's (system).
    func tail(deploymentUID: UUID, limit: Int) throws -> (client: [LogLine], system: [LogLine], truncated: Bool)
}

/// Removes the files a deployment left: its build directory and its log.
public protocol DeploymentFileStore: Sendable {
    func removeBuild(_ id: UUID) throws
    func removeLog(deploymentUID: UUID) throws
}
