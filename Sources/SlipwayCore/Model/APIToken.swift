public import Foundation

/// What a token may do. `admin` implies `deploy`, which implies `read`.
public enum Scope: String, Sendable, Codable, CaseIterable, Comparable {
    case read
    case deploy
    case admin

    private var rank: Int {
        switch self {
        case .read: 0
        case .deploy: 1
        case .admin: 2
        }
    }

    public static func < (lhs: Scope, rhs: Scope) -> Bool { lhs.rank < rhs.rank }
}

/// An API key. Only the SHA-256 hash of its secret is ever stored.
public struct APIToken: Sendable, Equatable {
    public var id: Int64
    public var workspaceID: Int64
    public var userID: Int64
    public var name: String
    public var scopes: Set<Scope>
    public var createdAt: Date
    public var lastUsedAt: Date?

    public init(
        id: Int64, workspaceID: Int64, userID: Int64, name: String, scopes: Set<Scope>, createdAt: Date, lastUsedAt: Date?
    ) {
        self.id = id
        self.workspaceID = workspaceID
        self.userID = userID
        self.name = name
        self.scopes = scopes
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
    }

    /// Whether the token grants `scope`, directly or through a higher scope.
    public func grants(_ scope: Scope) -> Bool { scopes.contains { $0 >= scope } }

    /// A fresh random secret: `slw_` and 40 hex digits (160 bits).
    public static func generateSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<20).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return "slw_" + bytes.map { String(format: "%02x", $0) }.joined()
    }
}

/// Who is calling: the token, its user and its workspace. Built by authentication, read by every handler.
public struct Identity: Sendable, Equatable {
    public var workspace: Workspace
    public var user: User
    public var token: APIToken

    public init(workspace: Workspace, user: User, token: APIToken) {
        self.workspace = workspace
        self.user = user
        self.token = token
    }
}
