public import SlipwayCore

/// The query language as `GET /api/v1/deployments` speaks it: the native shape's snake_case names, integer ids and
/// the native states.
extension QueryCatalog {
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
            "state": QueryField(QueryAttributes.state, QueryCatalog.identityWords(DeploymentState.allCases.map(\.rawValue))),
            "environment": QueryField(QueryAttributes.environment, QueryWords.environments),
            "trigger": QueryField(QueryAttributes.trigger, QueryCatalog.identityWords(DeploymentTrigger.allCases.map(\.rawValue))),
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
                "kind": QueryField(QueryAttributes.projectKind, QueryWords.kinds),
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
        ],
        ids: .integer
    )
}
