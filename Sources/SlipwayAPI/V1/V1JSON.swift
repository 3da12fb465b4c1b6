import Foundation
import SlipwayCore

/// The JSON shapes of the native API (seed 000 and DESIGN.md §8), snake_case, nulls written out.

/// A deployment as `GET /api/v1/projects/{id}/deployments` and `GET /api/v1/deployments/{id}` show it.
struct V1Deployment: Encodable {
    var deployment: Deployment
    var project: Project
    var urls: PublicURLs
    var routes: RouteTable
    /// Set on the single-deployment answer only.
    var output: V1DeploymentOutput?

    enum Key: String, CodingKey {
        case id, uid
        case tenantID = "tenant_id", projectID = "project_id", serverID = "server_id", initiatedBy = "initiated_by"
        case gitBranch = "git_branch", commitID = "commit_id", commitURL = "commit_url", commitMessage = "commit_message"
        case commitAuthor = "commit_author", description, status, duration
        case createdAt = "created_at", updatedAt = "updated_at"
        case state, environment, trigger, sequenceNumber = "sequence_number", shortID = "short_id", url, aliases
        case stages, buildID = "build_id", isActive = "is_active", error, reason
        case rerunOf = "rerun_of", rollbackOf = "rollback_of", startedAt = "started_at", completedAt = "completed_at"
        case output
        case sourceEventID = "source_event_id", skipReason = "skip_reason", commitDirty = "commit_dirty"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(deployment.id, forKey: .id)
        try container.encode(deployment.workspaceID, forKey: .tenantID)
        try container.encode(deployment.projectID, forKey: .projectID)
        try container.encode(deployment.initiatedBy, forKey: .initiatedBy)
        try container.encode(deployment.gitBranch, forKey: .gitBranch)
        try container.encode(deployment.commitID, forKey: .commitID)
        try container.encode(deployment.commitURL ?? CommitURL.make(repository: project.repository, commit: deployment.commitID), forKey: .commitURL)
        try container.encode(deployment.description, forKey: .description)
        try container.encode(deployment.state.nativeStatus, forKey: .status)
        try container.encode(deployment.duration(), forKey: .duration)
        try container.encode(Timestamp.format(deployment.createdAt), forKey: .createdAt)
        try container.encode(Timestamp.format(deployment.updatedAt), forKey: .updatedAt)
        try container.encode(deployment.uid.lowercased, forKey: .uid)
        try container.encode(deployment.state, forKey: .state)
        try container.encode(deployment.environment, forKey: .environment)
        try container.encode(deployment.trigger, forKey: .trigger)
        try container.encode(deployment.sequenceNumber, forKey: .sequenceNumber)
        try container.encode(deployment.shortID, forKey: .shortID)
        let ownKey = RouteKey.deployment(shortID: deployment.shortID, project: project.name)
        try container.encode(urls.url(for: ownKey), forKey: .url)
        // The production URL first, then branch aliases, then the custom domains that serve it.
        let productionKey = RouteKey.production(project: project.name)
        let aliases = routes.keys(pointingAt: deployment.id).filter { $0 != ownKey }
            .sorted { ($0 == productionKey ? 0 : 1, $0) < ($1 == productionKey ? 0 : 1, $1) }.map { urls.url(for: $0) }
        try container.encode(aliases + routes.customDomains(pointingAt: deployment.id).map(urls.url(forHost:)), forKey: .aliases)
        try container.encode(deployment.stages.map(V1Stage.init), forKey: .stages)
        try container.encode(deployment.buildID?.lowercased, forKey: .buildID)
        try container.encode(project.productionDeploymentID == deployment.id, forKey: .isActive)
        try container.encode(deployment.serverID, forKey: .serverID)
        try container.encode(deployment.commitMessage, forKey: .commitMessage)
        try container.encode(deployment.commitAuthor, forKey: .commitAuthor)
        try container.encode(deployment.error, forKey: .error)
        try container.encode(deployment.progress.reason, forKey: .reason)
        try container.encode(deployment.rerunOf, forKey: .rerunOf)
        try container.encode(deployment.rollbackOf, forKey: .rollbackOf)
        try container.encode(deployment.startedAt.map(Timestamp.format), forKey: .startedAt)
        try container.encode(deployment.completedAt.map(Timestamp.format), forKey: .completedAt)
        try container.encode(deployment.sourceEventID, forKey: .sourceEventID)
        try container.encode(deployment.state == .skipped ? deployment.progress.reason : nil, forKey: .skipReason)
        try container.encode(false, forKey: .commitDirty)
        if let output { try container.encode(output, forKey: .output) }
    }
}

/// One stage: `{name, status, started_on, ended_on}`.
struct V1Stage: Encodable {
    var name: String
    var status: String
    var startedOn: String?
    var endedOn: String?

    init(_ stage: DeploymentStage) {
        name = stage.name.rawValue
        status = stage.status.rawValue
        startedOn = stage.startedOn.map(Timestamp.format)
        endedOn = stage.endedOn.map(Timestamp.format)
    }

    enum CodingKeys: String, CodingKey {
        case name, status
        case startedOn = "started_on"
        case endedOn = "ended_on"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(status, forKey: .status)
        try container.encode(startedOn, forKey: .startedOn)
        try container.encode(endedOn, forKey: .endedOn)
    }
}

/// The build log inside a single deployment: the build's own lines and Slipway's.
struct V1DeploymentOutput: Encodable {
    var processType = "build"
    var clientPayload: [String]
    var systemPayload: [String]
    var truncated: Bool

    enum CodingKeys: String, CodingKey {
        case processType = "process_type"
        case clientPayload = "client_payload"
        case systemPayload = "system_payload"
        case truncated
    }
}

/// The page shape of seed 000: `current_page, data, per_page, total_items, total_pages`.
struct V1Page<Item: Encodable>: Encodable {
    var currentPage: Int
    var data: [Item]
    var perPage: Int
    var totalItems: Int
    var totalPages: Int

    init(data: [Item], page: Page, total: Int) {
        self.currentPage = page.number
        self.data = data
        self.perPage = page.size
        self.totalItems = total
        self.totalPages = page.pageCount(total: total)
    }

    enum CodingKeys: String, CodingKey {
        case currentPage = "current_page", data, perPage = "per_page", totalItems = "total_items", totalPages = "total_pages"
    }
}

/// `{"status": "success", "message": …}` plus what the action created.
struct V1ActionResult: Encodable {
    var status = "success"
    var message: String
    var deploymentID: Int64?

    enum CodingKeys: String, CodingKey {
        case status, message
        case deploymentID = "deployment_id"
    }
}

/// A project.
struct V1Project: Encodable {
    var project: Project
    var urls: PublicURLs
    /// Whether `webhook_secret` is shown (admin tokens only).
    var showsSecret = false
    /// A service project's processes and restarts (shown by `GET /api/v1/projects/{id}`).
    var services: V1ServiceProcesses?

    enum Key: String, CodingKey {
        case id, uid, name, repository, kind, url, port, services
        case startCommand = "start_command", healthCheckPath = "health_check_path", healthCheckTimeout = "health_check_timeout"
        case healthCheckInterval = "health_check_interval", drainTimeout = "drain_timeout", standbyWindow = "standby_window"
        case productionBranch = "production_branch", rootDir = "root_dir", buildCommand = "build_command"
        case outputDir = "output_dir", serverID = "server_id", productionDeploymentID = "production_deployment_id"
        case createdAt = "created_at", updatedAt = "updated_at"
        case source, webhookSecret = "webhook_secret", productionPinned = "production_pinned", gitURL = "git_url", webhookURL = "webhook_url"
        case buildType = "build_type", dockerfilePath = "dockerfile_path", dockerContext = "docker_context", buildArgs = "build_args"
        case composePath = "compose_path", exposeService = "expose_service", exposePort = "expose_port"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(project.source, forKey: .source)
        try container.encode(showsSecret ? project.webhookSecret : nil, forKey: .webhookSecret)
        try container.encode(project.productionPinned, forKey: .productionPinned)
        try container.encode(urls.api + "/git/\(project.name).git", forKey: .gitURL)
        try container.encode(urls.api + "/api/v1/hooks/git/\(project.uid.lowercased)", forKey: .webhookURL)
        try container.encode(project.id, forKey: .id)
        try container.encode(project.uid.lowercased, forKey: .uid)
        try container.encode(project.name, forKey: .name)
        try container.encode(project.repository, forKey: .repository)
        try container.encode(project.productionBranch, forKey: .productionBranch)
        try container.encode(project.kind, forKey: .kind)
        try container.encode(project.rootDir, forKey: .rootDir)
        try container.encode(project.buildCommand, forKey: .buildCommand)
        try container.encode(project.outputDir, forKey: .outputDir)
        try container.encode(project.build.type, forKey: .buildType)
        try container.encode(project.build.dockerfilePath, forKey: .dockerfilePath)
        try container.encode(project.build.dockerContext, forKey: .dockerContext)
        try container.encode(project.build.buildArgs, forKey: .buildArgs)
        try container.encode(project.build.composePath, forKey: .composePath)
        try container.encode(project.build.exposeService.isEmpty ? nil : project.build.exposeService, forKey: .exposeService)
        try container.encode(project.build.exposePort, forKey: .exposePort)
        try container.encode(project.service.startCommand, forKey: .startCommand)
        try container.encode(project.service.port, forKey: .port)
        try container.encode(project.service.healthCheckPath, forKey: .healthCheckPath)
        try container.encode(project.service.healthCheckTimeout, forKey: .healthCheckTimeout)
        try container.encode(project.service.healthCheckInterval, forKey: .healthCheckInterval)
        try container.encode(project.service.drainTimeout, forKey: .drainTimeout)
        try container.encode(project.service.standbyWindow, forKey: .standbyWindow)
        if let services { try container.encode(services, forKey: .services) }
        try container.encode(project.serverID, forKey: .serverID)
        try container.encode(project.productionDeploymentID, forKey: .productionDeploymentID)
        try container.encode(urls.url(for: RouteKey.production(project: project.name)), forKey: .url)
        try container.encode(Timestamp.format(project.createdAt), forKey: .createdAt)
        try container.encode(Timestamp.format(project.updatedAt), forKey: .updatedAt)
    }
}

/// An API token; `token` (the secret) only in the answer that created it.
struct V1Token: Encodable {
    var token: APIToken
    var secret: String?

    enum Key: String, CodingKey {
        case id, name, scopes, token
        case createdAt = "created_at", lastUsedAt = "last_used_at", expiresAt = "expires_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(token.id, forKey: .id)
        try container.encode(token.name, forKey: .name)
        try container.encode(token.scopes.sorted(), forKey: .scopes)
        try container.encode(Timestamp.format(token.createdAt), forKey: .createdAt)
        try container.encode(token.lastUsedAt.map(Timestamp.format), forKey: .lastUsedAt)
        try container.encode(token.expiresAt.map(Timestamp.format), forKey: .expiresAt)
        if let secret { try container.encode(secret, forKey: .token) }
    }
}

/// Links to a commit on the forges whose URL scheme is known.
enum CommitURL {
    static func make(repository: String, commit: String?) -> String? {
        guard let commit else { return nil }
        var base = repository
        if base.hasSuffix(".git") { base.removeLast(4) }
        if base.hasPrefix("git@"), let colon = base.firstIndex(of: ":") {
            base = "https://" + base[base.index(base.startIndex, offsetBy: 4)..<colon] + "/" + base[base.index(after: colon)...]
        }
        guard let url = URL(string: base), url.scheme == "https" || url.scheme == "http", let host = url.host else { return nil }
        if host == "github.com" || host.hasPrefix("gitea.") || host == "codeberg.org" { return "\(base)/commit/\(commit)" }
        if host == "gitlab.com" || host.hasPrefix("gitlab.") { return "\(base)/-/commit/\(commit)" }
        if host == "bitbucket.org" { return "\(base)/commits/\(commit)" }
        return nil
    }
}

/// The processes of a service project: what runs now, and the restarts the supervisor made.
struct V1ServiceProcesses: Encodable {
    var processes: [ServiceStatus]
    var restarts: [ServiceRestart]
    var restartCounts: [Int64: Int]

    enum Key: String, CodingKey {
        case processes, restarts
        case restartCount = "restart_count"
    }

    enum ProcessKey: String, CodingKey {
        case deploymentID = "deployment_id", port, state, pid, startedAt = "started_at", restarts
    }

    enum RestartKey: String, CodingKey {
        case deploymentID = "deployment_id", restartedAt = "restarted_at", exit
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        var processList = container.nestedUnkeyedContainer(forKey: .processes)
        for process in processes {
            var item = processList.nestedContainer(keyedBy: ProcessKey.self)
            try item.encode(process.deploymentID, forKey: .deploymentID)
            try item.encode(process.port, forKey: .port)
            try item.encode(process.state, forKey: .state)
            try item.encode(process.processID, forKey: .pid)
            try item.encode(Timestamp.format(process.startedAt), forKey: .startedAt)
            try item.encode(restartCounts[process.deploymentID] ?? 0, forKey: .restarts)
        }
        try container.encode(restartCounts.values.reduce(0, +), forKey: .restartCount)
        var restartList = container.nestedUnkeyedContainer(forKey: .restarts)
        for restart in restarts {
            var item = restartList.nestedContainer(keyedBy: RestartKey.self)
            try item.encode(restart.deploymentID, forKey: .deploymentID)
            try item.encode(Timestamp.format(restart.restartedAt), forKey: .restartedAt)
            try item.encode(restart.exitSummary, forKey: .exit)
        }
    }
}
