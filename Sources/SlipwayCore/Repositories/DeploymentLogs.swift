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

/// Where a place in a log is by line number: the byte offset, how many whole lines come before it, and how many the
/// whole log holds now (docs/logs.md "Line numbers").
public struct LogPosition: Sendable, Equatable {
    /// A byte offset (the start of a line, or the end of the log).
    public var offset: Int64
    /// The whole lines that end at or before `offset`: the line starting there is number `linesBefore + 1`.
    public var linesBefore: Int
    /// The whole lines of the log now.
    public var lineCount: Int

    public init(offset: Int64, linesBefore: Int, lineCount: Int) {
        self.offset = offset
        self.linesBefore = linesBefore
        self.lineCount = lineCount
    }
}

/// Reads the append-only log of a deployment (the pipeline writes it).
public protocol DeploymentLogReader: Sendable {
    /// Up to `limit` lines starting at byte `offset`; an empty chunk when the log does not exist (yet).
    func read(deploymentUID: UUID, from offset: Int64, limit: Int) throws -> LogChunk
    /// Where line `number` (1 = the first) starts; the end of the log when it has fewer lines.
    func position(ofLine number: Int, deploymentUID: UUID) throws -> LogPosition
    /// How many whole lines end at or before byte `offset` (and the log's line count).
    func position(ofOffset offset: Int64, deploymentUID: UUID) throws -> LogPosition
    /// The last `limit` lines of each kind: the build's own (stdout, stderr) and Slipway's (system).
    func tail(deploymentUID: UUID, limit: Int) throws -> (client: [LogLine], system: [LogLine], truncated: Bool)
}

/// Removes the files a deployment left: its build directory and its log.
public protocol DeploymentFileStore: Sendable {
    func removeBuild(_ id: UUID) throws
    func removeLog(deploymentUID: UUID) throws
}
