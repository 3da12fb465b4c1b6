import Foundation
import SQLKit
public import SlipwayCore

extension SQLStore {
    /// The restarts of service processes (migration 8).
    public var serviceRestarts: any ServiceRestartRepository { SQLServiceRestartRepository(database: database) }
}

/// Service restarts in SQL.
struct SQLServiceRestartRepository: ServiceRestartRepository {
    let database: Database

    private struct RestartRow: Decodable {
        var projectID: Int64
        var deploymentID: Int64
        var restartedAt: Int64
        var exitSummary: String
    }

    private struct CountRow: Decodable {
        var deploymentID: Int64
        var count: Int64
    }

    /// Records the restart and, in the same transaction, queues `service.crashed` and `service.restarted`.
    func record(_ restart: ServiceRestart) async throws {
        try await database.transaction { session in
            let id = try await session.insertReturningID(
                """
                INSERT INTO service_restarts (project_id, deployment_id, restarted_at, exit_summary)
                VALUES (
                    \(bind: restart.projectID), \(bind: restart.deploymentID), \(bind: StoredValue.microseconds(restart.restartedAt)),
                    \(bind: restart.exitSummary)
                )
                RETURNING id
                """
            )
            let deployment = try await session.first(
                SQLDeploymentRepository.DeploymentRow.self, "SELECT * FROM deployments WHERE id = \(bind: restart.deploymentID)")
            guard let deployment = try deployment?.deployment() else { return }
            for kind in [NotificationEventKind.serviceCrashed, .serviceRestarted] {
                var event = NotificationEvent.deployment(kind, deployment, at: restart.restartedAt)
                event.key = "\(kind.rawValue)/\(id)"
                event.detail = restart.exitSummary
                try await NotificationOutbox.publish(event, session)
            }
        }
    }

    func recentRestarts(projectID: Int64, limit: Int) async throws -> [ServiceRestart] {
        try await database.withConnection { session in
            try await session.all(
                RestartRow.self,
                """
                SELECT project_id, deployment_id, restarted_at, exit_summary FROM service_restarts
                WHERE project_id = \(bind: projectID) ORDER BY id DESC LIMIT \(bind: max(limit, 0))
                """
            ).map {
                ServiceRestart(
                    projectID: $0.projectID, deploymentID: $0.deploymentID, restartedAt: StoredValue.date($0.restartedAt),
                    exitSummary: $0.exitSummary
                )
            }
        }
    }

    func restartCounts(projectID: Int64) async throws -> [Int64: Int] {
        try await database.withConnection { session in
            let rows = try await session.all(
                CountRow.self,
                """
                SELECT deployment_id, COUNT(*) AS count FROM service_restarts WHERE project_id = \(bind: projectID)
                GROUP BY deployment_id
                """
            )
            return Dictionary(uniqueKeysWithValues: rows.map { ($0.deploymentID, Int($0.count)) })
        }
    }
}
