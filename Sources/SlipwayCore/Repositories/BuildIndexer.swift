/// Prepares a stored static build for serving, once, when it is stored (docs/edge.md): the edge's manifest of its
/// files. The pipeline calls it; the edge implements it.
public protocol BuildIndexer: Sendable {
    /// Indexes the build in `buildDirectory` (blocking file-system work).
    func index(buildDirectory: String) throws -> BuildIndexReport
}

/// What indexing a build found, for the deployment's log.
public struct BuildIndexReport: Sendable, Equatable {
    /// How many files the build serves.
    public var files: Int
    /// Lines for the log: what was left out or could not be read, each saying why.
    public var notes: [String]

    public init(files: Int, notes: [String] = []) {
        self.files = files
        self.notes = notes
    }
}
