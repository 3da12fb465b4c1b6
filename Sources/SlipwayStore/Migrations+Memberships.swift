import Foundation
import SQLKit
import SlipwayCore

extension Migrations {
    private struct ExistingWorkspaceRow: Decodable {
        var id: Int64
        var name: String
    }

    /// Migration 13: memberships with roles, invitations, workspaces by API (docs/tenancy.md).
    ///
    /// - `memberships`: a user's role in a workspace (`owner`, `admin`, `developer`, `viewer`). Every user made
    ///   before this migration becomes an owner of their workspace (`users.workspace_id`), which is what they could
    ///   do before roles existed. From now on `users.workspace_id` only records where the user was first made; where
    ///   a user acts comes from their memberships.
    /// - `invitations`: an owner's invitation of a login or email address with a role; `code_hash` is the SHA-256
    ///   of the one-time code, `accepted_at` marks it used.
    /// - `workspaces.deleted_at`: a deleted workspace keeps its row (deployments and users still refer to it) but
    ///   is gone from every answer, and its name is free again (`workspaces_name_unique` covers live ones only).
    ///   Existing names are brought to the rules of a workspace name (`WorkspaceName`); a clash gets `-<id>`.
    /// - `sessions.workspace_id` may be NULL: the session of a user who belonged to no workspace when logging in.
    @Sendable static func addMemberships(_ session: Session) async throws {
        try await session.run("ALTER TABLE workspaces ADD COLUMN deleted_at BIGINT NULL")
        var taken: Set<String> = []
        for row in try await session.all(ExistingWorkspaceRow.self, "SELECT id, name FROM workspaces ORDER BY id") {
            var name = workspaceName(from: row.name)
            if taken.contains(name) { name = String(name.prefix(WorkspaceName.maximumLength - 21)) + "-\(row.id)" }
            taken.insert(name)
            if name != row.name { try await session.run("UPDATE workspaces SET name = \(bind: name) WHERE id = \(bind: row.id)") }
        }
        try await session.run("CREATE UNIQUE INDEX workspaces_name_unique ON workspaces (name) WHERE deleted_at IS NULL")
        try await session.run(
            """
            CREATE TABLE memberships (
                workspace_id BIGINT NOT NULL REFERENCES workspaces (id),
                user_id BIGINT NOT NULL REFERENCES users (id),
                role TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (workspace_id, user_id)
            )
            """
        )
        try await session.run("CREATE INDEX memberships_user_id ON memberships (user_id, created_at)")
        try await session.run(
            "INSERT INTO memberships (workspace_id, user_id, role, created_at) SELECT workspace_id, id, 'owner', created_at FROM users"
        )
        try await session.run(
            """
            CREATE TABLE invitations (
                id \(idColumn(session.dialect)),
                workspace_id BIGINT NOT NULL REFERENCES workspaces (id),
                code_hash TEXT NOT NULL CONSTRAINT invitations_code_hash_unique UNIQUE,
                invitee TEXT NOT NULL,
                role TEXT NOT NULL,
                invited_by BIGINT NOT NULL REFERENCES users (id),
                created_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                accepted_at BIGINT,
                accepted_by BIGINT REFERENCES users (id)
            )
            """
        )
        try await session.run("CREATE INDEX invitations_workspace_id ON invitations (workspace_id, id)")
        try await allowSessionsWithoutWorkspace(session)
    }

    /// `sessions.workspace_id` loses its NOT NULL: PostgreSQL alters the column; SQLite cannot, so the table is made
    /// again (nothing refers to it) with the same columns, constraints and index.
    private static func allowSessionsWithoutWorkspace(_ session: Session) async throws {
        guard session.dialect == .sqlite else {
            try await session.run("ALTER TABLE sessions ALTER COLUMN workspace_id DROP NOT NULL")
            return
        }
        try await session.run(
            """
            CREATE TABLE sessions_new (
                id \(idColumn(session.dialect)),
                uid TEXT NOT NULL CONSTRAINT sessions_uid_unique UNIQUE,
                user_id BIGINT NOT NULL REFERENCES users (id),
                workspace_id BIGINT NULL REFERENCES workspaces (id),
                token_hash TEXT NOT NULL CONSTRAINT sessions_token_hash_unique UNIQUE,
                created_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                last_used_at BIGINT,
                revoked_at BIGINT
            )
            """
        )
        try await session.run(
            """
            INSERT INTO sessions_new (id, uid, user_id, workspace_id, token_hash, created_at, expires_at, last_used_at, revoked_at)
            SELECT id, uid, user_id, workspace_id, token_hash, created_at, expires_at, last_used_at, revoked_at FROM sessions
            """
        )
        try await session.run("DROP TABLE sessions")
        try await session.run("ALTER TABLE sessions_new RENAME TO sessions")
        try await session.run("CREATE INDEX sessions_user_id ON sessions (user_id, id)")
    }

    /// A name that meets `WorkspaceName`'s rules, made from one that may not: lower case, anything else a dash,
    /// beginning with a letter, at most 63 characters.
    static func workspaceName(from name: String) -> String {
        var result = String(
            name.lowercased().unicodeScalars.map { ("a"..."z").contains($0) || ("0"..."9").contains($0) ? Character($0) : "-" }
        )
        if !(result.first.map { ("a"..."z").contains($0) } ?? false) { result = "w-" + result }
        result = String(result.prefix(WorkspaceName.maximumLength))
        while result.hasSuffix("-") { result.removeLast() }
        return result.isEmpty ? "workspace" : result
    }
}
