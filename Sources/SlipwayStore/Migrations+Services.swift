import SQLKit

extension Migrations {
    /// Migration 8: how service projects run (one JSON column, like the source rules) and the restarts of their processes.
    @Sendable static func addServices(_ session: Session) async throws {
        try await session.run("ALTER TABLE projects ADD COLUMN service_config TEXT")
        try await session.run(
            """
            CREATE TABLE service_restarts (
                id \(idColumn(session.dialect)),
                project_id BIGINT NOT NULL,
                deployment_id BIGINT NOT NULL,
                restarted_at BIGINT NOT NULL,
                exit_summary TEXT NOT NULL
            )
            """
        )
        try await session.run("CREATE INDEX service_restarts_project ON service_restarts (project_id, id)")
        try await session.run("CREATE INDEX service_restarts_deployment ON service_restarts (deployment_id)")
    }
}
