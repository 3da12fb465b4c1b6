import Foundation
import SQLKit
import SlipwayCore

extension Migrations {
    /// Migration 4: what git integration keeps (docs/git.md).
    ///
    /// - `projects.source_config`: the source rules as JSON text (keys missing from it keep their defaults);
    /// - `projects.webhook_secret`: the secret that signs webhooks; every existing project gets a new random one;
    /// - `projects.production_pinned`: 1 after a rollback, until a promote or an unpin;
    /// - `deployments.source_event_id` and `deployments.commit_url`: the delivery that started a deployment and the
    ///   commit link the push reported;
    /// - `git_deliveries`: each delivery id a project has seen, so that a redelivery is not deployed twice
    ///   (the primary key makes the check atomic on both databases).
    @Sendable static func addGitSources(_ session: Session) async throws {
        try await session.run("ALTER TABLE projects ADD COLUMN source_config TEXT NOT NULL DEFAULT '{}'")
        try await session.run("ALTER TABLE projects ADD COLUMN webhook_secret TEXT NOT NULL DEFAULT ''")
        try await session.run("ALTER TABLE projects ADD COLUMN production_pinned BIGINT NOT NULL DEFAULT 0")
        try await session.run("ALTER TABLE deployments ADD COLUMN source_event_id TEXT NULL")
        try await session.run("ALTER TABLE deployments ADD COLUMN commit_url TEXT NULL")
        try await session.run("CREATE INDEX deployments_project_source_event ON deployments (project_id, source_event_id)")
        try await session.run(
            """
            CREATE TABLE git_deliveries (
                project_id BIGINT NOT NULL,
                delivery_id TEXT NOT NULL,
                received_at BIGINT NOT NULL,
                PRIMARY KEY (project_id, delivery_id)
            )
            """
        )
        struct ProjectIDRow: Decodable { var id: Int64 }
        for row in try await session.all(ProjectIDRow.self, "SELECT id FROM projects ORDER BY id") {
            try await session.run(
                "UPDATE projects SET webhook_secret = \(bind: SourceValidation.generateWebhookSecret()) WHERE id = \(bind: row.id)"
            )
        }
    }
}
