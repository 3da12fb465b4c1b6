import SQLKit

extension Migrations {
    /// Migration 14: the install-wide limits (docs/tenancy.md), one row (`id` = 1); NULL in a column means the
    /// server's default for it. Read inside the transactions that apply them: a new project, an admission, a claim.
    @Sendable static func addInstallLimits(_ session: Session) async throws {
        try await session.run(
            """
            CREATE TABLE install_limits (
                id BIGINT PRIMARY KEY,
                projects_per_workspace BIGINT,
                queued_deployments_per_workspace BIGINT,
                workspace_workers BIGINT
            )
            """
        )
        try await session.run("INSERT INTO install_limits (id) VALUES (1)")
    }
}
