import Foundation

/// The two API dialects that speak the query language, each with its own field names.
public enum QueryDialect: Sendable, Hashable {
    /// `/api/deploys`: camelCase names, prefixed ids, the seed's status and trigger words.
    case deploys
    /// `GET /api/v1/deployments`: snake_case names, integer ids, the native states.
    case native

    /// The fields, relations and sort keys of this dialect.
    public var catalog: QueryCatalog {
        switch self {
        case .deploys: QueryCatalog.deploys
        case .native: QueryCatalog.native
        }
    }
}

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
    /// The column compared, and the relation crossed to reach it (for `workspaceId`, `entityId`, `createdBy`).
    public var column: QueryColumn
    public var through: QueryRelation?
    public var kind: QueryValueKind

    /// The operators this field supports.
    public var operators: [QueryOperator] { kind.operators + (column.isNullable && through == nil ? [.isNull] : []) }

    /// A field stored in `column`.
    public init(_ column: QueryColumn, _ kind: QueryValueKind, through: QueryRelation? = nil) {
        self.column = column
        self.kind = kind
        self.through = through
    }
}

/// The names a dialect gives to fields, relations and sort keys. A nested catalog describes a relation's fields.
public struct QueryCatalog: Sendable {
    public var fields: [String: QueryField]
    public var relations: [String: QueryRelation]
    /// Field names inside each relation.
    public var relationFields: [QueryRelation: [String: QueryField]]
    /// The fields `orderBy` accepts.
    public var orderFields: [String: QueryColumn]

    /// The status words of the Deploys dialect (DESIGN.md §2).
    static let deployStatusWords: [(word: String, stored: [String])] = [
        ("pending", ["queued"]), ("running", ["running"]), ("completed", ["success"]), ("failed", ["failed", "canceled", "skipped"]),
    ]

    /// The trigger words of the Deploys dialect: rerun and promote show as manual.
    static let deployTriggerWords: [(word: String, stored: [String])] = [
        ("auto", ["auto"]), ("manual", ["manual", "rerun", "promote"]), ("rollback", ["rollback"]),
    ]

    private static func identityWords(_ words: [String]) -> QueryValueKind { .words(words.map { ($0, [$0]) }) }

    static let environmentWords = identityWords(DeploymentEnvironment.allCases.map(\.rawValue))
    static let kindWords = identityWords(ProjectKind.allCases.map(\.rawValue))

    /// `/api/deploys` (camelCase).
    public static let deploys = QueryCatalog(
        fields: [
            "id": QueryField(QueryColumns.uid, .prefixedID(.deployment)),
            "workspaceId": QueryField(QueryColumns.workspaceUID, .prefixedID(.workspace), through: .workspace),
            "entityId": QueryField(QueryColumns.projectUID, .prefixedID(.app), through: .entity),
            "sequenceNumber": QueryField(QueryColumns.sequenceNumber, .integer),
            "buildId": QueryField(QueryColumns.buildID, .prefixedID(.build)),
            "status": QueryField(QueryColumns.state, .words(deployStatusWords)),
            "trigger": QueryField(QueryColumns.trigger, .words(deployTriggerWords)),
            "createdBy": QueryField(QueryColumns.userName, .text, through: .createdBy),
            "startedAt": QueryField(QueryColumns.startedAt, .timestamp),
            "completedAt": QueryField(QueryColumns.completedAt, .timestamp),
            "createdAt": QueryField(QueryColumns.createdAt, .timestamp),
            "environment": QueryField(QueryColumns.environment, environmentWords),
            "gitBranch": QueryField(QueryColumns.gitBranch, .text),
            "commitId": QueryField(QueryColumns.commitID, .text),
        ],
        relations: ["entity": .entity, "build": .build, "workspace": .workspace, "createdBy": .createdBy],
        relationFields: [
            .entity: [
                "id": QueryField(QueryColumns.projectUID, .prefixedID(.app)),
                "name": QueryField(QueryColumns.projectName, .text),
                "kind": QueryField(QueryColumns.projectKind, kindWords),
                "productionBranch": QueryField(QueryColumns.projectProductionBranch, .text),
                "createdAt": QueryField(QueryColumns.projectCreatedAt, .timestamp),
            ],
            .build: [
                "id": QueryField(QueryColumns.buildKey, .prefixedID(.build)),
                "commitId": QueryField(QueryColumns.buildCommitID, .text),
                "createdAt": QueryField(QueryColumns.buildCreatedAt, .timestamp),
            ],
            .workspace: [
                "id": QueryField(QueryColumns.workspaceUID, .prefixedID(.workspace)),
                "name": QueryField(QueryColumns.workspaceName, .text),
            ],
            .createdBy: [
                "id": QueryField(QueryColumns.userKey, .integer),
                "name": QueryField(QueryColumns.userName, .text),
            ],
        ],
        orderFields: [
            "createdAt": QueryColumns.createdAt, "startedAt": QueryColumns.startedAt, "completedAt": QueryColumns.completedAt,
            "sequenceNumber": QueryColumns.sequenceNumber,
        ]
    )

    /// `GET /api/v1/deployments` (snake_case, the native shape's names).
    public static let native = QueryCatalog(
        fields: [
            "id": QueryField(QueryColumns.id, .integer),
            "uid": QueryField(QueryColumns.uid, .uuid),
            "tenant_id": QueryField(QueryColumns.workspaceID, .integer),
            "project_id": QueryField(QueryColumns.projectID, .integer),
            "server_id": QueryField(QueryColumns.serverID, .integer),
            "sequence_number": QueryField(QueryColumns.sequenceNumber, .integer),
            "initiated_by": QueryField(QueryColumns.initiatedBy, .integer),
            "status": QueryField(QueryColumns.state, .nativeStatus),
            "state": QueryField(QueryColumns.state, identityWords(DeploymentState.allCases.map(\.rawValue))),
            "environment": QueryField(QueryColumns.environment, environmentWords),
            "trigger": QueryField(QueryColumns.trigger, identityWords(DeploymentTrigger.allCases.map(\.rawValue))),
            "git_branch": QueryField(QueryColumns.gitBranch, .text),
            "commit_id": QueryField(QueryColumns.commitID, .text),
            "commit_message": QueryField(QueryColumns.commitMessage, .text),
            "commit_author": QueryField(QueryColumns.commitAuthor, .text),
            "description": QueryField(QueryColumns.description, .text),
            "build_id": QueryField(QueryColumns.buildID, .uuid),
            "error": QueryField(QueryColumns.error, .text),
            "reason": QueryField(QueryColumns.reason, .text),
            "rerun_of": QueryField(QueryColumns.rerunOf, .integer),
            "rollback_of": QueryField(QueryColumns.rollbackOf, .integer),
            "created_at": QueryField(QueryColumns.createdAt, .timestamp),
            "updated_at": QueryField(QueryColumns.updatedAt, .timestamp),
            "started_at": QueryField(QueryColumns.startedAt, .timestamp),
            "completed_at": QueryField(QueryColumns.completedAt, .timestamp),
        ],
        relations: ["entity": .entity, "project": .entity, "build": .build, "workspace": .workspace, "created_by": .createdBy],
        relationFields: [
            .entity: [
                "id": QueryField(QueryColumns.projectKey, .integer),
                "uid": QueryField(QueryColumns.projectUID, .uuid),
                "name": QueryField(QueryColumns.projectName, .text),
                "kind": QueryField(QueryColumns.projectKind, kindWords),
                "production_branch": QueryField(QueryColumns.projectProductionBranch, .text),
                "created_at": QueryField(QueryColumns.projectCreatedAt, .timestamp),
            ],
            .build: [
                "id": QueryField(QueryColumns.buildKey, .uuid),
                "commit_id": QueryField(QueryColumns.buildCommitID, .text),
                "created_at": QueryField(QueryColumns.buildCreatedAt, .timestamp),
            ],
            .workspace: [
                "id": QueryField(QueryColumns.workspaceKey, .integer),
                "uid": QueryField(QueryColumns.workspaceUID, .uuid),
                "name": QueryField(QueryColumns.workspaceName, .text),
            ],
            .createdBy: [
                "id": QueryField(QueryColumns.userKey, .integer),
                "name": QueryField(QueryColumns.userName, .text),
            ],
        ],
        orderFields: [
            "id": QueryColumns.id, "sequence_number": QueryColumns.sequenceNumber, "created_at": QueryColumns.createdAt,
            "updated_at": QueryColumns.updatedAt, "started_at": QueryColumns.startedAt, "completed_at": QueryColumns.completedAt,
        ]
    )
}
