import Foundation
import SQLKit
public import SlipwayCore

extension SQLStore {
    /// Webhook deliveries, deployments recorded `skipped` from the start, projects by UUID.
    public var gitSources: any GitSourceRepository { SQLGitSourceRepository(database: database, secrets: secrets) }
}

/// What git integration stores, in SQL (migration 4).
struct SQLGitSourceRepository: GitSourceRepository {
    let database: Database
    let secrets: SecretBox?

    private struct ProjectIDRow: Decodable {
        var id: Int64
        var workspaceID: Int64
    }

    func project(uid: UUID) async throws -> Project? {
        let row = try await database.withConnection { session in
            try await session.first(ProjectIDRow.self, "SELECT id, workspace_id FROM projects WHERE uid = \(bind: uid.lowercased)")
        }
        guard let row else { return nil }
        return try await SQLProjectRepository(database: database, secrets: secrets).project(id: row.id, workspaceID: row.workspaceID)
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

    func webhookUserID(workspaceID: Int64) async throws -> Int64? {
        try await database.withConnection { session in
            try await session.value(
                Int64.self, column: "id", "SELECT id FROM users WHERE workspace_id = \(bind: workspaceID) ORDER BY id LIMIT 1"
            )
        }
    }
}
