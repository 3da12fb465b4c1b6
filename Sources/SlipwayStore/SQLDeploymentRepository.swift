import Foundation
import SQLKit
import SlipwayCore

/// Deployments and builds in SQL. The queue and the control of deployments are `SQLDeploymentControlRepository`.
struct SQLDeploymentRepository: DeploymentRepository {
    let database: Database

    /// A `deployments` row as stored (the lease columns are the store's own business and not read back).
    struct DeploymentRow: Decodable {
        var id: Int64
        var uid: String
        var workspaceID: Int64
        var projectID: Int64
        var serverID: Int64
        var sequenceNumber: Int64
        var initiatedBy: Int64
        var environment: String
        var trigger: String
        var state: String
        var gitBranch: String
        var commitID: String?
        var commitMessage: String?
        var commitAuthor: String?
        var description: String
        var buildID: String?
        var config: String
        var rerunOf: Int64?
        var rollbackOf: Int64?
        var stages: String
        var reason: String?
        var error: String?
        var startedAt: Int64?
        var completedAt: Int64?
        var createdAt: Int64
        var updatedAt: Int64
        var sourceEventID: String?
        var commitURL: String?

        func deployment() throws -> Deployment {
            let progress = DeploymentProgress(
                state: try StoredValue.enumeration(DeploymentState.self, state, table: "deployments", column: "state"),
                stages: try StoredValue.stages(stages), startedAt: StoredValue.date(startedAt),
                completedAt: StoredValue.date(completedAt), reason: reason
            )
            return Deployment(
                id: id, uid: try StoredValue.uuid(uid, table: "deployments", column: "uid"), workspaceID: workspaceID,
                projectID: projectID, serverID: serverID, sequenceNumber: sequenceNumber, initiatedBy: initiatedBy,
                environment: try StoredValue.enumeration(DeploymentEnvironment.self, environment, table: "deployments", column: "environment"),
                trigger: try StoredValue.enumeration(DeploymentTrigger.self, trigger, table: "deployments", column: "trigger"),
                gitBranch: gitBranch, commitID: commitID, commitMessage: commitMessage, commitAuthor: commitAuthor,
                description: description, buildID: try buildID.map { try StoredValue.uuid($0, table: "deployments", column: "build_id") },
                config: try StoredValue.config(config), rerunOf: rerunOf, rollbackOf: rollbackOf, progress: progress, error: error,
                createdAt: StoredValue.date(createdAt), updatedAt: StoredValue.date(updatedAt), sourceEventID: sourceEventID,
                commitURL: commitURL
            )
        }
    }

    /// What the edge needs of a live deployment and its project.
    private struct LiveRow: Decodable {
        var id: Int64
        var uid: String
        var projectID: Int64
        var projectName: String
        var gitBranch: String
        var buildID: String
        var config: String
        var productionDeploymentID: Int64?

        func live() throws -> LiveDeployment {
            LiveDeployment(
                deploymentID: id, uid: try StoredValue.uuid(uid, table: "deployments", column: "uid"), projectID: projectID,
                projectName: projectName, gitBranch: gitBranch,
                buildID: try StoredValue.uuid(buildID, table: "deployments", column: "build_id"),
                isProduction: productionDeploymentID == id, kind: try StoredValue.config(config).kind
            )
        }
    }

    private struct CountRow: Decodable {
        var count: Int64
    }

    static let queued = DeploymentState.queued.rawValue
    static let running = DeploymentState.running.rawValue

    func create(_ new: NewDeployment) async throws -> Deployment {
        let now = Timestamp.now()
        let progress = DeploymentProgress(kind: new.config.kind, queuedAt: now)
        return try await database.transaction { session in try await Self.insert(new, progress: progress, at: now, in: session) }
    }

    /// Inserts a new deployment row with its initial progress (queued, or already skipped), taking the project's
    /// next sequence number in the same transaction. The one place that writes a new deployment.
    static func insert(_ new: NewDeployment, progress: DeploymentProgress, at now: Date, in session: Session) async throws -> Deployment {
        let uid = UUID()
        let stages = try StoredValue.stagesJSON(progress.stages)
        let config = try StoredValue.configJSON(new.config)
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
                \(bind: new.buildID?.lowercased), \(bind: config), \(bind: new.rerunOf), \(bind: new.rollbackOf),
                \(bind: stages), \(bind: progress.reason), NULL, \(bind: StoredValue.microseconds(progress.startedAt)),
                \(bind: StoredValue.microseconds(progress.completedAt)), \(bind: StoredValue.microseconds(now)),
                \(bind: StoredValue.microseconds(now)), \(bind: new.sourceEventID), \(bind: new.commitURL)
            )
            RETURNING id
            """
        )
        let deployment = Deployment(
            id: id, uid: uid, workspaceID: new.workspaceID, projectID: new.projectID, serverID: new.serverID,
            sequenceNumber: sequenceNumber, initiatedBy: new.initiatedBy, environment: new.environment, trigger: new.trigger,
            gitBranch: new.gitBranch, commitID: new.commitID, commitMessage: new.commitMessage, commitAuthor: new.commitAuthor,
            description: new.description, buildID: new.buildID, config: new.config, rerunOf: new.rerunOf,
            rollbackOf: new.rollbackOf, progress: progress, error: nil, createdAt: now, updatedAt: now,
            sourceEventID: new.sourceEventID, commitURL: new.commitURL
        )
        if new.rollbackOf != nil || new.trigger == .rollback {
            try await NotificationOutbox.publish(.deployment(.deploymentRollback, deployment, at: now), session)
        }
        if let event = NotificationEventKind.deploymentEvent(for: deployment.state) {
            try await NotificationOutbox.publish(.deployment(event, deployment, at: now), session)
        }
        return deployment
    }

    func deployment(id: Int64, workspaceID: Int64) async throws -> Deployment? {
        try await database.withConnection { session in
            try await session.first(
                DeploymentRow.self, "SELECT * FROM deployments WHERE id = \(bind: id) AND workspace_id = \(bind: workspaceID)"
            )?.deployment()
        }
    }

    func deployment(id: Int64) async throws -> Deployment? {
        try await database.withConnection { session in
            try await session.first(DeploymentRow.self, "SELECT * FROM deployments WHERE id = \(bind: id)")?.deployment()
        }
    }

    func deployments(projectID: Int64, environment: DeploymentEnvironment?, page: Page) async throws -> (items: [Deployment], total: Int) {
        var condition: SQLQueryString = "project_id = \(bind: projectID)"
        if let environment { condition = "\(condition) AND environment = \(bind: environment.rawValue)" }
        return try await database.withConnection { session in
            let total = try await session.first(CountRow.self, "SELECT COUNT(*) AS count FROM deployments WHERE \(condition)")?.count ?? 0
            let items = try await session.all(
                DeploymentRow.self,
                """
                SELECT * FROM deployments WHERE \(condition) ORDER BY id DESC
                LIMIT \(bind: max(page.size, 0)) OFFSET \(bind: max(page.offset, 0))
                """
            ).map { try $0.deployment() }
            return (items, Int(total))
        }
    }

    func successfulProductionDeployments(projectID: Int64) async throws -> [Deployment] {
        try await database.withConnection { session in
            try await session.all(
                DeploymentRow.self,
                """
                SELECT * FROM deployments
                WHERE project_id = \(bind: projectID) AND state = \(bind: DeploymentState.success.rawValue)
                    AND environment = \(bind: DeploymentEnvironment.production.rawValue)
                ORDER BY id DESC
                """
            ).map { try $0.deployment() }
        }
    }

    func hasUnfinishedDeployments(projectID: Int64) async throws -> Bool {
        try await database.withConnection { session in
            try await !session.rows(
                """
                SELECT id FROM deployments
                WHERE project_id = \(bind: projectID) AND state IN (\(bind: Self.queued), \(bind: Self.running))
                LIMIT 1
                """
            ).isEmpty
        }
    }

    func saveProgress(_ deployment: Deployment) async throws {
        var deployment = deployment
        deployment.updatedAt = Timestamp.now()
        // The state and the notifications it queues are one transaction: a crash loses neither alone. A deployment
        // ended by a shutdown records its state from a cancelled task, where the drivers would roll BEGIN … COMMIT
        // back; an unstructured task does not inherit the cancellation, and the write is short.
        let database = self.database
        try await Task {
            try await database.transaction { session in try await Self.write(deployment, session) }
        }.value
    }

    func saveLive(_ deployment: Deployment, makeProduction: Bool) async throws {
        var deployment = deployment
        deployment.updatedAt = Timestamp.now()
        try await database.transaction { session in
            try await Self.write(deployment, session)
            if makeProduction {
                try await session.run(
                    """
                    UPDATE projects SET production_deployment_id = \(bind: deployment.id)
                    WHERE id = \(bind: deployment.projectID)
                    """
                )
            }
        }
    }

    func createBuild(_ build: Build) async throws {
        try await database.withConnection { session in
            try await session.run(
                """
                INSERT INTO builds (id, workspace_id, project_id, commit_id, created_at)
                VALUES (
                    \(bind: build.id.lowercased), \(bind: build.workspaceID), \(bind: build.projectID), \(bind: build.commitID),
                    \(bind: StoredValue.microseconds(build.createdAt))
                )
                """
            )
        }
    }

    func liveDeployments() async throws -> [LiveDeployment] {
        try await liveDeployments(of: nil)
    }

    func liveDeployments(projectID: Int64) async throws -> [LiveDeployment] {
        try await liveDeployments(of: projectID)
    }

    private func liveDeployments(of projectID: Int64?) async throws -> [LiveDeployment] {
        let ofProject: SQLQueryString = projectID.map { "AND deployment.project_id = \(bind: $0)" } ?? ""
        return try await database.withConnection { session in
            try await session.all(
                LiveRow.self,
                """
                SELECT deployment.id, deployment.uid, deployment.project_id, project.name AS project_name, deployment.git_branch,
                    deployment.build_id, deployment.config, project.production_deployment_id
                FROM deployments AS deployment JOIN projects AS project ON project.id = deployment.project_id
                WHERE deployment.state = \(bind: DeploymentState.success.rawValue) AND deployment.build_id IS NOT NULL \(ofProject)
                ORDER BY deployment.id
                """
            ).map { try $0.live() }
        }
    }

    /// Writes what changes while a deployment runs, and queues the notifications of its state (`NotificationOutbox`);
    /// throws `notFound` when the row is gone (deleted meanwhile).
    /// A finished deployment loses its lease: nobody works on it any more.
    static func write(_ deployment: Deployment, _ session: Session) async throws {
        let releaseLease: SQLQueryString = deployment.state.isFinished ? ", lease_owner = NULL, lease_expires_at = NULL" : ""
        let updated = try await session.value(
            Int64.self, column: "id",
            """
            UPDATE deployments SET
                state = \(bind: deployment.state.rawValue), stages = \(bind: try StoredValue.stagesJSON(deployment.stages)),
                reason = \(bind: deployment.progress.reason), error = \(bind: deployment.error),
                started_at = \(bind: StoredValue.microseconds(deployment.startedAt)),
                completed_at = \(bind: StoredValue.microseconds(deployment.completedAt)),
                commit_id = \(bind: deployment.commitID), commit_message = \(bind: deployment.commitMessage),
                commit_author = \(bind: deployment.commitAuthor), build_id = \(bind: deployment.buildID?.lowercased),
                updated_at = \(bind: StoredValue.microseconds(deployment.updatedAt))\(releaseLease)
            WHERE id = \(bind: deployment.id)
            RETURNING id
            """
        )
        if updated == nil { throw SlipwayError.notFound("deployment \(deployment.id) not found") }
        // Each state announces itself once per destination (the outbox ignores a repeat: a running deployment is
        // written at every stage).
        if let event = NotificationEventKind.deploymentEvent(for: deployment.state) {
            try await NotificationOutbox.publish(.deployment(event, deployment, at: deployment.updatedAt), session)
        }
    }

}
