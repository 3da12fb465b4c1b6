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

/// The names a dialect gives to fields, relations and sort keys. A nested catalog describes a relation's fields.
public struct QueryCatalog: Sendable {
    public var fields: [String: QueryField]
    public var relations: [String: QueryRelation]
    /// Field names inside each relation.
    public var relationFields: [QueryRelation: [String: QueryField]]
    /// The fields `orderBy` accepts.
    public var orderFields: [String: QueryAttribute]

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
            "id": QueryField(QueryAttributes.uid, .prefixedID(.deployment)),
            "workspaceId": QueryField(QueryAttributes.workspaceUID, .prefixedID(.workspace), through: .workspace),
            "entityId": QueryField(QueryAttributes.projectUID, .prefixedID(.app), through: .entity),
            "sequenceNumber": QueryField(QueryAttributes.sequenceNumber, .integer),
            "buildId": QueryField(QueryAttributes.buildID, .prefixedID(.build)),
            "status": QueryField(QueryAttributes.state, .words(deployStatusWords)),
            "trigger": QueryField(QueryAttributes.trigger, .words(deployTriggerWords)),
            "createdBy": QueryField(QueryAttributes.userName, .text, through: .createdBy),
            "startedAt": QueryField(QueryAttributes.startedAt, .timestamp),
            "completedAt": QueryField(QueryAttributes.completedAt, .timestamp),
            "createdAt": QueryField(QueryAttributes.createdAt, .timestamp),
            "environment": QueryField(QueryAttributes.environment, environmentWords),
            "gitBranch": QueryField(QueryAttributes.gitBranch, .text),
            "commitId": QueryField(QueryAttributes.commitID, .text),
        ],
        relations: ["entity": .entity, "build": .build, "workspace": .workspace, "createdBy": .createdBy],
        relationFields: [
            .entity: [
                "id": QueryField(QueryAttributes.projectUID, .prefixedID(.app)),
                "name": QueryField(QueryAttributes.projectName, .text),
                "kind": QueryField(QueryAttributes.projectKind, kindWords),
                "productionBranch": QueryField(QueryAttributes.projectProductionBranch, .text),
                "createdAt": QueryField(QueryAttributes.projectCreatedAt, .timestamp),
            ],
            .build: [
                "id": QueryField(QueryAttributes.buildKey, .prefixedID(.build)),
                "commitId": QueryField(QueryAttributes.buildCommitID, .text),
                "createdAt": QueryField(QueryAttributes.buildCreatedAt, .timestamp),
            ],
            .workspace: [
                "id": QueryField(QueryAttributes.workspaceUID, .prefixedID(.workspace)),
                "name": QueryField(QueryAttributes.workspaceName, .text),
            ],
            .createdBy: [
                "id": QueryField(QueryAttributes.userKey, .integer),
                "name": QueryField(QueryAttributes.userName, .text),
            ],
        ],
        orderFields: [
            "createdAt": QueryAttributes.createdAt, "startedAt": QueryAttributes.startedAt, "completedAt": QueryAttributes.completedAt,
            "sequenceNumber": QueryAttributes.sequenceNumber,
        ]
    )

    /// `GET /api/v1/deployments` (snake_case, the native shape's names).
    public static let native = QueryCatalog(
        fields: [
            "id": QueryField(QueryAttributes.id, .integer),
            "uid": QueryField(QueryAttributes.uid, .uuid),
            "tenant_id": QueryField(QueryAttributes.workspaceID, .integer),
            "project_id": QueryField(QueryAttributes.projectID, .integer),
            "server_id": QueryField(QueryAttributes.serverID, .integer),
            "sequence_number": QueryField(QueryAttributes.sequenceNumber, .integer),
            "initiated_by": QueryField(QueryAttributes.initiatedBy, .integer),
            "status": QueryField(QueryAttributes.state, .nativeStatus),
            "state": QueryField(QueryAttributes.state, identityWords(DeploymentState.allCases.map(\.rawValue))),
            "environment": QueryField(QueryAttributes.environment, environmentWords),
            "trigger": QueryField(QueryAttributes.trigger, identityWords(DeploymentTrigger.allCases.map(\.rawValue))),
            "git_branch": QueryField(QueryAttributes.gitBranch, .text),
            "commit_id": QueryField(QueryAttributes.commitID, .text),
            "commit_message": QueryField(QueryAttributes.commitMessage, .text),
            "commit_author": QueryField(QueryAttributes.commitAuthor, .text),
            "description": QueryField(QueryAttributes.description, .text),
            "build_id": QueryField(QueryAttributes.buildID, .uuid),
            "error": QueryField(QueryAttributes.error, .text),
            "reason": QueryField(QueryAttributes.reason, .text),
            "rerun_of": QueryField(QueryAttributes.rerunOf, .integer),
            "rollback_of": QueryField(QueryAttributes.rollbackOf, .integer),
            "created_at": QueryField(QueryAttributes.createdAt, .timestamp),
            "updated_at": QueryField(QueryAttributes.updatedAt, .timestamp),
            "started_at": QueryField(QueryAttributes.startedAt, .timestamp),
            "completed_at": QueryField(QueryAttributes.completedAt, .timestamp),
        ],
        relations: ["entity": .entity, "project": .entity, "build": .build, "workspace": .workspace, "created_by": .createdBy],
        relationFields: [
            .entity: [
                "id": QueryField(QueryAttributes.projectKey, .integer),
                "uid": QueryField(QueryAttributes.projectUID, .uuid),
                "name": QueryField(QueryAttributes.projectName, .text),
                "kind": QueryField(QueryAttributes.projectKind, kindWords),
                "production_branch": QueryField(QueryAttributes.projectProductionBranch, .text),
                "created_at": QueryField(QueryAttributes.projectCreatedAt, .timestamp),
            ],
            .build: [
                "id": QueryField(QueryAttributes.buildKey, .uuid),
                "commit_id": QueryField(QueryAttributes.buildCommitID, .text),
                "created_at": QueryField(QueryAttributes.buildCreatedAt, .timestamp),
            ],
            .workspace: [
                "id": QueryField(QueryAttributes.workspaceKey, .integer),
                "uid": QueryField(QueryAttributes.workspaceUID, .uuid),
                "name": QueryField(QueryAttributes.workspaceName, .text),
            ],
            .createdBy: [
                "id": QueryField(QueryAttributes.userKey, .integer),
                "name": QueryField(QueryAttributes.userName, .text),
            ],
        ],
        orderFields: [
            "id": QueryAttributes.id, "sequence_number": QueryAttributes.sequenceNumber, "created_at": QueryAttributes.createdAt,
            "updated_at": QueryAttributes.updatedAt, "started_at": QueryAttributes.startedAt, "completed_at": QueryAttributes.completedAt,
        ]
    )
}
