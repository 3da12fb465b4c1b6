import Foundation

/// What a caller may choose when it queues deployments; everything is optional.
public struct DeployRequest: Sendable, Equatable {
    public var gitBranch: String?
    public var commitID: String?
    public var environment: DeploymentEnvironment?
    public var description: String?
    public var trigger: DeploymentTrigger

    public init(
        gitBranch: String? = nil, commitID: String? = nil, environment: DeploymentEnvironment? = nil,
        description: String? = nil, trigger: DeploymentTrigger = .manual
    ) {
        self.gitBranch = gitBranch
        self.commitID = commitID
        self.environment = environment
        self.description = description
        self.trigger = trigger
    }
}

/// The deployment use cases every dialect shares: queue, rerun, roll back, list candidates.
/// Dialects map their requests onto these and the results back onto their shapes.
public struct DeploymentService: Sendable {
    public let projects: any ProjectRepository
    public let deployments: any DeploymentRepository
    public let control: any DeploymentControlRepository
    public let queueSignal: WakeUpSignal
    /// The most deployments a workspace may have waiting; more answer 429.
    public let queueCap: Int

    public init(
        projects: any ProjectRepository, deployments: any DeploymentRepository, control: any DeploymentControlRepository,
        queueSignal: WakeUpSignal, queueCap: Int = 100
    ) {
        self.projects = projects
        self.deployments = deployments
        self.control = control
        self.queueSignal = queueSignal
        self.queueCap = queueCap
    }

    /// The reason an `auto` deployment superseded by a newer one of the same branch is skipped.
    public static let supersededReason = "superseded_queued_build"

    /// Queues one deployment per project, in the order given. Every project is checked before any is queued.
    public func deploy(projectIDs: [Int64], request: DeployRequest, by identity: Identity) async throws -> [Deployment] {
        if projectIDs.isEmpty { throw SlipwayError.invalid("project_ids", "must contain at least one project id") }
        var problems: [FieldProblem] = []
        if let branch = request.gitBranch, let message = ProjectValidation.branchProblem(branch) {
            problems.append(FieldProblem(field: "git_branch", message: message))
        }
        if let commit = request.commitID, let message = ProjectValidation.commitProblem(commit) {
            problems.append(FieldProblem(field: "commit_id", message: message))
        }
        var targets: [Project] = []
        for (index, projectID) in projectIDs.enumerated() {
            if let project = try await projects.project(id: projectID, workspaceID: identity.workspace.id) {
                targets.append(project)
            } else {
                problems.append(FieldProblem(field: "project_ids.\(index)", message: "project \(projectID) does not exist"))
            }
        }
        guard problems.isEmpty else { throw SlipwayError.invalid(problems) }
        try await checkQueueRoom(for: targets.count, identity)

        var created: [Deployment] = []
        for project in targets {
            let branch = request.gitBranch ?? project.productionBranch
            let deployment = try await deployments.create(
                NewDeployment(
                    workspaceID: project.workspaceID, projectID: project.id, serverID: project.serverID,
                    initiatedBy: identity.user.id,
                    environment: request.environment ?? DeploymentRules.defaultEnvironment(branch: branch, of: project),
                    trigger: request.trigger, gitBranch: branch, commitID: request.commitID?.lowercased(),
                    description: request.description ?? "Deployment started from API", config: project.buildConfig
                )
            )
            if deployment.trigger == .auto {
                _ = try await control.supersedeQueuedAutoDeployments(
                    projectID: project.id, branch: branch, olderThan: deployment.id, reason: Self.supersededReason, at: Timestamp.now()
                )
            }
            created.append(deployment)
        }
        queueSignal.signal()
        return created
    }

    /// 429 when queuing `count` more deployments would pass the workspace's queue cap.
    private func checkQueueRoom(for count: Int, _ identity: Identity) async throws {
        let queued = try await control.queuedCount(workspaceID: identity.workspace.id)
        if queued + count > queueCap {
            throw SlipwayError.tooManyRequests(
                "the deployment queue of this workspace is full (\(queued) waiting, at most \(queueCap)); try again when some have run"
            )
        }
    }

    /// Queues a new deployment of the same commit as a failed one.
    public func rerun(deploymentID: Int64, by identity: Identity) async throws -> Deployment {
        let original = try await visibleDeployment(deploymentID, identity)
        try DeploymentRules.checkRerun(of: original)
        let project = try await visibleProject(original.projectID, identity)
        try await checkQueueRoom(for: 1, identity)
        let rerun = try await deployments.create(
            NewDeployment(
                workspaceID: original.workspaceID, projectID: original.projectID, serverID: original.serverID,
                initiatedBy: identity.user.id, environment: original.environment, trigger: .rerun,
                gitBranch: original.gitBranch, commitID: original.commitID, commitMessage: original.commitMessage,
                commitAuthor: original.commitAuthor, description: "Rerun of deployment \(original.id)",
                config: project.buildConfig, rerunOf: original.id
            )
        )
        queueSignal.signal()
        return rerun
    }

    /// Queues a rollback to `targetID`: a new production deployment that reuses the target's build and config.
    public func rollback(to targetID: Int64, by identity: Identity) async throws -> Deployment {
        let target = try await visibleDeployment(targetID, identity)
        let project = try await visibleProject(target.projectID, identity)
        try DeploymentRules.checkRollback(to: target, activeProductionID: project.productionDeploymentID)
        try await checkQueueRoom(for: 1, identity)
        let rollback = try await deployments.create(
            NewDeployment(
                workspaceID: target.workspaceID, projectID: target.projectID, serverID: target.serverID,
                initiatedBy: identity.user.id, environment: .production, trigger: .rollback, gitBranch: target.gitBranch,
                commitID: target.commitID, commitMessage: target.commitMessage, commitAuthor: target.commitAuthor,
                description: "Rollback to deployment \(target.id)", buildID: target.buildID, config: target.config,
                rollbackOf: target.id
            )
        )
        // A rollback pins production: later pushes still build, but do not take production until a promote or an unpin.
        try await projects.setProductionPinned(projectID: target.projectID, pinned: true)
        queueSignal.signal()
        return rollback
    }

    /// The deployments a project can be rolled back to, newest first.
    public func rollbackCandidates(projectID: Int64, by identity: Identity) async throws -> [Deployment] {
        let project = try await visibleProject(projectID, identity)
        let successful = try await deployments.successfulProductionDeployments(projectID: project.id)
        return DeploymentRules.rollbackCandidates(among: successful, activeProductionID: project.productionDeploymentID)
    }

    private func visibleDeployment(_ id: Int64, _ identity: Identity) async throws -> Deployment {
        guard let deployment = try await deployments.deployment(id: id, workspaceID: identity.workspace.id) else {
            throw SlipwayError.notFound("deployment \(id) not found")
        }
        return deployment
    }

    private func visibleProject(_ id: Int64, _ identity: Identity) async throws -> Project {
        guard let project = try await projects.project(id: id, workspaceID: identity.workspace.id) else {
            throw SlipwayError.notFound("project \(id) not found")
        }
        return project
    }
}
