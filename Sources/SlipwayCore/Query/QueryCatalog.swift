import Foundation

/// The comparison operators of DESIGN.md §9.
public enum QueryOperator: String, Sendable, CaseIterable {
    case eq, ne, lt, lte, gt, gte
    case `in`, notIn
    case contains, startsWith, endsWith
    case isNull
}

/// How the JSON values of one field become stored values.
public enum QueryValueKind: Sendable {
    /// A JSON integer.
    case integer
    /// A JSON string.
    case text
    /// An ISO-8601 string, stored as microseconds.
    case timestamp
    /// A prefixed id (`dep_…`), stored as the dashed lower-case UUID.
    case prefixedID(PrefixedID)
    /// A UUID string (dashed or 32 hex digits), stored dashed and lower case.
    case uuid
    /// One of a few words, each standing for one or more stored values (the Deploys `status` word `failed`
    /// stands for failed, canceled and skipped).
    case words([(word: String, stored: [String])])
    /// The native integer `status` (0 queued … 5 skipped), stored as the state word.
    case nativeStatus

    /// The operators a field of this kind supports (plus `isNull` when it can be NULL).
    var operators: [QueryOperator] {
        switch self {
        case .integer, .timestamp: [.eq, .ne, .lt, .lte, .gt, .gte, .in, .notIn]
        case .text: [.eq, .ne, .in, .notIn, .contains, .startsWith, .endsWith]
        case .prefixedID, .uuid, .words, .nativeStatus: [.eq, .ne, .in, .notIn]
        }
    }
}

/// One filterable field of a dialect: where it is stored and how its values read.
public struct QueryField: Sendable {
    /// The attribute compared, and the relation crossed to reach it (for `workspaceId`, `entityId`, `createdBy`).
    public var attribute: QueryAttribute
    public var through: QueryRelation?
    public var kind: QueryValueKind

    /// The operators this field supports.
    public var operators: [QueryOperator] { kind.operators + (attribute.isNullable && through == nil ? [.isNull] : []) }

    /// A field that reads `attribute`.
    public init(_ attribute: QueryAttribute, _ kind: QueryValueKind, through: QueryRelation? = nil) {
        self.attribute = attribute
        self.kind = kind
        self.through = through
    }
}

/// The names a dialect gives to fields, relations and sort keys, and how its `ids` and shorthand parameters read.
/// Each dialect of the API defines its own (the query language is the domain's; the names are the dialect's).
public struct QueryCatalog: Sendable {
    public var fields: [String: QueryField]
    public var relations: [String: QueryRelation]
    /// Field names inside each relation.
    public var relationFields: [QueryRelation: [String: QueryField]]
    /// The fields `orderBy` accepts.
    public var orderFields: [String: QueryAttribute]
    /// How the `ids` parameter names deployments.
    public var ids: QueryIDStyle
    /// Parameters that compare one field with `eq` (the Deploys seed's `status=…`): parameter name, then field name.
    public var shorthands: [(parameter: String, field: String)]
    /// The integer id of the listed rows: the last sort key of every order, so that cursors are exact.
    public var idAttribute: QueryAttribute
    /// The order when `orderBy` is absent; it ends with `idAttribute`.
    public var defaultOrder: [QueryOrderKey]

    /// A catalog.
    public init(
        fields: [String: QueryField], relations: [String: QueryRelation], relationFields: [QueryRelation: [String: QueryField]],
        orderFields: [String: QueryAttribute], ids: QueryIDStyle, shorthands: [(parameter: String, field: String)] = [],
        idAttribute: QueryAttribute = QueryAttributes.id, defaultOrder: [QueryOrderKey] = DeploymentQuery.defaultOrder
    ) {
        self.fields = fields
        self.relations = relations
        self.relationFields = relationFields
        self.orderFields = orderFields
        self.ids = ids
        self.shorthands = shorthands
        self.idAttribute = idAttribute
        self.defaultOrder = defaultOrder
    }

    /// A field whose values are some words, each standing for itself.
    public static func identityWords(_ words: [String]) -> QueryValueKind { .words(words.map { ($0, [$0]) }) }
}

/// How a dialect's `ids` parameter names deployments.
public enum QueryIDStyle: Sendable {
    /// Integer ids (`ids=3,4`).
    case integer
    /// Prefixed UUIDs (`ids=dep_…`); `noun` is what the dialect calls a deployment (an error names it).
    case prefixed(PrefixedID, noun: String)
}
