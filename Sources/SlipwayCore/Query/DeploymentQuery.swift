import Foundation

/// The things a query can reach: the deployments themselves and the four relations of DESIGN.md §9, and the
/// audit trail's events (docs/audit.md).
public enum QueryEntity: String, Sendable, Hashable {
    case deployment
    case project
    case build
    case workspace
    case user
    case auditEvent
}

/// What an attribute holds, as a query compares it. Timestamps are compared as microseconds since 1970.
public enum QueryAttributeType: Sendable, Hashable {
    case integer
    case text
    case timestamp
}

/// One attribute of the domain that a query may compare or sort on, named as the domain names it (the store maps
/// it to its column). Only the dialects' field catalogs make these; no name in a query ever comes from the request.
public struct QueryAttribute: Sendable, Hashable, CustomStringConvertible {
    public let entity: QueryEntity
    public let name: String
    public let type: QueryAttributeType
    public let isNullable: Bool

    /// An attribute of `entity`.
    public init(_ entity: QueryEntity, _ name: String, _ type: QueryAttributeType, nullable: Bool = false) {
        self.entity = entity
        self.name = name
        self.type = type
        self.isNullable = nullable
    }

    /// `entity.attribute`.
    public var description: String { "\(entity.rawValue).\(name)" }
}

/// A value compared against an attribute: an integer (also timestamps, as microseconds) or text.
public enum QueryValue: Sendable, Hashable {
    case integer(Int64)
    case text(String)
}

/// One comparison of an attribute with values (DESIGN.md §9's `Comparison`), in the store's values.
public enum QueryComparison: Sendable, Equatable {
    case equal(QueryValue)
    case notEqual(QueryValue)
    case less(QueryValue)
    case lessOrEqual(QueryValue)
    case greater(QueryValue)
    case greaterOrEqual(QueryValue)
    case oneOf([QueryValue])
    case noneOf([QueryValue])
    case contains(String)
    case startsWith(String)
    case endsWith(String)
    case isNull(Bool)
}

/// A relation a filter can traverse: from a deployment to its project, build, workspace or creator.
public enum QueryRelation: String, Sendable, Hashable, CaseIterable {
    case entity
    case build
    case workspace
    case createdBy

    /// The entity on the other side.
    public var entity: QueryEntity {
        switch self {
        case .entity: .project
        case .build: .build
        case .workspace: .workspace
        case .createdBy: .user
        }
    }
}

/// A parsed, validated filter: a tree of AND/OR/NOT over comparisons and relations.
///
/// Every comparison is two-valued: a NULL attribute makes `equal` false and `notEqual` true, so `not` is always the
/// exact complement of its filter.
public indirect enum QueryFilter: Sendable, Equatable {
    /// All of them (AND); an empty list matches everything.
    case all([QueryFilter])
    /// Any of them (OR); an empty list matches nothing.
    case any([QueryFilter])
    /// The complement.
    case not(QueryFilter)
    /// A comparison of one attribute.
    case compare(QueryAttribute, QueryComparison)
    /// The related row matches the inner filter (whose attributes belong to the relation's entity).
    case related(QueryRelation, QueryFilter)

    /// The filter that matches everything.
    public static let everything = QueryFilter.all([])
}

/// The direction of one sort key.
public enum SortDirection: String, Sendable, Hashable {
    case ascending = "asc"
    case descending = "desc"
}

/// One sort key: an attribute, a direction, and where NULLs go.
public struct QueryOrderKey: Sendable, Hashable {
    public var attribute: QueryAttribute
    public var direction: SortDirection
    /// Whether NULLs come before every value (ignored for an attribute that cannot be NULL).
    public var nullsFirst: Bool

    /// A sort key.
    public init(attribute: QueryAttribute, direction: SortDirection, nullsFirst: Bool) {
        self.attribute = attribute
        self.direction = direction
        self.nullsFirst = nullsFirst
    }

    /// A canonical text of the key, part of what a cursor is signed for.
    public var fingerprint: String {
        "\(attribute.description):\(direction.rawValue)" + (attribute.isNullable ? (nullsFirst ? ":nulls_first" : ":nulls_last") : "")
    }
}

/// Where a page starts: after a cursor (the next page) or before one (the previous page).
public enum QueryPosition: Sendable, Equatable {
    case first
    case after(String)
    case before(String)
}

/// A listing of deployments: filter, order (always ending with the id), page size and position.
/// The caller's workspace is not part of it: the repository scopes every query itself.
public struct DeploymentQuery: Sendable, Equatable {
    public var filter: QueryFilter
    /// The sort keys; the last is always the deployment's id, so the order is total and cursors are exact.
    public var order: [QueryOrderKey]
    public var limit: Int
    public var position: QueryPosition

    /// A query; `order` must end with the id key (the parser guarantees it).
    public init(
        filter: QueryFilter = .everything, order: [QueryOrderKey] = DeploymentQuery.defaultOrder, limit: Int = 100, position: QueryPosition = .first
    ) {
        self.filter = filter
        self.order = order
        self.limit = limit
        self.position = position
    }

    /// Newest first: `created_at` descending, then id descending.
    public static let defaultOrder = [
        QueryOrderKey(attribute: QueryAttributes.createdAt, direction: .descending, nullsFirst: false),
        QueryOrderKey(attribute: QueryAttributes.id, direction: .descending, nullsFirst: false),
    ]

    /// The canonical text of the order that a cursor is signed for.
    public var orderFingerprint: String { order.map(\.fingerprint).joined(separator: ",") }
}

/// One page of a listing through the query language (deployments, audit events) with Relay-style page information.
public struct QueryPage<Item> {
    public var items: [Item]
    /// How many items the whole filtered set holds.
    public var total: Int
    public var hasNextPage: Bool
    public var hasPreviousPage: Bool
    /// The cursor of the first item, nil for an empty page.
    public var startCursor: String?
    /// The cursor of the last item, nil for an empty page.
    public var endCursor: String?

    /// A page.
    public init(items: [Item], total: Int, hasNextPage: Bool, hasPreviousPage: Bool, startCursor: String?, endCursor: String?) {
        self.items = items
        self.total = total
        self.hasNextPage = hasNextPage
        self.hasPreviousPage = hasPreviousPage
        self.startCursor = startCursor
        self.endCursor = endCursor
    }
}

extension QueryPage: Sendable where Item: Sendable {}
extension QueryPage: Equatable where Item: Equatable {}

/// One page of a deployment listing.
public typealias DeploymentPage = QueryPage<Deployment>

/// The attributes queries can use, one constant each, in the domain's names.
public enum QueryAttributes {
    public static let id = QueryAttribute(.deployment, "id", .integer)
    public static let uid = QueryAttribute(.deployment, "uid", .text)
    public static let workspaceID = QueryAttribute(.deployment, "workspaceID", .integer)
    public static let projectID = QueryAttribute(.deployment, "projectID", .integer)
    public static let serverID = QueryAttribute(.deployment, "serverID", .integer)
    public static let sequenceNumber = QueryAttribute(.deployment, "sequenceNumber", .integer)
    public static let initiatedBy = QueryAttribute(.deployment, "initiatedBy", .integer)
    public static let environment = QueryAttribute(.deployment, "environment", .text)
    public static let trigger = QueryAttribute(.deployment, "trigger", .text)
    public static let state = QueryAttribute(.deployment, "state", .text)
    public static let gitBranch = QueryAttribute(.deployment, "gitBranch", .text)
    public static let commitID = QueryAttribute(.deployment, "commitID", .text, nullable: true)
    public static let commitMessage = QueryAttribute(.deployment, "commitMessage", .text, nullable: true)
    public static let commitAuthor = QueryAttribute(.deployment, "commitAuthor", .text, nullable: true)
    public static let description = QueryAttribute(.deployment, "description", .text)
    public static let buildID = QueryAttribute(.deployment, "buildID", .text, nullable: true)
    public static let error = QueryAttribute(.deployment, "error", .text, nullable: true)
    public static let reason = QueryAttribute(.deployment, "reason", .text, nullable: true)
    public static let rerunOf = QueryAttribute(.deployment, "rerunOf", .integer, nullable: true)
    public static let rollbackOf = QueryAttribute(.deployment, "rollbackOf", .integer, nullable: true)
    public static let startedAt = QueryAttribute(.deployment, "startedAt", .timestamp, nullable: true)
    public static let completedAt = QueryAttribute(.deployment, "completedAt", .timestamp, nullable: true)
    public static let createdAt = QueryAttribute(.deployment, "createdAt", .timestamp)
    public static let updatedAt = QueryAttribute(.deployment, "updatedAt", .timestamp)

    public static let projectKey = QueryAttribute(.project, "id", .integer)
    public static let projectUID = QueryAttribute(.project, "uid", .text)
    public static let projectName = QueryAttribute(.project, "name", .text)
    public static let projectKind = QueryAttribute(.project, "kind", .text)
    public static let projectProductionBranch = QueryAttribute(.project, "productionBranch", .text)
    public static let projectCreatedAt = QueryAttribute(.project, "createdAt", .timestamp)

    public static let buildKey = QueryAttribute(.build, "id", .text)
    public static let buildCommitID = QueryAttribute(.build, "commitID", .text, nullable: true)
    public static let buildCreatedAt = QueryAttribute(.build, "createdAt", .timestamp)

    public static let workspaceKey = QueryAttribute(.workspace, "id", .integer)
    public static let workspaceUID = QueryAttribute(.workspace, "uid", .text)
    public static let workspaceName = QueryAttribute(.workspace, "name", .text)

    public static let userKey = QueryAttribute(.user, "id", .integer)
    public static let userName = QueryAttribute(.user, "name", .text)
}
