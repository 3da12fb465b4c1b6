import SQLKit
import SlipwayCore

/// The install-wide limits in SQL (migration 14): one row.
struct SQLInstallLimitsRepository: InstallLimitsRepository {
    let database: Database

    struct Row: Decodable {
        var projectsPerWorkspace: Int64?
        var queuedDeploymentsPerWorkspace: Int64?
        var workspaceWorkers: Int64?

        var limits: InstallLimits {
            InstallLimits(
                projectsPerWorkspace: projectsPerWorkspace.map(Int.init), queuedDeploymentsPerWorkspace: queuedDeploymentsPerWorkspace.map(Int.init),
                workspaceWorkers: workspaceWorkers.map(Int.init)
            )
        }
    }

    /// The limits, read in the caller's transaction (where they are applied).
    static func limits(_ session: Session) async throws -> InstallLimits {
        try await session.first(
            Row.self, "SELECT projects_per_workspace, queued_deployments_per_workspace, workspace_workers FROM install_limits WHERE id = 1"
        )?.limits ?? InstallLimits()
    }

    func limits() async throws -> InstallLimits {
        try await database.withConnection { session in try await Self.limits(session) }
    }

    func setLimits(_ limits: InstallLimits) async throws {
        try await database.withConnection { session in
            try await session.run(
                """
                UPDATE install_limits SET
                    projects_per_workspace = \(bind: limits.projectsPerWorkspace.map(Int64.init)),
                    queued_deployments_per_workspace = \(bind: limits.queuedDeploymentsPerWorkspace.map(Int64.init)),
                    workspace_workers = \(bind: limits.workspaceWorkers.map(Int64.init))
                WHERE id = 1
                """
            )
        }
    }
}
