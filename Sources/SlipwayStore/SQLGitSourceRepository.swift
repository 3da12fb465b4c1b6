import Foundation
import SQLKit
import SlipwayCore

extension SQLStore {
    /// Webhook deliveries, deployments recorded `skipped` from the start, projects by UUID.
    public var gitSources: any GitSourceRepository { SQLGitSourceRepository(database: database) }
}

/// What git integration stores, in SQL (migration 4).
struct SQLGitSourceRepository: GitSourceRepository {
    let database: Database

    private struct ProjectIDRow: Decodable {
        var id: Int64
        var workspaceID: Int64
    }

    func project(uid: UUID) async throws -> Project? {
        let row = try await database.withConnection { session in
            try await session.first(ProjectIDRow.self, "SELECT id, workspace_id FROM projects WHERE uid = \(bind: uid.lowercased)")
        }
        guard let row else { return nil }
        return try await SQLProjectRepository(database: database).project(id: row.id, workspaceID: row.workspaceID)
    }

    func recordDelivery(projectID: Int64, deliveryID: String, at time: Date) async throws -> Bool {
        try await database.withConnection { session in
            let inserted = try await session.value(
                Int64.self, column: "project_id",
                """
                INSERT INTO git_deliveries (project_id, delivery_id, received_at)
                VALUES (\(bind: projectID), \(bind: deliveryID), \(bind: StoredValue.microseconds(time)))
                ON CONFLICT (project_id, delivery_id) DO NOTHING
                RETURNING project_id
                """
            )
            return inserted != nil
        }
    }

    func forgetDelivery(projectID: Int64, deliveryID: String) async throws {
        try await database.withConnection { session in
            try await session.run(
                "DELETE FROM git_deliveries WHERE project_id = \(bind: projectID) AND delivery_id = \(bind: deliveryID)"
            )
        }
    }

    func deployment(projectID: Int64, sourceEventID: String) async throws -> Deployment? {
        try await database.withConnection { session in
            try await session.first(
                SQLDeploymentRepository.DeploymentRow.self,
                """
                SELECT * FROM deployments WHERE project_id = \(bind: projectID) AND source_event_id = \(bind: sourceEventID)
                ORDER BY id DESC LIMIT 1
                """
            )?.deployment()
        }
    }

    func createSkipped(_ new: NewDeployment, reason: String, at time: Date) async throws -> Deployment {
        let now = time
        let uid = UUID()
        var progress = DeploymentProgress(kind: new.config.kind, queuedAt: now)
        try progress.markSkipped(reason: reason, at: now)
        let stages = try StoredValue.stagesJSON(progress.stages)
        let config = try StoredValue.configJSON(new.config)
        return try await database.transaction { session in
            let sequenceNumber = try await session.value(
                Int64.self, column: "last_sequence_number",
                """
                UPDATE projects SET last_sequence_number = last_sequence_number + 1
                WHERE id = \(bind: new.projectID) AND workspace_id = \(bind: new.workspaceID)
                RETURNING last_sequence_number
                """
            )
            guard let sequenceNumber else { throw SlipwayError.notFound("project \(new.projectID) not found") }
            let id = try await session.insertReturningID(
                """
                INSERT INTO deployments (
                    uid, workspace_id, project_id, server_id, sequence_number, initiated_by, environment, "trigger", state,
                    git_branch, commit_id, commit_message, commit_author, description, build_id, config, rerun_of, rollback_of,
                    stages, reason, error, started_at, completed_at, created_at, updated_at, source_event_id, commit_url
                ) VALUES (
                    \(bind: uid.lowercased), \(bind: new.workspaceID), \(bind: new.projectID), \(bind: new.serverID),
                    \(bind: sequenceNumber), \(bind: new.initiatedBy), \(bind: new.environment.rawValue),
                    \(bind: new.trigger.rawValue), \(bind: progress.state.rawValue), \(bind: new.gitBranch),
                    \(bind: new.commitID), \(bind: new.commitMessage), \(bind: new.commitAuthor), \(bind: new.description),
                    NULL, \(bind: config), NULL, NULL, \(bind: stages), \(bind: reason), NULL, NULL,
                    \(bind: StoredValue.microseconds(progress.completedAt)), \(bind: StoredValue.microseconds(now)),
                    \(bind: StoredValue.microseconds(now)), \(bind: new.sourceEventID), \(bind: new.commitURL)
                )
                RETURNING id
                """
            )
            return Deployment(
                id: id, uid: uid, workspaceID: new.workspaceID, projectID: new.projectID, serverID: new.serverID,
                sequenceNumber: sequenceNumber, initiatedBy: new.initiatedBy, environment: new.environment, trigger: new.trigger,
                gitBranch: new.gitBranch, commitID: new.commitID, commitMessage: new.commitMessage, commitAuthor: new.commitAuthor,
                description: new.description, buildID: nil, config: new.config, rerunOf: nil, rollbackOf: nil, progress: progress,
                error: nil, createdAt: now, updatedAt: now, sourceEventID: new.sourceEventID, commitURL: new.commitURL
            )
        }
    }

    func webhookUserID(workspaceID: Int64) async throws -> Int64? {
        try await database.withConnection { session in
            try await session.value(
                Int64.self, column: "id", "SELECT id FROM users WHERE workspace_id = \(bind: workspaceID) ORDER BY id LIMIT 1"
            )
        }
    }
}
