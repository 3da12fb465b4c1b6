import Foundation

/// A user of the install (`GET /api/v1/users`, a login's `user`).
public struct UserInfo: Decodable, Sendable, Equatable {
    public var id: Int64
    public var login: String
    public var name: String
    public var email: String?
    public var isInstallAdmin: Bool
    public var createdAt: String
}

/// A login session (`GET /api/v1/sessions`): never its secret.
public struct SessionInfo: Decodable, Sendable, Equatable {
    public var id: Int64
    public var uid: String
    /// The workspace the session acts in by default; nil for a user who belonged to none at login.
    public var workspaceId: Int64?
    public var createdAt: String
    public var expiresAt: String
    public var lastUsedAt: String?
    /// Whether it is the session the request came with.
    public var current: Bool
}

/// What logging in answers: the session's secret (a bearer token) and whom it authenticates.
public struct LoginInfo: Decodable, Sendable, Equatable {
    public var token: String
    public var expiresAt: String
    public var session: SessionInfo
    public var user: UserInfo
    /// Where the session acts; nil for a user who belongs to no workspace yet.
    public var workspace: MeInfo.Workspace?
}
