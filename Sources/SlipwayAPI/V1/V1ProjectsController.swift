import Hummingbird
import SlipwayCore

/// `POST/GET /api/v1/projects`, `GET/PATCH/DELETE /api/v1/projects/{id}` (`{id}` is the integer id or the name),
/// and the project's deployments and rollback candidates.
struct V1ProjectsController {
    /// Projects of the workspace.
    let projects: any ProjectRepository
    /// Creating, changing and deleting projects under the install's rules.
    let projectSettings: ProjectService
    /// Deployment records.
    let deployments: any DeploymentRepository
    /// Deploy, rerun, roll back, promote.
    let deploymentService: DeploymentService
    /// What the edge routes to.
    let routes: RouteTable
    /// The public URLs of projects and deployments.
    let urls: PublicURLs
    /// The service supervisor.
    let runtime: (any ServiceRuntime)?
    /// The record of service restarts.
    let serviceRestarts: (any ServiceRestartRepository)?
    /// Projects and deployments by the references of the native API's paths.
    let lookup: V1Lookup

    func addRoutes(to group: RouterGroup<SlipwayRequestContext>) {
        group.post(use: create)
        group.get(use: list)
        group.get(":project", use: show)
        group.patch(":project", use: update)
        group.delete(":project", use: delete)
        group.get(":project/deployments", use: deployments)
        group.get(":project/rollback-candidates", use: rollbackCandidates)
    }

    /// The settable fields, every one optional (PATCH sends only what changes).
    struct SettingsBody: Decodable {
        var name: String?
        var repository: String?
        var productionBranch: String?
        var kind: String?
        var rootDir: String?
        var buildCommand: String?
        var outputDir: String?
        var source: SourceBody?
        var webhookSecret: String?
        var startCommand: String?
        var port: Int?
        /// `"port": null` asks for an assigned port again.
        var portIsNull = false
        var healthCheckPath: String?
        var healthCheckTimeout: Double?
        var healthCheckInterval: Double?
        var drainTimeout: Double?
        var standbyWindow: Double?
        var buildType: String?
        var dockerfilePath: String?
        var dockerContext: String?
        var buildArgs: [String]?
        var composePath: String?
        var exposeService: String?
        var exposePort: Int?
        /// `"expose_port": null` unsets it.
        var exposePortIsNull = false

        enum CodingKeys: String, CodingKey {
            case name, repository, kind, source, port
            case productionBranch = "production_branch", rootDir = "root_dir", buildCommand = "build_command", outputDir = "output_dir"
            case webhookSecret = "webhook_secret", startCommand = "start_command", healthCheckPath = "health_check_path"
            case healthCheckTimeout = "health_check_timeout", healthCheckInterval = "health_check_interval", drainTimeout = "drain_timeout"
            case standbyWindow = "standby_window"
            case buildType = "build_type", dockerfilePath = "dockerfile_path", dockerContext = "docker_context", buildArgs = "build_args"
            case composePath = "compose_path", exposeService = "expose_service", exposePort = "expose_port"
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decodeIfPresent(String.self, forKey: .name)
            repository = try container.decodeIfPresent(String.self, forKey: .repository)
            productionBranch = try container.decodeIfPresent(String.self, forKey: .productionBranch)
            kind = try container.decodeIfPresent(String.self, forKey: .kind)
            rootDir = try container.decodeIfPresent(String.self, forKey: .rootDir)
            buildCommand = try container.decodeIfPresent(String.self, forKey: .buildCommand)
            outputDir = try container.decodeIfPresent(String.self, forKey: .outputDir)
            source = try container.decodeIfPresent(SourceBody.self, forKey: .source)
            webhookSecret = try container.decodeIfPresent(String.self, forKey: .webhookSecret)
            startCommand = try container.decodeIfPresent(String.self, forKey: .startCommand)
            port = try container.decodeIfPresent(Int.self, forKey: .port)
            portIsNull = try container.contains(.port) && container.decodeNil(forKey: .port)
            healthCheckPath = try container.decodeIfPresent(String.self, forKey: .healthCheckPath)
            healthCheckTimeout = try container.decodeIfPresent(Double.self, forKey: .healthCheckTimeout)
            healthCheckInterval = try container.decodeIfPresent(Double.self, forKey: .healthCheckInterval)
            drainTimeout = try container.decodeIfPresent(Double.self, forKey: .drainTimeout)
            standbyWindow = try container.decodeIfPresent(Double.self, forKey: .standbyWindow)
            buildType = try container.decodeIfPresent(String.self, forKey: .buildType)
            dockerfilePath = try container.decodeIfPresent(String.self, forKey: .dockerfilePath)
            dockerContext = try container.decodeIfPresent(String.self, forKey: .dockerContext)
            buildArgs = try container.decodeIfPresent([String].self, forKey: .buildArgs)
            composePath = try container.decodeIfPresent(String.self, forKey: .composePath)
            exposeService = try container.decodeIfPresent(String.self, forKey: .exposeService)
            exposePort = try container.decodeIfPresent(Int.self, forKey: .exposePort)
            exposePortIsNull = try container.contains(.exposePort) && container.decodeNil(forKey: .exposePort)
        }

        func settings() throws -> ProjectSettings {
            var kind: ProjectKind?
            if let text = self.kind {
                guard let parsed = ProjectKind(rawValue: text) else {
                    throw SlipwayError.invalid("kind", "must be 'static' or 'service', got '\(text)'")
                }
                kind = parsed
            }
            var buildType: BuildType?
            if let text = self.buildType {
                guard let parsed = BuildType(rawValue: text) else {
                    throw SlipwayError.invalid("build_type", "must be 'command', 'dockerfile' or 'compose', got '\(text.prefix(80))'")
                }
                buildType = parsed
            }
            return ProjectSettings(
                name: name, repository: repository, productionBranch: productionBranch, kind: kind, rootDir: rootDir,
                buildCommand: buildCommand, outputDir: outputDir, source: source?.settings, webhookSecret: webhookSecret,
                service: ServiceSettings(
                    startCommand: startCommand, port: port, clearPort: portIsNull, healthCheckPath: healthCheckPath,
                    healthCheckTimeout: healthCheckTimeout, healthCheckInterval: healthCheckInterval, drainTimeout: drainTimeout,
                    standbyWindow: standbyWindow
                ),
                build: BuildTypeSettings(
                    type: buildType, dockerfilePath: dockerfilePath, dockerContext: dockerContext, buildArgs: buildArgs,
                    composePath: composePath, exposeService: exposeService, exposePort: exposePort, clearExposePort: exposePortIsNull
                )
            )
        }
    }

    @Sendable func create(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.admin)
        let settings = try await JSONBody.decode(SettingsBody.self, from: request).settings()
        let project = try await projectSettings.create(settings, workspaceID: identity.workspace.id)
        context.audit.target(id: String(project.id), name: project.name)
        return try JSONBody.response(V1Project(project: project, urls: urls, showsSecret: true), status: .created)
    }

    @Sendable func list(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.read)
        let page = try Page(
            number: request.integerQuery("page", default: 1, range: 1...1_000_000),
            size: request.integerQuery("per_page", default: 15, range: 1...100))
        let (shown, total) = try await projects.projects(workspaceID: identity.workspace.id, page: page)
        return try JSONBody.response(V1Page(data: shown.map { V1Project(project: $0, urls: urls) }, page: page, total: total))
    }

    @Sendable func show(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.read)
        let project = try await resolveProject(context.parameters.get("project"), identity)
        var shown = V1Project(project: project, urls: urls, showsSecret: identity.grants(.admin))
        if project.kind == .service, let runtime = runtime {
            shown.services = V1ServiceProcesses(
                processes: runtime.statuses(projectID: project.id),
                restarts: try await serviceRestarts?.recentRestarts(projectID: project.id, limit: 20) ?? [],
                restartCounts: try await serviceRestarts?.restartCounts(projectID: project.id) ?? [:]
            )
        }
        return try JSONBody.response(shown)
    }

    @Sendable func update(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.admin)
        let project = try await resolveProject(context.parameters.get("project"), identity)
        let settings = try await JSONBody.decode(SettingsBody.self, from: request).settings()
        context.audit.target(id: String(project.id), name: project.name)
        let updated = try await projectSettings.update(project, with: settings)
        return try JSONBody.response(V1Project(project: updated, urls: urls, showsSecret: true))
    }

    @Sendable func delete(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.admin)
        let project = try await resolveProject(context.parameters.get("project"), identity)
        context.audit.target(id: String(project.id), name: project.name)
        try await projectSettings.delete(project)
        return try JSONBody.response(V1ActionResult(message: "Project deleted."))
    }

    @Sendable func deployments(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.read)
        let project = try await resolveProject(context.parameters.get("project"), identity)
        let page = try Page(
            number: request.integerQuery("page", default: 1, range: 1...1_000_000),
            size: request.integerQuery("per_page", default: 15, range: 1...100))
        let (shown, total) = try await deployments.deployments(projectID: project.id, page: page)
        let items = shown.map { V1Deployment(deployment: $0, project: project, urls: urls, routes: routes) }
        return try JSONBody.response(V1Page(data: items, page: page, total: total))
    }

    /// Seed 000: a bare array of `{id, commit_id, git_branch, description, created_at}`, newest first.
    struct Candidate: Encodable {
        var id: Int64
        var commitID: String?
        var gitBranch: String
        var description: String
        var createdAt: String

        enum CodingKeys: String, CodingKey {
            case id, description
            case commitID = "commit_id", gitBranch = "git_branch", createdAt = "created_at"
        }
    }

    @Sendable func rollbackCandidates(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.read)
        let project = try await resolveProject(context.parameters.get("project"), identity)
        let candidates = try await deploymentService.rollbackCandidates(projectID: project.id, by: identity)
        return try JSONBody.response(
            candidates.map {
                Candidate(
                    id: $0.id, commitID: $0.commitID, gitBranch: $0.gitBranch, description: $0.description, createdAt: Timestamp.format($0.createdAt))
            }
        )
    }

    private func resolveProject(_ reference: String?, _ identity: Identity) async throws -> Project {
        try await lookup.project(reference, identity)
    }
}

/// Finds what a path parameter names, inside the caller's workspace only (anything else is 404).
struct V1Lookup {
    /// Projects of the workspace.
    let projects: any ProjectRepository
    /// Deployment records.
    let deployments: any DeploymentRepository

    /// A project by integer id or by name.
    func project(_ reference: String?, _ identity: Identity) async throws -> Project {
        let reference = reference ?? ""
        let found: Project?
        if let id = Int64(reference) {
            found = try await projects.project(id: id, workspaceID: identity.workspace.id)
        } else {
            found = try await projects.project(name: reference, workspaceID: identity.workspace.id)
        }
        guard let found else { throw SlipwayError.notFound("project '\(reference)' not found") }
        return found
    }

    /// A deployment by integer id, with its project.
    func deployment(_ reference: String?, _ identity: Identity) async throws -> (Deployment, Project) {
        let reference = reference ?? ""
        guard let id = Int64(reference), let deployment = try await deployments.deployment(id: id, workspaceID: identity.workspace.id),
            let project = try await projects.project(id: deployment.projectID, workspaceID: identity.workspace.id)
        else { throw SlipwayError.notFound("deployment '\(reference)' not found") }
        return (deployment, project)
    }
}
