public import Foundation

/// What a token may do. `admin` implies `deploy`, which implies `read`: the workspace's scopes, capped by the
/// member's role. `metrics` stands apart: it reads the install's `/metrics` page (every workspace's figures), implies
/// nothing else and is implied by nothing else; only an install administrator makes a token holding it, and the page
/// answers only such a token of an install administrator (docs/operations.md).
public enum Scope: String, Sendable, Codable, CaseIterable, Comparable {
    case read
    case deploy
    case admin
    case metrics

    private var rank: Int {
        switch self {
        case .read: 0
        case .deploy: 1
        case .admin: 2
        case .metrics: 3
        }
    }

    /// The order scopes are listed in (`read`, `deploy`, `admin`, `metrics`); not what implies what (`implies`).
    public static func < (lhs: Scope, rhs: Scope) -> Bool { lhs.rank < rhs.rank }

    /// Whether holding this scope allows what `scope` allows: the workspace's scopes imply the lower ones; `metrics`
    /// only itself.
    public func implies(_ scope: Scope) -> Bool {
        switch (self, scope) {
        case (.metrics, .metrics): true
        case (.metrics, _), (_, .metrics): false
        default: self >= scope
        }
    }

    /// The scope a token holding this one acts with for a member whose role allows at most `highest`: a workspace scope
    /// is capped there; `metrics` is not a power in the workspace and stays.
    public func capped(at highest: Scope) -> Scope {
        self == .metrics ? self : Swift.min(self, highest)
    }
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
    /// When the token stops authenticating; nil for one that does not expire.
    public var expiresAt: Date?

    public init(
        id: Int64, workspaceID: Int64, userID: Int64, name: String, scopes: Set<Scope>, createdAt: Date, lastUsedAt: Date?,
        expiresAt: Date? = nil
    ) {
        self.id = id
        self.workspaceID = workspaceID
        self.userID = userID
        self.name = name
        self.scopes = scopes
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.expiresAt = expiresAt
    }

    /// Whether the token grants `scope`, directly or through a higher scope.
    public func grants(_ scope: Scope) -> Bool { scopes.contains { $0.implies(scope) } }

    /// A fresh random secret: `slw_` and 40 hex digits (160 bits).
    public static func generateSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<20).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return "slw_" + bytes.map { String(format: "%02x", $0) }.joined()
    }
}

/// How a caller proved who they are: an API token, or a session made by logging in with a password.
public enum Credential: Sendable, Equatable {
    case token(APIToken)
    case session(LoginSession)
}

/// Who is calling, acting in one workspace: the user, the workspace, how they authenticated, their role there and
/// what they may do. Built by authentication, read by every handler of the workspace's routes.
///
/// `scopes` are the effective scopes: for a session, the role's; for a token, its own, each capped at the highest
/// scope the role allows (a token never holds more than its user's role: docs/tenancy.md).
public struct Identity: Sendable, Equatable {
    public var workspace: Workspace
    public var user: User
    public var credential: Credential
    public var role: Role
    public var scopes: Set<Scope>

    public init(workspace: Workspace, user: User, credential: Credential, role: Role) {
        self.workspace = workspace
        self.user = user
        self.credential = credential
        self.role = role
        switch credential {
        case .session: self.scopes = role.scopes
        case .token(let token): self.scopes = Set(token.scopes.map { $0.capped(at: role.highestScope) })
        }
    }

    /// The identity of an API token of a member with `role` (an owner's by default).
    public init(workspace: Workspace, user: User, token: APIToken, role: Role = .owner) {
        self.init(workspace: workspace, user: user, credential: .token(token), role: role)
    }

    /// The identity of a login session of a member with `role` (an owner's by default).
    public init(workspace: Workspace, user: User, session: LoginSession, role: Role = .owner) {
        self.init(workspace: workspace, user: user, credential: .session(session), role: role)
    }

    /// Whether the caller may do what `scope` allows, directly or through a higher scope.
    public func grants(_ scope: Scope) -> Bool { scopes.contains { $0.implies(scope) } }

    /// The API token the caller authenticated with, if it was one.
    public var token: APIToken? {
        if case .token(let token) = credential { return token }
        return nil
    }

    /// The session the caller authenticated with, if it was one.
    public var session: LoginSession? {
        if case .session(let session) = credential { return session }
        return nil
    }
}
