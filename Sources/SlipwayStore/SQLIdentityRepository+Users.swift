import Foundation
import SQLKit
import SlipwayCore

/// Users and their password hashes, and login sessions (migration 10).
extension SQLIdentityRepository {
    private struct SessionRow: Decodable {
        var id: Int64
        var uid: String
        var userID: Int64
        var workspaceID: Int64?
        var createdAt: Int64
        var expiresAt: Int64
        var lastUsedAt: Int64?
        var revokedAt: Int64?

        static let columns: SQLQueryString = "id, uid, user_id, workspace_id, created_at, expires_at, last_used_at, revoked_at"

        func session() throws -> LoginSession {
            LoginSession(
                id: id, uid: try StoredValue.uuid(uid, table: "sessions", column: "uid"), userID: userID, workspaceID: workspaceID,
                createdAt: StoredValue.date(createdAt), expiresAt: StoredValue.date(expiresAt), lastUsedAt: StoredValue.date(lastUsedAt),
                revokedAt: StoredValue.date(revokedAt)
            )
        }
    }

    /// Inserts a user in the caller's transaction. `workspaceID` only records where the user was first made
    /// (`users.workspace_id`, migration 13); memberships say where they act.
    func insertUser(_ session: Session, _ user: NewUser, workspaceID: Int64, at now: Date) async throws -> User {
        let name = user.login.trimmingCharacters(in: .whitespacesAndNewlines)
        let login = UserLogin.normalize(user.login)
        let id = try await session.insertReturningID(
            """
            INSERT INTO users (workspace_id, name, login, email, password_hash, is_install_admin, created_at)
            VALUES (
                \(bind: workspaceID), \(bind: name), \(bind: login), \(bind: user.email), \(bind: user.passwordHash),
                \(bind: Int64(user.isInstallAdministrator ? 1 : 0)), \(bind: StoredValue.microseconds(now))
            )
            RETURNING id
            """
        )
        return User(
            id: id, name: name, login: login, email: user.email, isInstallAdministrator: user.isInstallAdministrator,
            createdAt: StoredValue.storedPrecision(now)
        )
    }

    func createUser(_ user: NewUser) async throws -> User {
        try await UniqueConstraint.userLogin.translatingViolation(into: Self.loginTaken) {
            try await database.transaction { session in
                guard let first = try await session.value(Int64.self, column: "id", "SELECT MIN(id) AS id FROM workspaces") else {
                    throw SlipwayError.conflict("the install has no workspace yet")
                }
                return try await insertUser(session, user, workspaceID: first, at: Timestamp.now())
            }
        }
    }

    func users() async throws -> [User] {
        try await database.withConnection { session in
            try await session.all(UserRow.self, "SELECT \(UserRow.columns) FROM users ORDER BY id").map { $0.user() }
        }
    }

    func user(id: Int64) async throws -> User? {
        try await database.withConnection { session in
            try await session.first(UserRow.self, "SELECT \(UserRow.columns) FROM users WHERE id = \(bind: id)")?.user()
        }
    }

    func credentials(login: String) async throws -> UserCredentials? {
        try await credentials(where: "login = \(bind: UserLogin.normalize(login))")
    }

    func credentials(userID: Int64) async throws -> UserCredentials? {
        try await credentials(where: "id = \(bind: userID)")
    }

    private func credentials(where condition: SQLQueryString) async throws -> UserCredentials? {
        try await database.withConnection { session in
            guard let user = try await session.first(UserRow.self, "SELECT \(UserRow.columns) FROM users WHERE \(condition)") else {
                return nil
            }
            let hash = try await session.value(String?.self, column: "password_hash", "SELECT password_hash FROM users WHERE id = \(bind: user.id)")
            return UserCredentials(user: user.user(), passwordHash: hash ?? nil)
        }
    }

    func setPasswordHash(_ hash: String, userID: Int64, keepingSession keptSessionID: Int64?, at now: Date) async throws {
        try await database.transaction { session in
            try await session.run("UPDATE users SET password_hash = \(bind: hash) WHERE id = \(bind: userID)")
            try await session.run(
                """
                UPDATE sessions SET revoked_at = \(bind: StoredValue.microseconds(now))
                WHERE user_id = \(bind: userID) AND revoked_at IS NULL AND id <> \(bind: keptSessionID ?? 0)
                """
            )
        }
    }

    func installAdministratorWithoutPassword() async throws -> User? {
        try await database.withConnection { session in
            let withPassword = try await session.rows(
                "SELECT id FROM users WHERE is_install_admin = 1 AND password_hash IS NOT NULL LIMIT 1"
            )
            guard withPassword.isEmpty else { return nil }
            return try await session.first(
                UserRow.self, "SELECT \(UserRow.columns) FROM users WHERE is_install_admin = 1 ORDER BY id LIMIT 1"
            )?.user()
        }
    }

    func createSession(userID: Int64, secret: String, createdAt: Date, expiresAt: Date) async throws -> Caller {
        let uid = UUID()
        return try await UniqueConstraint.sessionTokenHash.translatingViolation(into: Self.secretTaken) {
            try await database.transaction { session in
                guard let user = try await user(session, id: userID) else { throw SlipwayError.notFound("user \(userID) not found") }
                let membership = try await MembershipRow.oldestMembership(session, userID: userID)
                let workspaceID = membership?.workspace.id
                let id = try await session.insertReturningID(
                    """
                    INSERT INTO sessions (uid, user_id, workspace_id, token_hash, created_at, expires_at, last_used_at, revoked_at)
                    VALUES (
                        \(bind: uid.lowercased), \(bind: userID), \(bind: workspaceID), \(bind: StoredValue.tokenHash(secret)),
                        \(bind: StoredValue.microseconds(createdAt)), \(bind: StoredValue.microseconds(expiresAt)), NULL, NULL
                    )
                    RETURNING id
                    """
                )
                let stored = LoginSession(
                    id: id, uid: uid, userID: userID, workspaceID: workspaceID, createdAt: StoredValue.storedPrecision(createdAt),
                    expiresAt: StoredValue.storedPrecision(expiresAt)
                )
                return Caller(user: user, credential: .session(stored), membership: membership)
            }
        }
    }

    /// The caller of an active session's secret at `now`, recording its use. The session acts in its own workspace
    /// while its user is a member there, else in their oldest membership.
    func authenticateSession(secret: String, at now: Date) async throws -> Caller? {
        let time = StoredValue.microseconds(now)
        return try await database.transaction { session in
            guard
                let row = try await session.first(
                    SessionRow.self,
                    """
                    UPDATE sessions SET last_used_at = \(bind: time)
                    WHERE token_hash = \(bind: StoredValue.tokenHash(secret)) AND revoked_at IS NULL AND expires_at > \(bind: time)
                    RETURNING \(SessionRow.columns)
                    """
                ),
                let user = try await user(session, id: row.userID)
            else { return nil }
            var membership: Membership?
            if let workspaceID = row.workspaceID {
                membership = try await MembershipRow.membership(session, userID: row.userID, in: .id(workspaceID))
            }
            if membership == nil { membership = try await MembershipRow.oldestMembership(session, userID: row.userID) }
            return Caller(user: user, credential: .session(try row.session()), membership: membership)
        }
    }

    func sessions(userID: Int64, activeAt now: Date) async throws -> [LoginSession] {
        try await database.withConnection { session in
            try await session.all(
                SessionRow.self,
                """
                SELECT \(SessionRow.columns) FROM sessions
                WHERE user_id = \(bind: userID) AND revoked_at IS NULL AND expires_at > \(bind: StoredValue.microseconds(now))
                ORDER BY id
                """
            ).map { try $0.session() }
        }
    }

    func revokeSession(id: Int64, userID: Int64, at now: Date) async throws -> Bool {
        let time = StoredValue.microseconds(now)
        return try await database.withConnection { session in
            try await !session.rows(
                """
                UPDATE sessions SET revoked_at = \(bind: time)
                WHERE id = \(bind: id) AND user_id = \(bind: userID) AND revoked_at IS NULL AND expires_at > \(bind: time)
                RETURNING id
                """
            ).isEmpty
        }
    }
}
