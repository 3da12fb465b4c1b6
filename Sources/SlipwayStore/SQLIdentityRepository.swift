import Foundation
import SQLKit
import SlipwayCore

/// Workspaces, users and API tokens in SQL. Token secrets are kept only as their SHA-256 hex digest.
struct SQLIdentityRepository: IdentityRepository {
    let database: Database

    private struct WorkspaceRow: Decodable {
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

    private struct UserRow: Decodable {
        var id: Int64
        var workspaceID: Int64
        var name: String
        var createdAt: Int64

        func user() -> User {
            User(id: id, workspaceID: workspaceID, name: name, createdAt: StoredValue.date(createdAt))
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

        func token() throws -> APIToken {
            APIToken(
                id: id, workspaceID: workspaceID, userID: userID, name: name, scopes: try StoredValue.scopes(scopes),
                createdAt: StoredValue.date(createdAt), lastUsedAt: StoredValue.date(lastUsedAt)
            )
        }
    }

    /// Two tokens with one secret could not be told apart.
    private static let secretTaken = SlipwayError.conflict("a token with this secret already exists")

    func isEmpty() async throws -> Bool {
        try await database.withConnection { session in
            try await session.rows("SELECT id FROM workspaces LIMIT 1").isEmpty
        }
    }

    func bootstrap(workspaceName: String, userName: String, tokenSecret: String) async throws -> Identity {
        let now = Timestamp.now()
        let workspaceUID = UUID()
        return try await UniqueConstraint.tokenHash.translatingViolation(into: Self.secretTaken) {
            try await database.transaction { session in
                let workspaceID = try await session.insertReturningID(
                    """
                    INSERT INTO workspaces (uid, name, created_at)
                    VALUES (\(bind: workspaceUID.lowercased), \(bind: workspaceName), \(bind: StoredValue.microseconds(now)))
                    RETURNING id
                    """
                )
                let userID = try await session.insertReturningID(
                    """
                    INSERT INTO users (workspace_id, name, created_at)
                    VALUES (\(bind: workspaceID), \(bind: userName), \(bind: StoredValue.microseconds(now)))
                    RETURNING id
                    """
                )
                let token = try await insertToken(
                    session, workspaceID: workspaceID, userID: userID, name: "admin", scopes: [.admin], secret: tokenSecret, at: now
                )
                return Identity(
                    workspace: Workspace(id: workspaceID, uid: workspaceUID, name: workspaceName, createdAt: now),
                    user: User(id: userID, workspaceID: workspaceID, name: userName, createdAt: now),
                    token: token
                )
            }
        }
    }

    func authenticate(secret: String) async throws -> Identity? {
        let hash = StoredValue.tokenHash(secret)
        let now = Timestamp.now()
        return try await database.transaction { session in
            guard
                let token = try await session.first(
                    TokenRow.self,
                    """
                    UPDATE api_tokens SET last_used_at = \(bind: StoredValue.microseconds(now))
                    WHERE token_hash = \(bind: hash)
                    RETURNING id, workspace_id, user_id, name, scopes, created_at, last_used_at
                    """
                )
            else { return nil }
            guard
                let workspace = try await session.first(
                    WorkspaceRow.self, "SELECT id, uid, name, created_at FROM workspaces WHERE id = \(bind: token.workspaceID)"
                ),
                let user = try await session.first(
                    UserRow.self,
                    "SELECT id, workspace_id, name, created_at FROM users WHERE id = \(bind: token.userID) AND workspace_id = \(bind: token.workspaceID)"
                )
            else { return nil }
            return Identity(workspace: try workspace.workspace(), user: user.user(), token: try token.token())
        }
    }

    func createToken(workspaceID: Int64, userID: Int64, name: String, scopes: Set<Scope>, secret: String) async throws -> APIToken {
        try await UniqueConstraint.tokenHash.translatingViolation(into: Self.secretTaken) {
            try await database.transaction { session in
                let user = try await session.first(
                    UserRow.self,
                    "SELECT id, workspace_id, name, created_at FROM users WHERE id = \(bind: userID) AND workspace_id = \(bind: workspaceID)"
                )
                guard user != nil else { throw SlipwayError.notFound("user \(userID) not found") }
                return try await insertToken(
                    session, workspaceID: workspaceID, userID: userID, name: name, scopes: scopes, secret: secret, at: Timestamp.now()
                )
            }
        }
    }

    func tokens(workspaceID: Int64) async throws -> [APIToken] {
        try await database.withConnection { session in
            try await session.all(
                TokenRow.self,
                """
                SELECT id, workspace_id, user_id, name, scopes, created_at, last_used_at FROM api_tokens
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
        _ session: Session, workspaceID: Int64, userID: Int64, name: String, scopes: Set<Scope>, secret: String, at now: Date
    ) async throws -> APIToken {
        let id = try await session.insertReturningID(
            """
            INSERT INTO api_tokens (workspace_id, user_id, name, scopes, token_hash, created_at, last_used_at)
            VALUES (
                \(bind: workspaceID), \(bind: userID), \(bind: name), \(bind: StoredValue.scopesText(scopes)),
                \(bind: StoredValue.tokenHash(secret)), \(bind: StoredValue.microseconds(now)), NULL
            )
            RETURNING id
            """
        )
        return APIToken(id: id, workspaceID: workspaceID, userID: userID, name: name, scopes: scopes, createdAt: now, lastUsedAt: nil)
    }
}
