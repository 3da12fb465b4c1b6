import Foundation
import SQLKit
public import SlipwayCore

extension SQLStore {
    /// The one way deployments are created; `box` seals the variables a promote copies.
    public func admissions(box: SecretBox) -> any DeploymentAdmissionRepository {
        SQLDeploymentAdmissionRepository(database: database, box: box)
    }
}

/// Admissions in SQL: one transaction per call, serialized per workspace.
struct SQLDeploymentAdmissionRepository: DeploymentAdmissionRepository {
    let database: Database
    let box: SecretBox

    private struct CountRow: Decodable {
        var count: Int64
    }

    func admit(_ admissions: [Admission], workspaceID: Int64, queueCap: Int, at time: Date) async throws -> [Deployment] {
        let time = StoredValue.storedPrecision(time)
        return try await database.transaction { session in
            // Admissions of one workspace wait for each other here (PostgreSQL; SQLite's write lock already
            // serializes every transaction), so the count below cannot be passed by a concurrent one.
            if session.dialect == .postgres {
                try await session.run("SELECT id FROM workspaces WHERE id = \(bind: workspaceID) FOR UPDATE")
            }
            let queuedNow = admissions.filter(\.isQueued).count
            if queuedNow > 0 {
                let queueCap = try await SQLInstallLimitsRepository.limits(session).queuedDeploymentsPerWorkspace ?? queueCap
                let waiting =
                    try await session.first(
                        CountRow.self,
                        """
                        SELECT COUNT(*) AS count FROM deployments
                        WHERE state = \(bind: DeploymentState.queued.rawValue) AND workspace_id = \(bind: workspaceID)
                        """
                    )?.count ?? 0
                if queuedNow > queueCap - Int(waiting) { throw QueueFull(waiting: Int(waiting), cap: queueCap) }
            }
            var created: [Deployment] = []
            for admission in admissions {
                created.append(try await admit(admission, at: time, session))
            }
            return created
        }
    }

    private func admit(_ admission: Admission, at time: Date, _ session: Session) async throws -> Deployment {
        let new = admission.deployment
        var progress = DeploymentProgress(kind: new.config.kind, queuedAt: time)
        if let reason = admission.skipReason { try progress.markSkipped(reason: reason, at: time) }
        let deployment = try await SQLDeploymentRepository.insert(new, progress: progress, at: time, in: session)
        if case .copy(let sourceID) = admission.variables {
            try await SQLEnvironmentVariableRepository.copySnapshot(from: sourceID, to: deployment.id, box: box, session)
        }
        if let pin = admission.productionPin {
            try await SQLProjectRepository.setProductionPinned(projectID: new.projectID, pinned: pin == .pin, at: time, session)
        }
        if admission.supersedesOlderPushes && admission.isQueued {
            try await supersedeQueuedPushes(of: deployment, at: time, session)
        }
        return deployment
    }

    /// Skips the queued `auto` deployments of the same project and branch older than `newest`. Locks them
    /// (PostgreSQL) in id order; one a worker claims meanwhile is seen running after the claim commits and is left.
    private func supersedeQueuedPushes(of newest: Deployment, at time: Date, _ session: Session) async throws {
        let rows = try await session.all(
            SQLDeploymentRepository.DeploymentRow.self,
            """
            SELECT * FROM deployments
            WHERE project_id = \(bind: newest.projectID) AND state = \(bind: DeploymentState.queued.rawValue)
                AND id < \(bind: newest.id) AND git_branch = \(bind: newest.gitBranch)
                AND "trigger" = \(bind: DeploymentTrigger.auto.rawValue)
            ORDER BY id
            \(session.rowLock(skipLocked: false))
            """
        )
        for row in rows {
            var deployment = try row.deployment()
            try deployment.progress.markSkipped(reason: Admission.supersededReason, at: time)
            deployment.updatedAt = time
            try await SQLDeploymentRepository.write(deployment, session)
        }
    }
}
