import SQLKit

extension Migrations {
    /// Migration 21: notification destinations (URL and secret sealed) and their deliveries, one per event and
    /// destination.
    @Sendable static func addNotifications(_ session: Session) async throws {
        let id = idColumn(session.dialect)
        try await session.run(
            """
            CREATE TABLE notification_destinations (
                id \(id),
                uid TEXT NOT NULL CONSTRAINT notification_destinations_uid_unique UNIQUE,
                workspace_id BIGINT NOT NULL REFERENCES workspaces (id),
                kind TEXT NOT NULL,
                sealed_url TEXT NOT NULL,
                events TEXT NOT NULL,
                sealed_secret TEXT,
                created_at BIGINT NOT NULL
            )
            """
        )
        try await session.run("CREATE INDEX notification_destinations_workspace ON notification_destinations (workspace_id, id)")
        try await session.run(
            """
            CREATE TABLE notification_deliveries (
                id \(id),
                destination_id BIGINT NOT NULL REFERENCES notification_destinations (id) ON DELETE CASCADE,
                event TEXT NOT NULL,
                event_key TEXT NOT NULL,
                payload TEXT NOT NULL,
                state TEXT NOT NULL,
                attempts BIGINT NOT NULL DEFAULT 0,
                status_code BIGINT,
                error TEXT,
                next_attempt_at BIGINT NOT NULL,
                lease_until BIGINT,
                created_at BIGINT NOT NULL,
                last_attempt_at BIGINT,
                delivered_at BIGINT,
                CONSTRAINT notification_deliveries_once UNIQUE (destination_id, event_key)
            )
            """
        )
        try await session.run("CREATE INDEX notification_deliveries_due ON notification_deliveries (state, next_attempt_at)")
        try await session.run("CREATE INDEX notification_deliveries_destination ON notification_deliveries (destination_id, id)")
    }

    /// Migration 22: commit statuses are destinations of one project (`project_id`), on a forge's `repository`; the
    /// forge's API base is the sealed URL and its token the sealed secret.
    @Sendable static func addCommitStatuses(_ session: Session) async throws {
        try await session.run("ALTER TABLE notification_destinations ADD COLUMN project_id BIGINT")
        try await session.run("ALTER TABLE notification_destinations ADD COLUMN repository TEXT")
        try await session.run("CREATE INDEX notification_destinations_project ON notification_destinations (project_id)")
    }
}
