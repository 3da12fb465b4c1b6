import Foundation
import SQLKit
import SlipwayCore

/// The queue and the control of deployments in SQL: leased claims, cancel-if-queued, superseding, deletion and
/// build retention. Reads and writes the same rows as `SQLDeploymentRepository`, through its row type and writer.
struct SQLDeploymentControlRepository: DeploymentControlRepository {
    let database: Database

    private typealias DeploymentRow = SQLDeploymentRepository.DeploymentRow

    private struct CountRow: Decodable {
        var count: Int64
    }

    private struct BuildReferenceRow: Decodable {
        var buildID: String?
    }

    private static let queued = SQLDeploymentRepository.queued
    private static let running = SQLDeploymentRepository.running

    /// The finished states, as bound parameters of an `IN (…)` list.
    private static let finishedStates: SQLQueryString = """
        \(bind: DeploymentState.success.rawValue), \(bind: DeploymentState.failed.rawValue), \
        \(bind: DeploymentState.canceled.rawValue), \(bind: DeploymentState.skipped.rawValue)
        """

    /// What one attempt of a claim found.
    private enum ClaimAttempt {
        /// No workspace under its limit has a deployment that can start.
        case nothing
        case claimed(Deployment)
        /// The workspace chosen had nothing left to start once it was locked: another claim took its last free
        /// worker or its last startable deployment in the meantime (PostgreSQL only).
        case overtaken(workspaceID: Int64)
    }

    /// The fair share (docs/scheduling.md): among the workspaces that run fewer than `workspaceWorkers` deployments and
    /// have one that can start, the one whose last claim is oldest (`last_claim_turn`, never served first) gives its
    /// oldest deployment that can start: the head of its project's queue while nothing of that project runs, so each
    /// project stays FIFO with one deployment running at a time.
    ///
    /// Every claim in a workspace holds the workspace's row lock on PostgreSQL (SQLite runs one writer at a time), and
    /// the limit is counted by a statement that starts after the lock was taken, so it sees every claim committed
    /// before: two claims can never both pass a workspace's limit, nor start two deployments of one project. The
    /// workspace is chosen with `SKIP LOCKED` first, so that concurrent claimers serve the next workspaces in turn
    /// instead of queueing on one; only when every workspace with work is locked (claims or admissions in them) does a
    /// claimer wait for the first in turn. Each transaction locks one workspace row, then skips locked deployment rows:
    /// no lock cycle with admissions (workspace, then deployments) or cancels (one deployment). A workspace found with
    /// nothing to start under its lock is passed over for the rest of this call, so a call tries each workspace at most
    /// once. The lease is written in the same transaction, so a running deployment never exists without one.
    func claimNext(at time: Date, owner: String, leaseUntil: Date, workspaceWorkers: Int) async throws -> Deployment? {
        let time = StoredValue.storedPrecision(time)
        let now = Timestamp.now()
        var passedOver: [Int64] = []
        while true {
            let attempt = try await database.transaction { session -> ClaimAttempt in
                let setLimit = try await SQLInstallLimitsRepository.limits(session).workspaceWorkers
                let limit = Int64(max(setLimit ?? workspaceWorkers, 1))
                guard let workspaceID = try await Self.lockNextWorkspace(limit: limit, passingOver: passedOver, session) else { return .nothing }
                guard let row = try await Self.firstStartable(workspaceID: workspaceID, limit: limit, session) else {
                    return .overtaken(workspaceID: workspaceID)
                }
                var deployment = try row.deployment()
                try deployment.progress.start(at: time)
                deployment.updatedAt = now
                try await SQLDeploymentRepository.write(deployment, session)
                try await session.run(
                    """
                    UPDATE deployments
                    SET lease_owner = \(bind: owner), lease_expires_at = \(bind: StoredValue.microseconds(leaseUntil))
                    WHERE id = \(bind: deployment.id)
                    """
                )
                try await session.run(
                    """
                    UPDATE workspaces SET last_claim_turn = (SELECT MAX(last_claim_turn) FROM workspaces) + 1
                    WHERE id = \(bind: workspaceID)
                    """
                )
                return .claimed(deployment)
            }
            switch attempt {
            case .nothing: return nil
            case .claimed(let deployment): return deployment
            case .overtaken(let workspaceID): passedOver.append(workspaceID)
            }
        }
    }

    /// A queued deployment that may start now, as a condition on `candidate`: nothing of its project runs and no older
    /// deployment of its project waits.
    private static let startable: SQLQueryString = """
        candidate.state = \(bind: queued)
            AND NOT EXISTS (
                SELECT 1 FROM deployments AS active
                WHERE active.project_id = candidate.project_id AND active.state = \(bind: running)
            )
            AND NOT EXISTS (
                SELECT 1 FROM deployments AS earlier
                WHERE earlier.project_id = candidate.project_id AND earlier.state = \(bind: queued)
                    AND earlier.id < candidate.id
            )
        """

    /// Whether the workspace `workspace` (a column or a bound id) runs fewer than `limit` deployments.
    private static func underLimit(_ workspace: SQLQueryString, _ limit: Int64) -> SQLQueryString {
        """
        (SELECT COUNT(*) FROM deployments AS held WHERE held.workspace_id = \(workspace) AND held.state = \(bind: running)) \
        < \(bind: limit)
        """
    }

    /// The workspace whose turn it is, its row locked on PostgreSQL: the first in turn that no other transaction holds,
    /// else the first in turn once its holder is done. Nil when no workspace under its limit has work.
    private static func lockNextWorkspace(limit: Int64, passingOver passedOver: [Int64], _ session: Session) async throws -> Int64? {
        if let free = try await nextWorkspace(limit: limit, passingOver: passedOver, lock: session.rowLock(skipLocked: true), session) {
            return free
        }
        guard session.dialect == .postgres else { return nil }
        return try await nextWorkspace(limit: limit, passingOver: passedOver, lock: session.rowLock(skipLocked: false), session)
    }

    /// The first workspace in turn (the oldest last claim, never served first) that runs fewer than `limit`
    /// deployments and has one that can start, except `passedOver`; `lock` is the row lock clause.
    private static func nextWorkspace(
        limit: Int64, passingOver passedOver: [Int64], lock: SQLQueryString, _ session: Session
    ) async throws -> Int64? {
        let notPassedOver: SQLQueryString = passedOver.isEmpty ? "" : "AND workspaces.id NOT IN (\(binds: passedOver))"
        return try await session.value(
            Int64.self, column: "id",
            """
            SELECT workspaces.id FROM workspaces
            WHERE workspaces.id IN (SELECT candidate.workspace_id FROM deployments AS candidate WHERE \(startable))
                AND \(underLimit("workspaces.id", limit))
                \(notPassedOver)
            ORDER BY workspaces.last_claim_turn, workspaces.id
            LIMIT 1
            \(lock)
            """
        )
    }

    /// The workspace's oldest deployment that may start, if the workspace is still under its limit. Run after the
    /// workspace's row was locked, so that it counts every claim committed in the workspace before. A deployment
    /// another transaction holds (a cancel) is passed over; the next of its project is not startable meanwhile.
    private static func firstStartable(workspaceID: Int64, limit: Int64, _ session: Session) async throws -> DeploymentRow? {
        try await session.first(
            DeploymentRow.self,
            """
            SELECT * FROM deployments AS candidate
            WHERE candidate.workspace_id = \(bind: workspaceID) AND \(startable)
                AND \(underLimit("\(bind: workspaceID)", limit))
            ORDER BY candidate.id
            LIMIT 1
            \(session.rowLock(skipLocked: true))
            """
        )
    }

    func renewLease(deploymentID: Int64, owner: String, until: Date) async throws -> Bool {
        try await database.withConnection { session in
            try await session.value(
                Int64.self, column: "id",
                """
                UPDATE deployments SET lease_expires_at = \(bind: StoredValue.microseconds(until))
                WHERE id = \(bind: deploymentID) AND state = \(bind: Self.running) AND lease_owner = \(bind: owner)
                RETURNING id
                """
            ) != nil
        }
    }

    func abandonedDeployments(at time: Date, formerOwner: String?) async throws -> [Deployment] {
        let heldByFormerOwner: SQLQueryString = formerOwner.map { "OR lease_owner = \(bind: $0)" } ?? ""
        return try await database.withConnection { session in
            try await session.all(
                DeploymentRow.self,
                """
                SELECT * FROM deployments
                WHERE state = \(bind: Self.running)
                    AND (lease_expires_at < \(bind: StoredValue.microseconds(time)) \(heldByFormerOwner))
                ORDER BY id
                """
            ).map { try $0.deployment() }
        }
    }

    /// Reads the row locked (PostgreSQL) or under SQLite's write lock, so a concurrent claim either took it before,
    /// and it is seen running here, or waits and then finds it canceled.
    func cancelIfQueued(deploymentID: Int64, reason: String, at time: Date) async throws -> Deployment? {
        let time = StoredValue.storedPrecision(time)
        let now = Timestamp.now()
        return try await database.transaction { session in
            let row = try await session.first(
                DeploymentRow.self,
                "SELECT * FROM deployments WHERE id = \(bind: deploymentID) \(session.rowLock(skipLocked: false))"
            )
            guard let row, row.state == Self.queued else { return nil }
            var deployment = try row.deployment()
            try deployment.progress.cancel(reason: reason, at: time)
            deployment.updatedAt = now
            try await SQLDeploymentRepository.write(deployment, session)
            return deployment
        }
    }

    func unfinishedDeployments(workspaceID: Int64?) async throws -> [Deployment] {
        let inWorkspace: SQLQueryString = workspaceID.map { "AND workspace_id = \(bind: $0)" } ?? ""
        return try await database.withConnection { session in
            try await session.all(
                DeploymentRow.self,
                """
                SELECT * FROM deployments
                WHERE state IN (\(bind: Self.queued), \(bind: Self.running)) \(inWorkspace)
                ORDER BY id
                """
            ).map { try $0.deployment() }
        }
    }

    func queuedCount(workspaceID: Int64) async throws -> Int {
        try await database.withConnection { session in
            let count = try await session.first(
                CountRow.self,
                "SELECT COUNT(*) AS count FROM deployments WHERE state = \(bind: Self.queued) AND workspace_id = \(bind: workspaceID)"
            )?.count
            return Int(count ?? 0)
        }
    }

    /// Throws `notFound` when the deployment does not exist.
    func delete(deploymentID: Int64) async throws -> UUID? {
        try await database.transaction { session in
            let buildID = try await lockedBuildReference(deploymentID: deploymentID, session)
            if let buildID { try await lockBuild(buildID, session) }
            try await session.run(
                "UPDATE projects SET production_deployment_id = NULL WHERE production_deployment_id = \(bind: deploymentID)"
            )
            try await session.run("DELETE FROM deployments WHERE id = \(bind: deploymentID)")
            try await session.run("DELETE FROM service_restarts WHERE deployment_id = \(bind: deploymentID)")
            guard let buildID else { return nil }
            return try await deleteBuildIfUnused(buildID, session)
        }
    }

    /// Newest first, the project's finished deployments are numbered; from the `keep + 1`th on, those that still
    /// have a build are candidates. A finished deployment without a build still counts towards `keep`.
    func retentionCandidates(projectID: Int64, keep: Int) async throws -> [Deployment] {
        try await database.withConnection { session in
            try await session.all(
                DeploymentRow.self,
                """
                SELECT * FROM deployments
                WHERE project_id = \(bind: projectID) AND state IN (\(Self.finishedStates)) AND build_id IS NOT NULL
                    AND id NOT IN (
                        SELECT id FROM deployments
                        WHERE project_id = \(bind: projectID) AND state IN (\(Self.finishedStates))
                        ORDER BY id DESC
                        LIMIT \(bind: max(keep, 0))
                    )
                ORDER BY id
                """
            ).map { try $0.deployment() }
        }
    }

    /// Throws `notFound` when the deployment does not exist; nil when it had no build.
    func releaseBuild(deploymentID: Int64) async throws -> UUID? {
        let now = Timestamp.now()
        return try await database.transaction { session in
            guard let buildID = try await lockedBuildReference(deploymentID: deploymentID, session) else { return nil }
            try await lockBuild(buildID, session)
            try await session.run(
                """
                UPDATE deployments SET build_id = NULL, updated_at = \(bind: StoredValue.microseconds(now))
                WHERE id = \(bind: deploymentID)
                """
            )
            return try await deleteBuildIfUnused(buildID, session)
        }
    }

    /// The build a deployment uses, its row locked until the transaction ends (PostgreSQL); `notFound` when the
    /// deployment does not exist.
    private func lockedBuildReference(deploymentID: Int64, _ session: Session) async throws -> UUID? {
        let row = try await session.first(
            BuildReferenceRow.self,
            "SELECT build_id FROM deployments WHERE id = \(bind: deploymentID) \(session.rowLock(skipLocked: false))"
        )
        guard let row else { throw SlipwayError.notFound("deployment \(deploymentID) not found") }
        return try row.buildID.map { try StoredValue.uuid($0, table: "deployments", column: "build_id") }
    }

    /// Locks the build's row (PostgreSQL) before its references are counted: of two transactions that each detach
    /// one of the build's last two users, the second then counts after the first committed and sees none left.
    private func lockBuild(_ buildID: UUID, _ session: Session) async throws {
        _ = try await session.rows("SELECT id FROM builds WHERE id = \(bind: buildID.lowercased) \(session.rowLock(skipLocked: false))")
    }

    /// Deletes the build's record and returns its id when no deployment refers to it any more; nil otherwise.
    private func deleteBuildIfUnused(_ buildID: UUID, _ session: Session) async throws -> UUID? {
        let stillUsed = try await !session.rows(
            "SELECT id FROM deployments WHERE build_id = \(bind: buildID.lowercased) LIMIT 1"
        ).isEmpty
        if stillUsed { return nil }
        try await session.run("DELETE FROM builds WHERE id = \(bind: buildID.lowercased)")
        return buildID
    }
}
