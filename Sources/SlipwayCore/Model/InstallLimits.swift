/// Limits an install administrator sets for every workspace of the install (docs/tenancy.md). Each is optional: nil
/// means the server's own default (`--queue-cap`, `--workspace-workers`) or, for projects, no limit.
public struct InstallLimits: Sendable, Equatable {
    /// The most projects one workspace may have.
    public var projectsPerWorkspace: Int?
    /// The most deployments one workspace may have waiting; beyond it, a new one is refused (429).
    public var queuedDeploymentsPerWorkspace: Int?
    /// The most workers one workspace may hold at once (the fair share).
    public var workspaceWorkers: Int?

    public init(projectsPerWorkspace: Int? = nil, queuedDeploymentsPerWorkspace: Int? = nil, workspaceWorkers: Int? = nil) {
        self.projectsPerWorkspace = projectsPerWorkspace
        self.queuedDeploymentsPerWorkspace = queuedDeploymentsPerWorkspace
        self.workspaceWorkers = workspaceWorkers
    }

    /// The highest value each limit accepts.
    public static let maximum = 1_000_000

    /// The problems of these limits, each naming its field: every limit set is at least 1 and at most `maximum`.
    public var problems: [FieldProblem] {
        let named: [(String, Int?)] = [
            ("projectsPerWorkspace", projectsPerWorkspace), ("queuedDeploymentsPerWorkspace", queuedDeploymentsPerWorkspace),
            ("workspaceWorkers", workspaceWorkers),
        ]
        return named.compactMap { field, value in
            guard let value, !(1...Self.maximum).contains(value) else { return nil }
            return FieldProblem(.name(field), message: "must be null or a whole number from 1 to \(Self.maximum)")
        }
    }
}

/// The install-wide limits, stored.
public protocol InstallLimitsRepository: Sendable {
    /// The limits in force.
    func limits() async throws -> InstallLimits
    /// Replaces the limits.
    func setLimits(_ limits: InstallLimits) async throws
}
