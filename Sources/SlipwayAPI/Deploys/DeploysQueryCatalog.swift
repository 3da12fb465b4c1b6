public import SlipwayCore

/// The query language as `/api/deploys` speaks it: camelCase names, prefixed ids, the seed's status and trigger
/// words, and the seed's shorthand parameters.
extension QueryCatalog {
    /// The status words of the Deploys dialect (DESIGN.md §2).
    static let statusWords: [(word: String, stored: [String])] = [
        ("pending", ["queued"]), ("running", ["running"]), ("completed", ["success"]), ("failed", ["failed", "canceled", "skipped"]),
    ]

    /// The trigger words of the Deploys dialect: rerun and promote show as manual.
    static let triggerWords: [(word: String, stored: [String])] = [
        ("auto", ["auto"]), ("manual", ["manual", "rerun", "promote"]), ("rollback", ["rollback"]),
    ]

    /// `/api/deploys` (camelCase).
    public static let deploys = QueryCatalog(
        fields: [
            "id": QueryField(QueryAttributes.uid, .prefixedID(.deployment)),
            "workspaceId": QueryField(QueryAttributes.workspaceUID, .prefixedID(.workspace), through: .workspace),
            "entityId": QueryField(QueryAttributes.projectUID, .prefixedID(.app), through: .entity),
            "sequenceNumber": QueryField(QueryAttributes.sequenceNumber, .integer),
            "buildId": QueryField(QueryAttributes.buildID, .prefixedID(.build)),
            "status": QueryField(QueryAttributes.state, .words(statusWords)),
            "trigger": QueryField(QueryAttributes.trigger, .words(triggerWords)),
            "createdBy": QueryField(QueryAttributes.userName, .text, through: .createdBy),
            "startedAt": QueryField(QueryAttributes.startedAt, .timestamp),
            "completedAt": QueryField(QueryAttributes.completedAt, .timestamp),
            "createdAt": QueryField(QueryAttributes.createdAt, .timestamp),
            "environment": QueryField(QueryAttributes.environment, QueryWords.environments),
            "gitBranch": QueryField(QueryAttributes.gitBranch, .text),
            "commitId": QueryField(QueryAttributes.commitID, .text),
        ],
        relations: ["entity": .entity, "build": .build, "workspace": .workspace, "createdBy": .createdBy],
        relationFields: [
            .entity: [
                "id": QueryField(QueryAttributes.projectUID, .prefixedID(.app)),
                "name": QueryField(QueryAttributes.projectName, .text),
                "kind": QueryField(QueryAttributes.projectKind, QueryWords.kinds),
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
        ],
        ids: .prefixed(.deployment, noun: "deploy"),
        // The shorthand parameters of the Deploys seed and the field each one compares with `eq`.
        shorthands: [
            ("workspace_id", "workspaceId"), ("entity_id", "entityId"), ("build_id", "buildId"), ("status", "status"),
            ("trigger", "trigger"), ("created_by", "createdBy"),
        ]
    )
}
