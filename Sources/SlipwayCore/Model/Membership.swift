public import Foundation

/// What a member may do in a workspace (docs/tenancy.md). Each role includes the ones below it.
public enum Role: String, Sendable, Codable, CaseIterable, Comparable {
    /// Reads everything in the workspace.
    case viewer
    /// Deploys, cancels, reruns, rolls back and promotes, and reads.
    case developer
    /// Manages projects, environment variables, tokens and domains, and deploys.
    case admin
    /// Everything in the workspace, its members and invitations included.
    case owner

    private var rank: Int {
        switch self {
        case .viewer: 0
        case .developer: 1
        case .admin: 2
        case .owner: 3
        }
    }

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }

    /// The highest scope the role allows: a token of a member never holds more.
    public var highestScope: Scope {
        switch self {
        case .viewer: .read
        case .developer: .deploy
        case .admin, .owner: .admin
        }
    }

    /// The scopes of a session of a member with this role: the highest one, which implies those below (as a token
    /// holding `admin` shows only `admin`).
    public var scopes: Set<Scope> { [highestScope] }

    /// The role names, for an error message.
    public static let names = allCases.map(\.rawValue).joined(separator: ", ")
}

/// A user's place in a workspace.
public struct Membership: Sendable, Equatable {
    public var workspace: Workspace
    public var userID: Int64
    public var role: Role
    public var createdAt: Date

    public init(workspace: Workspace, userID: Int64, role: Role, createdAt: Date) {
        self.workspace = workspace
        self.userID = userID
        self.role = role
        self.createdAt = createdAt
    }
}

/// A member of a workspace as its member list shows them.
public struct Member: Sendable, Equatable {
    public var user: User
    public var role: Role
    public var createdAt: Date

    public init(user: User, role: Role, createdAt: Date) {
        self.user = user
        self.role = role
        self.createdAt = createdAt
    }
}

/// How a request names the workspace it acts in (`X-Slipway-Workspace`): its id, or its name.
public enum WorkspaceSelector: Sendable, Equatable {
    case id(Int64)
    case name(String)

    /// Digits are an id (a workspace name never is all digits); anything else is a name.
    public init(_ text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let id = Int64(trimmed), id > 0 { self = .id(id) } else { self = .name(WorkspaceName.normalize(trimmed)) }
    }

    /// The selector as the caller wrote it, for a message.
    public var description: String {
        switch self {
        case .id(let id): String(id)
        case .name(let name): name
        }
    }
}

/// Who is calling, before the workspace they act in is settled: the user and how they authenticated, and where
/// they act when the request names no workspace (nil for a user who belongs to no workspace yet).
public struct Caller: Sendable, Equatable {
    public var user: User
    public var credential: Credential
    public var membership: Membership?

    public init(user: User, credential: Credential, membership: Membership?) {
        self.user = user
        self.credential = credential
        self.membership = membership
    }

    /// The caller acting in their default workspace; nil when they belong to none.
    public var identity: Identity? { membership.map(acting(in:)) }

    /// The caller acting in `membership`'s workspace, with what the credential and the role there allow.
    public func acting(in membership: Membership) -> Identity {
        Identity(workspace: membership.workspace, user: user, credential: credential, role: membership.role)
    }

    /// Whether the credential itself grants `scope`, whatever the workspace: a session grants everything its user
    /// may do; a token its own scopes. Install administration asks this (it belongs to no workspace).
    public func credentialGrants(_ scope: Scope) -> Bool {
        switch credential {
        case .session: true
        case .token(let token): token.grants(scope)
        }
    }

    /// The session the caller authenticated with, if it was one.
    public var session: LoginSession? {
        if case .session(let session) = credential { return session }
        return nil
    }

    /// The API token the caller authenticated with, if it was one.
    public var token: APIToken? {
        if case .token(let token) = credential { return token }
        return nil
    }
}
