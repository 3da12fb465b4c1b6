import Foundation
import SQLKit
import SlipwayCore

/// Workspaces, users, API tokens and sessions in SQL. Token and session secrets are kept only as their SHA-256 hex
/// digest; passwords only as the hash `PasswordHasher` made.
struct SQLIdentityRepository: IdentityRepository {
    let database: Database

    struct WorkspaceRow: Decodable {
        var id: Int64
        var uid: String
        var name: String
        var createdAt: Int64

        func workspace() throws -> Workspace {
            Workspace(
                id: id, uid: try StoredValue.uuid(uid, table: "workspaces", column: "uid"), name: name,
                createdAt: StoredValue.date(createdAt)
            )
        }
    }

    struct UserRow: Decodable {
        var id: Int64
        var name: String
        var login: String?
        var email: String?
        var isInstallAdmin: Int64
        var createdAt: Int64

        /// The columns this row reads, for a `SELECT` of `users`.
        static let columns: SQLQueryString = "id, name, login, email, is_install_admin, created_at"

        func user() -> User {
            User(
                id: id, name: name, login: login, email: email, isInstallAdministrator: isInstallAdmin != 0,
                createdAt: StoredValue.date(createdAt)
            )
        }
    }

    private struct TokenRow: Decodable {
        var id: Int64
        var workspaceID: Int64
        var userID: Int64
        var name: String
        var scopes: String
        var createdAt: Int64
        var lastUsedAt: Int64?
        var expiresAt: Int64?

        func token() throws -> APIToken {
            APIToken(
                id: id, workspaceID: workspaceID, userID: userID, name: name, scopes: try StoredValue.scopes(scopes),
                createdAt: StoredValue.date(createdAt), lastUsedAt: StoredValue.date(lastUsedAt), expiresAt: StoredValue.date(expiresAt)
            )
        }
    }

    /// Two tokens with one secret could not be told apart.
    static let secretTaken = SlipwayError.conflict("a token with this secret already exists")
    /// Logins are unique on the install, whatever their case.
    static let loginTaken = SlipwayError.invalid("login", "is taken")

    func isEmpty() async throws -> Bool {
        try await database.withConnection { session in
            try await session.rows("SELECT id FROM workspaces LIMIT 1").isEmpty
        }
    }

    func bootstrap(workspaceName: String, user: NewUser, tokenSecret: String) async throws -> Identity {
        let now = Timestamp.now()
        let workspaceUID = UUID()
        return try await UniqueConstraint.userLogin.translatingViolation(into: Self.loginTaken) {
            try await UniqueConstraint.tokenHash.translatingViolation(into: Self.secretTaken) {
                try await database.transaction { session in
                    let workspaceID = try await session.insertReturningID(
                        """
                        INSERT INTO workspaces (uid, name, created_at)
                        VALUES (\(bind: workspaceUID.lowercased), \(bind: workspaceName), \(bind: StoredValue.microseconds(now)))
                        RETURNING id
                        """
                    )
                    let user = try await insertUser(session, user, workspaceID: workspaceID, at: now)
                    try await insertMembership(session, workspaceID: workspaceID, userID: user.id, role: .owner, at: now)
                    let token = try await insertToken(
                        session, workspaceID: workspaceID, userID: user.id, name: "admin", scopes: [.admin], secret: tokenSecret, at: now
                    )
                    return Identity(
                        workspace: Workspace(id: workspaceID, uid: workspaceUID, name: workspaceName, createdAt: now), user: user, token: token
                    )
                }
            }
        }
    }

    func caller(secret: String, at now: Date) async throws -> Caller? {
        if secret.hasPrefix(LoginSession.secretPrefix) { return try await authenticateSession(secret: secret, at: now) }
        let hash = StoredValue.tokenHash(secret)
        return try await database.transaction { session in
            guard
                let token = try await session.first(
                    TokenRow.self,
                    """
                    UPDATE api_tokens SET last_used_at = \(bind: StoredValue.microseconds(now))
                    WHERE token_hash = \(bind: hash) AND (expires_at IS NULL OR expires_at > \(bind: StoredValue.microseconds(now)))
                    RETURNING id, workspace_id, user_id, name, scopes, created_at, last_used_at, expires_at
                    """
                )
            else { return nil }
            guard let user = try await user(session, id: token.userID),
                let membership = try await MembershipRow.membership(session, userID: token.userID, in: .id(token.workspaceID))
            else { return nil }
            return Caller(user: user, credential: .token(try token.token()), membership: membership)
        }
    }

    /// A user, read in the caller's transaction.
    func user(_ session: Session, id: Int64) async throws -> User? {
        try await session.first(UserRow.self, "SELECT \(UserRow.columns) FROM users WHERE id = \(bind: id)")?.user()
    }

    /// Adds a membership in the caller's transaction. The user's open sessions that acted nowhere (they logged in
    /// before belonging to any workspace) act in this one from now on, and end if the user is removed from it.
    func insertMembership(_ session: Session, workspaceID: Int64, userID: Int64, role: Role, at now: Date) async throws {
        try await session.run(
            """
            INSERT INTO memberships (workspace_id, user_id, role, created_at)
            VALUES (\(bind: workspaceID), \(bind: userID), \(bind: role.rawValue), \(bind: StoredValue.microseconds(now)))
            """
        )
        try await session.run(
            """
            UPDATE sessions SET workspace_id = \(bind: workspaceID)
            WHERE user_id = \(bind: userID) AND workspace_id IS NULL AND revoked_at IS NULL
            """
        )
    }

    func createToken(
        workspaceID: Int64, userID: Int64, name: String, scopes: Set<Scope>, secret: String, expiresAt: Date?
    ) async throws -> APIToken {
        try await UniqueConstraint.tokenHash.translatingViolation(into: Self.secretTaken) {
            try await database.transaction { session in
                guard try await MembershipRow.membership(session, userID: userID, in: .id(workspaceID)) != nil else {
                    throw SlipwayError.notFound("user \(userID) is not a member of workspace \(workspaceID)")
                }
                return try await insertToken(
                    session, workspaceID: workspaceID, userID: userID, name: name, scopes: scopes, secret: secret, at: Timestamp.now(),
                    expiresAt: expiresAt
                )
            }
        }
    }

    func tokens(workspaceID: Int64) async throws -> [APIToken] {
        try await database.withConnection { session in
            try await session.all(
                TokenRow.self,
                """
                SELECT id, workspace_id, user_id, name, scopes, created_at, last_used_at, expires_at FROM api_tokens
                WHERE workspace_id = \(bind: workspaceID) ORDER BY id
                """
            ).map { try $0.token() }
        }
    }

    func deleteToken(id: Int64, workspaceID: Int64) async throws -> Bool {
        try await database.withConnection { session in
            try await !session.rows(
                "DELETE FROM api_tokens WHERE id = \(bind: id) AND workspace_id = \(bind: workspaceID) RETURNING id"
            ).isEmpty
        }
    }

    private func insertToken(
        _ session: Session, workspaceID: Int64, userID: Int64, name: String, scopes: Set<Scope>, secret: String, at now: Date,
        expiresAt: Date? = nil
    ) async throws -> APIToken {
        let expiresAt = expiresAt.map(StoredValue.storedPrecision)
        let id = try await session.insertReturningID(
            """
            INSERT INTO api_tokens (workspace_id, user_id, name, scopes, token_hash, created_at, last_used_at, expires_at)
            VALUES (
                \(bind: workspaceID), \(bind: userID), \(bind: name), \(bind: StoredValue.scopesText(scopes)),
                \(bind: StoredValue.tokenHash(secret)), \(bind: StoredValue.microseconds(now)), NULL,
                \(bind: StoredValue.microseconds(expiresAt))
            )
            RETURNING id
            """
        )
        return APIToken(
            id: id, workspaceID: workspaceID, userID: userID, name: name, scopes: scopes, createdAt: now, lastUsedAt: nil, expiresAt: expiresAt)
    }
}
