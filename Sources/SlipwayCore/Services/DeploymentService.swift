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

/// The deployment use cases every dialect shares: deploy, rerun, roll back, promote, list rollback candidates.
/// Dialects map their requests onto these and the results back onto their shapes; every deployment they create
/// goes through `DeploymentAdmission`.
public struct DeploymentService: Sendable {
    public let projects: any ProjectRepository
    public let deployments: any DeploymentRepository
    public let admission: DeploymentAdmission

    public init(projects: any ProjectRepository, deployments: any DeploymentRepository, admission: DeploymentAdmission) {
        self.projects = projects
        self.deployments = deployments
        self.admission = admission
    }

    /// Queues one deployment per project, in the order given: all or none. Every project is checked first.
    public func deploy(projectIDs: [Int64], request: DeployRequest, by identity: Identity) async throws -> [Deployment] {
        if projectIDs.isEmpty { throw SlipwayError.invalid(.name("projectIDs"), "must contain at least one project id") }
        var problems: [FieldProblem] = []
        if let branch = request.gitBranch, let message = ProjectValidation.branchProblem(branch) {
            problems.append(FieldProblem(.name("gitBranch"), message: message))
        }
        if let commit = request.commitID, let message = ProjectValidation.commitProblem(commit) {
            problems.append(FieldProblem(.name("commitID"), message: message))
        }
        var targets: [Project] = []
        for (index, projectID) in projectIDs.enumerated() {
            if let project = try await projects.project(id: projectID, workspaceID: identity.workspace.id) {
                targets.append(project)
            } else {
                problems.append(FieldProblem(.name("projectIDs").index(index), message: "project \(projectID) does not exist"))
            }
        }
        guard problems.isEmpty else { throw SlipwayError.invalid(problems) }
        let admissions = targets.map { project in
            let branch = request.gitBranch ?? project.productionBranch
            return Admission(
                NewDeployment(
                    workspaceID: project.workspaceID, projectID: project.id, serverID: project.serverID,
                    initiatedBy: identity.user.id,
                    environment: request.environment ?? DeploymentRules.defaultEnvironment(branch: branch, of: project),
                    trigger: request.trigger, gitBranch: branch, commitID: request.commitID?.lowercased(),
                    description: request.description ?? "Deployment started from API", config: project.buildConfig
                ),
                supersedesOlderPushes: request.trigger == .auto
            )
        }
        return try await admission.admit(admissions)
    }

    /// Queues a new deployment of the same commit as a failed one.
    public func rerun(deploymentID: Int64, by identity: Identity) async throws -> Deployment {
        let original = try await deployments.deployment(deploymentID, visibleTo: identity)
        try DeploymentRules.checkRerun(of: original)
        let project = try await projects.project(original.projectID, visibleTo: identity)
        return try await admission.admit(
            Admission(
                NewDeployment(
                    workspaceID: original.workspaceID, projectID: original.projectID, serverID: original.serverID,
                    initiatedBy: identity.user.id, environment: original.environment, trigger: .rerun,
                    gitBranch: original.gitBranch, commitID: original.commitID, commitMessage: original.commitMessage,
                    commitAuthor: original.commitAuthor, description: "Rerun of deployment \(original.id)",
                    config: project.buildConfig, rerunOf: original.id
                )
            )
        )
    }

    /// Queues a rollback to `targetID`: a new production deployment that reuses the target's build, config and
    /// variables, and pins production (later pushes still build, but do not take production until a promote or an
    /// unpin).
    public func rollback(to targetID: Int64, by identity: Identity) async throws -> Deployment {
        let target = try await deployments.deployment(targetID, visibleTo: identity)
        let project = try await projects.project(target.projectID, visibleTo: identity)
        try DeploymentRules.checkRollback(to: target, activeProductionID: project.productionDeploymentID)
        return try await admission.admit(
            Admission(
                Self.production(of: target, trigger: .rollback, description: "Rollback to deployment \(target.id)", by: identity),
                productionPin: .pin
            )
        )
    }

    /// Queues a promote of `targetID`: a new production deployment (trigger `promote`) that reuses the target's
    /// build, config and variables, without clone or build. It takes production even when production was pinned
    /// by a rollback, and unpins it.
    public func promote(_ targetID: Int64, by identity: Identity) async throws -> Deployment {
        let target = try await deployments.deployment(targetID, visibleTo: identity)
        let project = try await projects.project(target.projectID, visibleTo: identity)
        try DeploymentRules.checkPromote(of: target, activeProductionID: project.productionDeploymentID)
        return try await admission.admit(
            Admission(
                Self.production(of: target, trigger: .promote, description: "Promote of deployment \(target.id)", by: identity),
                variables: .copy(ofDeploymentID: target.id), productionPin: .unpin
            )
        )
    }

    /// A production deployment of `target`'s build, commit and config, without clone or build (a rollback names
    /// its target).
    private static func production(
        of target: Deployment, trigger: DeploymentTrigger, description: String, by identity: Identity
    ) -> NewDeployment {
        NewDeployment(
            workspaceID: target.workspaceID, projectID: target.projectID, serverID: target.serverID, initiatedBy: identity.user.id,
            environment: .production, trigger: trigger, gitBranch: target.gitBranch, commitID: target.commitID,
            commitMessage: target.commitMessage, commitAuthor: target.commitAuthor, description: description, buildID: target.buildID,
            config: target.config, rollbackOf: trigger == .rollback ? target.id : nil
        )
    }

    /// The deployments a project can be rolled back to, newest first.
    public func rollbackCandidates(projectID: Int64, by identity: Identity) async throws -> [Deployment] {
        let project = try await projects.project(projectID, visibleTo: identity)
        let successful = try await deployments.successfulProductionDeployments(projectID: project.id)
        return DeploymentRules.rollbackCandidates(among: successful, activeProductionID: project.productionDeploymentID)
    }

}
