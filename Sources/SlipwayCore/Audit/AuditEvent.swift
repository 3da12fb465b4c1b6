public import Foundation

/// One change a person or token made, or tried to make, through the API or Slipway's git remote (docs/audit.md).
///
/// The actor's login is kept beside their id, so the entry still says who it was after the user is deleted. The
/// detail holds names (of env vars, of a domain, of a login tried), never a value that is a secret: no passwords,
/// token secrets, invitation codes, env values or private keys.
public struct AuditEvent: Sendable, Equatable {
    /// How the actor authenticated.
    public enum Via: String, Sendable, CaseIterable {
        /// A login session (the dashboard, `slipway login`).
        case session
        /// An API token.
        case token
        /// No credential was accepted (a failed login).
        case none
    }

    /// Whether the change was made.
    public enum Outcome: String, Sendable, CaseIterable {
        case succeeded
        case failed
    }

    public var id: Int64
    /// The workspace the change was made in; nil for an install-level action (users, limits, workspaces, logins).
    public var workspaceID: Int64?
    /// The user who acted; nil when nobody authenticated (a failed login).
    public var actorUserID: Int64?
    /// The actor's login at the time (the login tried, for a failed login).
    public var actorLogin: String?
    /// The API token the actor used; nil for a session.
    public var tokenID: Int64?
    public var via: Via
    /// The client's address.
    public var address: String?
    public var createdAt: Date
    /// What was done: `project.create`, `deployment.cancel`, `env.update`, …
    public var action: String
    /// What it was done to: `project`, `deployment`, `token`, …
    public var targetType: String?
    public var targetID: String?
    public var targetName: String?
    /// Names, never secret values: `{"names": ["API_KEY"]}`, `{"force": true}`.
    public var detail: [String: AuditDetailValue]
    /// The HTTP status of the answer.
    public var status: Int
    public var outcome: Outcome
    /// A short code of the error for a failed change (`forbidden`, `not_found`, `conflict`, `invalid`, …).
    public var errorCode: String?

    /// An event.
    public init(
        id: Int64 = 0, workspaceID: Int64?, actorUserID: Int64?, actorLogin: String?, tokenID: Int64?, via: Via, address: String?,
        createdAt: Date, action: String, targetType: String?, targetID: String?, targetName: String?, detail: [String: AuditDetailValue],
        status: Int, outcome: Outcome, errorCode: String?
    ) {
        self.id = id
        self.workspaceID = workspaceID
        self.actorUserID = actorUserID
        self.actorLogin = actorLogin
        self.tokenID = tokenID
        self.via = via
        self.address = address
        self.createdAt = createdAt
        self.action = action
        self.targetType = targetType
        self.targetID = targetID
        self.targetName = targetName
        self.detail = detail
        self.status = status
        self.outcome = outcome
        self.errorCode = errorCode
    }
}

/// A value of an audit event's detail: small and never a secret.
public enum AuditDetailValue: Sendable, Equatable, Codable {
    case text(String)
    case integer(Int64)
    case flag(Bool)
    case names([String])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let flag = try? container.decode(Bool.self) {
            self = .flag(flag)
        } else if let number = try? container.decode(Int64.self) {
            self = .integer(number)
        } else if let text = try? container.decode(String.self) {
            self = .text(text)
        } else {
            self = .names(try container.decode([String].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .text(let text): try container.encode(text)
        case .integer(let number): try container.encode(number)
        case .flag(let flag): try container.encode(flag)
        case .names(let names): try container.encode(names)
        }
    }
}

/// Which audit events a reader may see: their workspace's, and the install-level ones for an install administrator.
public struct AuditScope: Sendable, Equatable {
    /// The workspace whose events are visible; nil for none.
    public var workspaceID: Int64?
    /// Whether the install-level events (no workspace) are visible.
    public var includesInstallEvents: Bool

    /// A scope.
    public init(workspaceID: Int64?, includesInstallEvents: Bool) {
        self.workspaceID = workspaceID
        self.includesInstallEvents = includesInstallEvents
    }
}

/// One page of audit events.
public typealias AuditPage = QueryPage<AuditEvent>

/// The audit trail: recording, listing through the query language, and pruning what is older than the retention.
public protocol AuditRepository: Sendable {
    /// Appends an event (its `id` is ignored).
    func record(_ event: AuditEvent) async throws
    /// One page of the events in `scope` that match `query`. Throws `QueryError` for a cursor not issued for this order.
    func page(_ query: DeploymentQuery, scope: AuditScope) async throws -> AuditPage
    /// Deletes the events made before `cutoff`; answers how many.
    @discardableResult func prune(before cutoff: Date) async throws -> Int
}

/// The attributes of audit events a query can compare or sort on.
public enum AuditQueryAttributes {
    public static let id = QueryAttribute(.auditEvent, "id", .integer)
    public static let workspaceID = QueryAttribute(.auditEvent, "workspaceID", .integer, nullable: true)
    public static let actorUserID = QueryAttribute(.auditEvent, "actorUserID", .integer, nullable: true)
    public static let actorLogin = QueryAttribute(.auditEvent, "actorLogin", .text, nullable: true)
    public static let tokenID = QueryAttribute(.auditEvent, "tokenID", .integer, nullable: true)
    public static let via = QueryAttribute(.auditEvent, "via", .text)
    public static let address = QueryAttribute(.auditEvent, "address", .text, nullable: true)
    public static let createdAt = QueryAttribute(.auditEvent, "createdAt", .timestamp)
    public static let action = QueryAttribute(.auditEvent, "action", .text)
    public static let targetType = QueryAttribute(.auditEvent, "targetType", .text, nullable: true)
    public static let targetID = QueryAttribute(.auditEvent, "targetID", .text, nullable: true)
    public static let targetName = QueryAttribute(.auditEvent, "targetName", .text, nullable: true)
    public static let status = QueryAttribute(.auditEvent, "status", .integer)
    public static let outcome = QueryAttribute(.auditEvent, "outcome", .text)
    public static let errorCode = QueryAttribute(.auditEvent, "errorCode", .text, nullable: true)

    /// Newest first: `created_at` descending, then id descending.
    public static let defaultOrder = [
        QueryOrderKey(attribute: createdAt, direction: .descending, nullsFirst: false),
        QueryOrderKey(attribute: id, direction: .descending, nullsFirst: false),
    ]
}
