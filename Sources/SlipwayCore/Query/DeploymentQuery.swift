import Foundation

/// The tables a deployment query can reach: the deployments themselves and the four relations of DESIGN.md §9.
public enum QueryTable: String, Sendable, Hashable {
    case deployments
    case projects
    case builds
    case workspaces
    case users
}

/// What a column holds, as a query compares it. Timestamps are stored and compared as microseconds since 1970.
public enum QueryColumnType: Sendable, Hashable {
    case integer
    case text
    case timestamp
}

/// One stored column that a query may compare or sort on. Only the field catalogs of `QueryCatalog` make these;
/// no name in a query ever comes from the request.
public struct QueryColumn: Sendable, Hashable, CustomStringConvertible {
    public let table: QueryTable
    public let name: String
    public let type: QueryColumnType
    public let isNullable: Bool

    /// A column of `table`.
    public init(_ table: QueryTable, _ name: String, _ type: QueryColumnType, nullable: Bool = false) {
        self.table = table
        self.name = name
        self.type = type
        self.isNullable = nullable
    }

    /// `table.column`.
    public var description: String { "\(table.rawValue).\(name)" }
}

/// A value compared against a column: an integer (also timestamps, as microseconds) or text.
public enum QueryValue: Sendable, Hashable {
    case integer(Int64)
    case text(String)
}

/// One comparison of a column with values (DESIGN.md §9's `Comparison`), in the store's values.
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

    /// The table on the other side.
    public var table: QueryTable {
        switch self {
        case .entity: .projects
        case .build: .builds
        case .workspace: .workspaces
        case .createdBy: .users
        }
    }
}

/// A parsed, validated filter: a tree of AND/OR/NOT over comparisons and relations.
///
/// Every comparison is two-valued: a NULL column makes `equal` false and `notEqual` true, so `not` is always the
/// exact complement of its filter.
public indirect enum QueryFilter: Sendable, Equatable {
    /// All of them (AND); an empty list matches everything.
    case all([QueryFilter])
    /// Any of them (OR); an empty list matches nothing.
    case any([QueryFilter])
    /// The complement.
    case not(QueryFilter)
    /// A comparison of one column.
    case compare(QueryColumn, QueryComparison)
    /// The related row matches the inner filter (whose columns belong to the relation's table).
    case related(QueryRelation, QueryFilter)

    /// The filter that matches everything.
    public static let everything = QueryFilter.all([])
}

/// The direction of one sort key.
public enum SortDirection: String, Sendable, Hashable {
    case ascending = "asc"
    case descending = "desc"
}

/// One sort key: a column, a direction, and where NULLs go.
public struct QueryOrderKey: Sendable, Hashable {
    public var column: QueryColumn
    public var direction: SortDirection
    /// Whether NULLs come before every value (ignored for a column that cannot be NULL).
    public var nullsFirst: Bool

    /// A sort key.
    public init(column: QueryColumn, direction: SortDirection, nullsFirst: Bool) {
        self.column = column
        self.direction = direction
        self.nullsFirst = nullsFirst
    }

    /// A canonical text of the key, part of what a cursor is signed for.
    public var fingerprint: String {
        "\(column.description):\(direction.rawValue)" + (column.isNullable ? (nullsFirst ? ":nulls_first" : ":nulls_last") : "")
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
        QueryOrderKey(column: QueryColumns.createdAt, direction: .descending, nullsFirst: false),
        QueryOrderKey(column: QueryColumns.id, direction: .descending, nullsFirst: false),
    ]

    /// The canonical text of the order that a cursor is signed for.
    public var orderFingerprint: String { order.map(\.fingerprint).joined(separator: ",") }
}

/// One page of a deployment listing with Relay-style page information.
public struct DeploymentPage: Sendable, Equatable {
    public var items: [Deployment]
    /// How many deployments the whole filtered set holds.
    public var total: Int
    public var hasNextPage: Bool
    public var hasPreviousPage: Bool
    /// The cursor of the first item, nil for an empty page.
    public var startCursor: String?
    /// The cursor of the last item, nil for an empty page.
    public var endCursor: String?

    /// A page.
    public init(items: [Deployment], total: Int, hasNextPage: Bool, hasPreviousPage: Bool, startCursor: String?, endCursor: String?) {
        self.items = items
        self.total = total
        self.hasNextPage = hasNextPage
        self.hasPreviousPage = hasPreviousPage
        self.startCursor = startCursor
        self.endCursor = endCursor
    }
}

/// The columns queries can use, one constant each.
public enum QueryColumns {
    public static let id = QueryColumn(.deployments, "id", .integer)
    public static let uid = QueryColumn(.deployments, "uid", .text)
    public static let workspaceID = QueryColumn(.deployments, "workspace_id", .integer)
    public static let projectID = QueryColumn(.deployments, "project_id", .integer)
    public static let serverID = QueryColumn(.deployments, "server_id", .integer)
    public static let sequenceNumber = QueryColumn(.deployments, "sequence_number", .integer)
    public static let initiatedBy = QueryColumn(.deployments, "initiated_by", .integer)
    public static let environment = QueryColumn(.deployments, "environment", .text)
    public static let trigger = QueryColumn(.deployments, "trigger", .text)
    public static let state = QueryColumn(.deployments, "state", .text)
    public static let gitBranch = QueryColumn(.deployments, "git_branch", .text)
    public static let commitID = QueryColumn(.deployments, "commit_id", .text, nullable: true)
    public static let commitMessage = QueryColumn(.deployments, "commit_message", .text, nullable: true)
    public static let commitAuthor = QueryColumn(.deployments, "commit_author", .text, nullable: true)
    public static let description = QueryColumn(.deployments, "description", .text)
    public static let buildID = QueryColumn(.deployments, "build_id", .text, nullable: true)
    public static let error = QueryColumn(.deployments, "error", .text, nullable: true)
    public static let reason = QueryColumn(.deployments, "reason", .text, nullable: true)
    public static let rerunOf = QueryColumn(.deployments, "rerun_of", .integer, nullable: true)
    public static let rollbackOf = QueryColumn(.deployments, "rollback_of", .integer, nullable: true)
    public static let startedAt = QueryColumn(.deployments, "started_at", .timestamp, nullable: true)
    public static let completedAt = QueryColumn(.deployments, "completed_at", .timestamp, nullable: true)
    public static let createdAt = QueryColumn(.deployments, "created_at", .timestamp)
    public static let updatedAt = QueryColumn(.deployments, "updated_at", .timestamp)

    public static let projectKey = QueryColumn(.projects, "id", .integer)
    public static let projectUID = QueryColumn(.projects, "uid", .text)
    public static let projectName = QueryColumn(.projects, "name", .text)
    public static let projectKind = QueryColumn(.projects, "kind", .text)
    public static let projectProductionBranch = QueryColumn(.projects, "production_branch", .text)
    public static let projectCreatedAt = QueryColumn(.projects, "created_at", .timestamp)

    public static let buildKey = QueryColumn(.builds, "id", .text)
    public static let buildCommitID = QueryColumn(.builds, "commit_id", .text, nullable: true)
    public static let buildCreatedAt = QueryColumn(.builds, "created_at", .timestamp)

    public static let workspaceKey = QueryColumn(.workspaces, "id", .integer)
    public static let workspaceUID = QueryColumn(.workspaces, "uid", .text)
    public static let workspaceName = QueryColumn(.workspaces, "name", .text)

    public static let userKey = QueryColumn(.users, "id", .integer)
    public static let userName = QueryColumn(.users, "name", .text)
}
