import Foundation
import SQLKit
import SlipwayCore

extension Migrations {
    private struct ExistingUserRow: Decodable {
        var id: Int64
        var name: String
    }

    /// Migration 10: users log in (docs/tenancy.md).
    ///
    /// - `users.login`: the login, normalized (trimmed, lower case), unique on the install (`users_login_unique`). The
    ///   users made before this migration get their name as login (normalized the same way as in Swift); a name two
    ///   of them share gets `-<id>` on every one but the first.
    /// - `users.password_hash`: the scrypt hash (`$scrypt$ln=…`), NULL for a user who cannot log in with a password;
    ///   `users.email`, optional.
    /// - `users.is_install_admin`: 1 for an install administrator: the install's first user. Its password is made at
    ///   the next start (`Bootstrap`), since a migration has no way to show it to anyone.
    /// - `sessions`: login sessions; `token_hash` is the SHA-256 of the secret, like `api_tokens.token_hash`.
    @Sendable static func addUsersAndSessions(_ session: Session) async throws {
        try await session.run("ALTER TABLE users ADD COLUMN login TEXT NULL")
        try await session.run("ALTER TABLE users ADD COLUMN email TEXT NULL")
        try await session.run("ALTER TABLE users ADD COLUMN password_hash TEXT NULL")
        try await session.run("ALTER TABLE users ADD COLUMN is_install_admin BIGINT NOT NULL DEFAULT 0")
        var taken: Set<String> = []
        for row in try await session.all(ExistingUserRow.self, "SELECT id, name FROM users ORDER BY id") {
            var login = UserLogin.normalize(row.name)
            if login.isEmpty || taken.contains(login) { login += "-\(row.id)" }
            taken.insert(login)
            try await session.run("UPDATE users SET login = \(bind: login) WHERE id = \(bind: row.id)")
        }
        try await session.run("UPDATE users SET is_install_admin = 1 WHERE id = (SELECT MIN(id) FROM users)")
        try await session.run("CREATE UNIQUE INDEX users_login_unique ON users (login)")
        try await session.run(
            """
            CREATE TABLE sessions (
                id \(idColumn(session.dialect)),
                uid TEXT NOT NULL CONSTRAINT sessions_uid_unique UNIQUE,
                user_id BIGINT NOT NULL REFERENCES users (id),
                workspace_id BIGINT NOT NULL REFERENCES workspaces (id),
                token_hash TEXT NOT NULL CONSTRAINT sessions_token_hash_unique UNIQUE,
                created_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                last_used_at BIGINT,
                revoked_at BIGINT
            )
            """
        )
        try await session.run("CREATE INDEX sessions_user_id ON sessions (user_id, id)")
    }
}
