public import Foundation

/// Deploying an existing build without rebuilding it: a new deployment that reuses the build (no clone, no build),
/// as rollback and promote do. Used by `POST /api/deploys` with `buildId` or `appId`.
public struct BuildDeploymentService: Sendable {
    public let projects: any ProjectRepository
    public let queries: any DeploymentQueryRepository
    public let admission: DeploymentAdmission

    /// A service over the store's repositories.
    public init(projects: any ProjectRepository, queries: any DeploymentQueryRepository, admission: DeploymentAdmission) {
        self.projects = projects
        self.queries = queries
        self.admission = admission
    }

    /// Queues a deployment of the workspace's build `buildID`: same commit, branch and config snapshot as the
    /// deployment that made it; production when that branch is the project's production branch.
    public func deploy(buildID: UUID, by identity: Identity) async throws -> Deployment {
        guard let build = try await queries.build(id: buildID, workspaceID: identity.workspace.id) else {
            throw SlipwayError.notFound("build \(PrefixedID.build.format(buildID)) not found")
        }
        return try await deploy(build, environment: nil, by: identity)
    }

    /// Queues a production deployment of the newest build that a successful deployment of the app's production
    /// branch serves; 409 when the app has none yet.
    public func deploy(appID: UUID, by identity: Identity) async throws -> Deployment {
        guard let projectID = try await queries.projectID(uid: appID, workspaceID: identity.workspace.id),
            let project = try await projects.project(id: projectID, workspaceID: identity.workspace.id)
        else {
            throw SlipwayError.notFound("app \(PrefixedID.app.format(appID)) not found")
        }
        guard let build = try await queries.latestSuccessfulBuild(projectID: project.id, branch: project.productionBranch) else {
            throw SlipwayError.conflict(
                "app \(PrefixedID.app.format(appID)) has no successful build of its production branch '\(project.productionBranch)' yet")
        }
        return try await deploy(build, environment: .production, by: identity)
    }

    private func deploy(_ build: Build, environment: DeploymentEnvironment?, by identity: Identity) async throws -> Deployment {
        guard let project = try await projects.project(id: build.projectID, workspaceID: identity.workspace.id) else {
            throw SlipwayError.notFound("build \(PrefixedID.build.format(build.id)) not found")
        }
        let source = try await queries.firstDeployment(usingBuild: build.id)
        let branch = source?.gitBranch ?? project.productionBranch
        return try await admission.admit(
            Admission(
                NewDeployment(
                    workspaceID: project.workspaceID, projectID: project.id, serverID: project.serverID, initiatedBy: identity.user.id,
                    environment: environment ?? DeploymentRules.defaultEnvironment(branch: branch, of: project), trigger: .manual,
                    gitBranch: branch, commitID: build.commitID ?? source?.commitID, commitMessage: source?.commitMessage,
                    commitAuthor: source?.commitAuthor, description: "Deploy of build \(PrefixedID.build.format(build.id))", buildID: build.id,
                    config: source?.config ?? project.buildConfig
                )
            )
        )
    }
}
