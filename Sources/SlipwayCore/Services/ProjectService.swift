import Foundation

/// Creating and changing projects, with every rule on their settings in one place: the shape of each field
/// (`ProjectValidation`), where the repository may come from and which port a service may fix
/// (`ProjectInputRules`), and that no two projects of the install fix the same port.
public struct ProjectService: Sendable {
    public let projects: any ProjectRepository
    public let rules: ProjectInputRules
    /// Deployment records: a project with unfinished deployments is not deleted; a rename reloads routes.
    public let deployments: any DeploymentRepository
    /// What the edge routes to.
    public let routes: RouteTable
    /// A deleted project's builds and logs.
    public let files: any DeploymentFileStore
    /// The service supervisor: a deleted project's processes stop.
    public let runtime: (any ServiceRuntime)?

    public init(
        projects: any ProjectRepository, rules: ProjectInputRules, deployments: any DeploymentRepository, routes: RouteTable,
        files: any DeploymentFileStore, runtime: (any ServiceRuntime)? = nil
    ) {
        self.projects = projects
        self.rules = rules
        self.deployments = deployments
        self.routes = routes
        self.files = files
        self.runtime = runtime
    }

    /// Validates a creation request and stores the project; `SlipwayError.invalid` names every wrong field.
    public func create(_ settings: ProjectSettings, workspaceID: Int64) async throws -> Project {
        let new = try ProjectValidation.validateNew(settings, rules: rules)
        try await checkPortIsFree(settings.service.port, exceptProjectID: nil)
        return try await projects.create(new, workspaceID: workspaceID)
    }

    /// Validates an update, applies it to `project` and stores it.
    public func update(_ project: Project, with settings: ProjectSettings) async throws -> Project {
        let updated = try ProjectValidation.apply(settings, to: project, rules: rules)
        try await checkPortIsFree(settings.service.port, exceptProjectID: project.id)
        let stored = try await projects.update(updated)
        // Its deployments' host names follow the new name.
        if stored.name != project.name {
            routes.load(try await deployments.liveDeployments())
            routes.renameProject(from: project.name, to: stored.name)
        }
        return stored
    }

    /// Deletes a project with every deployment, build and log of it, and stops its processes; 409 while a
    /// deployment of it is queued or running.
    public func delete(_ project: Project) async throws {
        if try await deployments.hasUnfinishedDeployments(projectID: project.id) {
            throw SlipwayError.conflict("project \(project.name) has queued or running deployments; cancel them first")
        }
        let (records, _) = try await deployments.deployments(projectID: project.id, page: Page(number: 1, size: Int(Int32.max)))
        let buildIDs = try await projects.delete(id: project.id, workspaceID: project.workspaceID)
        routes.removeProject(project.name)
        await runtime?.retire(projectID: project.id, keeping: [])
        await runtime?.removeProjectData(projectUID: project.uid)
        for id in buildIDs { try? files.removeBuild(id) }
        for record in records { try? files.removeLog(deploymentUID: record.uid) }
    }

    /// A fixed port another project of the install (in any workspace) already has is refused, naming `port`.
    private func checkPortIsFree(_ port: Int?, exceptProjectID: Int64?) async throws {
        guard let port, try await projects.isFixedPortTaken(port, exceptProjectID: exceptProjectID) else { return }
        throw SlipwayError.invalid(
            .name("port"), "\(port) is already the fixed port of another project on this server; choose another or leave it unset")
    }
}
