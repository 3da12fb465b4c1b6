import Foundation
import SQLKit
import SlipwayCore

extension Migrations {
    /// Migration 3: the indexes of deployment listings (DESIGN.md §9) and the key that signs their cursors.
    ///
    /// Every listing is scoped to a workspace and, by default, ordered newest first (`created_at DESC, id DESC`).
    /// As `EXPLAIN QUERY PLAN` (SQLite) and `EXPLAIN` (PostgreSQL) showed on a million rows (bench/query-pages.sh):
    /// - `(workspace_id, created_at, id)` serves the first page and any page behind a cursor as one index range read
    ///   in order, with no sort, so a deep page costs what the first costs; it also counts the workspace's rows
    ///   from the index alone;
    /// - `(workspace_id, state, created_at, id)` does the same for a status filter (`status`, `state`);
    /// - `(workspace_id, project_id, created_at, id)` for a filter on the project (`entity_id`, `entity: {…}`,
    ///   `project_id`): with `(project_id, …)` alone SQLite walked the workspace's index and looked every row up;
    /// - `(workspace_id, sequence_number, id)` for the other common order.
    /// `signing_keys` holds a random key per database, so the cursors of every node of a cluster verify everywhere.
    @Sendable static func addDeploymentQueryIndexes(_ session: Session) async throws {
        try await session.run("CREATE INDEX deployments_workspace_created ON deployments (workspace_id, created_at, id)")
        try await session.run("CREATE INDEX deployments_workspace_state_created ON deployments (workspace_id, state, created_at, id)")
        try await session.run("CREATE INDEX deployments_workspace_project_created ON deployments (workspace_id, project_id, created_at, id)")
        try await session.run("CREATE INDEX deployments_workspace_sequence ON deployments (workspace_id, sequence_number, id)")
        try await session.run(
            """
            CREATE TABLE signing_keys (
                name TEXT PRIMARY KEY,
                secret TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )
            """
        )
        try await session.run(
            """
            INSERT INTO signing_keys (name, secret, created_at)
            VALUES (\(bind: CursorSigners.cursorKeyName), \(bind: HMACCursorSigner.newKeyText()), \(bind: StoredValue.microseconds(Timestamp.now())))
            """
        )
    }
}
