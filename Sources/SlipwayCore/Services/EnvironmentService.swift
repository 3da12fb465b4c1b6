import Foundation

/// The use cases of environment variables: read (secrets masked), replace, and promote a deployment to production
/// with its snapshot.
public struct EnvironmentService: Sendable {
    public let projects: any ProjectRepository
    public let deployments: any DeploymentRepository
    public let control: any DeploymentControlRepository
    public let variables: any EnvironmentVariableRepository
    public let queueSignal: WakeUpSignal
    /// The most deployments a workspace may have waiting; more answer 429.
    public let queueCap: Int

    public init(
        projects: any ProjectRepository, deployments: any DeploymentRepository, control: any DeploymentControlRepository,
        variables: any EnvironmentVariableRepository, queueSignal: WakeUpSignal, queueCap: Int = 100
    ) {
        self.projects = projects
        self.deployments = deployments
        self.control = control
        self.variables = variables
        self.queueSignal = queueSignal
        self.queueCap = queueCap
    }

    /// The project's variables of both environments, secret values replaced by `•••`.
    public func maskedVariables(of project: Project) async throws -> [DeploymentEnvironment: EnvironmentVariables] {
        let stored = try await variables.variables(projectID: project.id)
        var shown: [DeploymentEnvironment: EnvironmentVariables] = [:]
        for environment in DeploymentEnvironment.allCases {
            shown[environment] = (stored[environment] ?? [:]).mapValues { variable in
                variable.secret ? EnvironmentVariable(value: SecretMasker.mask, secret: true) : variable
            }
        }
        return shown
    }

    /// Validates and stores the environments of a PUT body; the environments it does not name are kept.
    public func replace(_ environments: [String: EnvironmentVariables], of project: Project) async throws {
        let valid = try EnvironmentValidation.validate(environments)
        try await variables.replace(projectID: project.id, with: valid)
    }

    /// Changes some variables and keeps the rest (`PATCH`, for `slipway env set|unset`): in each environment named, a
    /// variable given a value is set, one given nil is removed.
    public func update(_ changes: [String: [String: EnvironmentVariable?]], of project: Project) async throws {
        let toSet = changes.mapValues { $0.compactMapValues { $0 } }
        _ = try EnvironmentValidation.validate(toSet)
        let current = try await variables.variables(projectID: project.id)
        var updated: [DeploymentEnvironment: EnvironmentVariables] = [:]
        for (name, variableChanges) in changes {
            guard let environment = DeploymentEnvironment(rawValue: name) else { continue }
            var variables = current[environment] ?? [:]
            for (key, change) in variableChanges {
                variables[key] = change
            }
            updated[environment] = variables
        }
        try await variables.replace(projectID: project.id, with: updated)
    }

    /// Queues a promote of `targetID`: a new production deployment (trigger `promote`) that reuses the target's
    /// build, config and env snapshot, without clone or build. It takes production even when production was pinned
    /// by a rollback, and unpins it.
    public func promote(_ targetID: Int64, by identity: Identity) async throws -> Deployment {
        guard let target = try await deployments.deployment(id: targetID, workspaceID: identity.workspace.id) else {
            throw SlipwayError.notFound("deployment \(targetID) not found")
        }
        guard let project = try await projects.project(id: target.projectID, workspaceID: identity.workspace.id) else {
            throw SlipwayError.notFound("deployment \(targetID) not found")
        }
        try DeploymentRules.checkPromote(of: target, activeProductionID: project.productionDeploymentID)
        let queued = try await control.queuedCount(workspaceID: identity.workspace.id)
        if queued + 1 > queueCap {
            throw SlipwayError.tooManyRequests(
                "the deployment queue of this workspace is full (\(queued) waiting, at most \(queueCap)); try again when some have run"
            )
        }
        // The target's own snapshot, taken now if it never ran with one (a deployment from before env vars existed).
        _ = try await variables.snapshot(of: target)
        let promote = try await deployments.create(
            NewDeployment(
                workspaceID: target.workspaceID, projectID: target.projectID, serverID: target.serverID, initiatedBy: identity.user.id,
                environment: .production, trigger: .promote, gitBranch: target.gitBranch, commitID: target.commitID,
                commitMessage: target.commitMessage, commitAuthor: target.commitAuthor, description: "Promote of deployment \(target.id)",
                buildID: target.buildID, config: target.config
            )
        )
        try await variables.copySnapshot(from: target.id, to: promote.id)
        try await projects.setProductionPinned(projectID: project.id, pinned: false)
        queueSignal.signal()
        return promote
    }
}
