import SQLKit

extension Migrations {
    /// Migration 20: the audit trail (docs/audit.md). No foreign keys: an entry outlives the user, token, workspace
    /// and target it names (the actor's login is kept beside their id for that reason).
    ///
    /// Listings are scoped to a workspace (or to the install-level entries, `workspace_id IS NULL`) and ordered newest
    /// first by default, so `(workspace_id, created_at, id)` serves a page behind a cursor as one index range read;
    /// `(workspace_id, action, created_at, id)` does the same for a filter on the action; `(created_at)` serves the
    /// retention's prune.
    @Sendable static func addAuditEvents(_ session: Session) async throws {
        let id = idColumn(session.dialect)
        try await session.run(
            """
            CREATE TABLE audit_events (
                id \(id),
                workspace_id BIGINT,
                actor_user_id BIGINT,
                actor_login TEXT,
                token_id BIGINT,
                via TEXT NOT NULL,
                address TEXT,
                created_at BIGINT NOT NULL,
                action TEXT NOT NULL,
                target_type TEXT,
                target_id TEXT,
                target_name TEXT,
                detail TEXT NOT NULL,
                status BIGINT NOT NULL,
                outcome TEXT NOT NULL,
                error_code TEXT
            )
            """
        )
        try await session.run("CREATE INDEX audit_events_workspace_created ON audit_events (workspace_id, created_at, id)")
        try await session.run("CREATE INDEX audit_events_workspace_action_created ON audit_events (workspace_id, action, created_at, id)")
        try await session.run("CREATE INDEX audit_events_created ON audit_events (created_at)")
    }
}
