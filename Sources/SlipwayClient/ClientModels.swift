import Foundation

/// The native API's JSON, as the client reads it (snake_case keys are converted).

/// A deployment.
public struct DeploymentInfo: Decodable, Sendable, Equatable {
    public var id: Int64
    public var uid: String
    public var projectId: Int64
    public var status: Int
    public var state: String
    public var environment: String
    public var trigger: String
    public var gitBranch: String
    public var commitId: String?
    public var commitMessage: String?
    public var description: String
    public var sequenceNumber: Int64
    public var shortId: String
    public var url: String
    public var aliases: [String]
    public var stages: [StageInfo]
    public var buildId: String?
    public var isActive: Bool
    public var error: String?
    public var rerunOf: Int64?
    public var rollbackOf: Int64?
    public var duration: Int
    public var createdAt: String
    public var output: OutputInfo?

    /// Whether it has ended (success, failed, canceled or skipped).
    public var isFinished: Bool { !["queued", "running"].contains(state) }
}

/// One stage of a deployment.
public struct StageInfo: Decodable, Sendable, Equatable {
    public var name: String
    public var status: String
    public var startedOn: String?
    public var endedOn: String?
}

/// The build output of a single deployment.
public struct OutputInfo: Decodable, Sendable, Equatable {
    public var processType: String
    public var clientPayload: [String]
    public var systemPayload: [String]
}

/// A project.
public struct ProjectInfo: Decodable, Sendable, Equatable {
    public var id: Int64
    public var uid: String
    public var name: String
    public var repository: String
    public var productionBranch: String
    public var kind: String
    public var rootDir: String
    public var buildCommand: String
    public var outputDir: String
    public var productionDeploymentId: Int64?
    public var url: String
    public var startCommand: String?
    public var port: Int?
    public var healthCheckPath: String?
    /// Seconds the replaced production version stays running as a warm standby (0: none).
    public var standbyWindow: Double?
    public var services: ServiceProcessesInfo?
    /// `command`, `dockerfile` or `compose` (nil from a server older than build types).
    public var buildType: String?
    public var dockerfilePath: String?
    public var dockerContext: String?
    public var buildArgs: [String]?
    public var composePath: String?
    public var exposeService: String?
    public var exposePort: Int?
}

/// The processes of a service project (`services` of `GET /api/v1/projects/{id}`).
public struct ServiceProcessesInfo: Decodable, Sendable, Equatable {
    public struct Process: Decodable, Sendable, Equatable {
        public var deploymentId: Int64
        public var port: Int
        public var state: String
        public var pid: Int32?
        public var startedAt: String
        public var restarts: Int
    }
    public struct Restart: Decodable, Sendable, Equatable {
        public var deploymentId: Int64
        public var restartedAt: String
        public var exit: String
    }
    public var processes: [Process]
    public var restarts: [Restart]
    public var restartCount: Int
}

/// A page of the native API.
public struct PageInfo<Item: Decodable & Sendable & Equatable>: Decodable, Sendable, Equatable {
    public var currentPage: Int
    public var data: [Item]
    public var perPage: Int
    public var totalItems: Int
    public var totalPages: Int
}

/// A rollback candidate.
public struct RollbackCandidate: Decodable, Sendable, Equatable {
    public var id: Int64
    public var commitId: String?
    public var gitBranch: String
    public var description: String
    public var createdAt: String
}

/// The answer to `POST /api/v1/deployments`.
public struct DeployResult: Decodable, Sendable, Equatable {
    public var message: String
    public var status: String
    public var deploymentIds: [Int64]
    public var deployments: [DeploymentInfo]
}

/// The answer to rerun and rollback.
public struct ActionResult: Decodable, Sendable, Equatable {
    public var status: String
    public var message: String
    public var deploymentId: Int64?
}

/// Lines of a deployment's log.
public struct LogPageInfo: Decodable, Sendable, Equatable {
    public struct Line: Decodable, Sendable, Equatable {
        public var line: String
        public var ts: String
        public var stream: String
        public var stage: String?
        public var offset: Int64
    }
    public var data: [Line]
    public var total: Int
    public var nextOffset: Int64
    public var state: String
}

/// The caller, as `GET /api/v1/me` shows it.
public struct MeInfo: Decodable, Sendable, Equatable {
    public struct User: Decodable, Sendable, Equatable {
        public var id: Int64
        public var name: String
        public var login: String
        public var isInstallAdmin: Bool
    }
    /// A workspace with the caller's role there (nil in an install administrator's list where they are no member).
    public struct Workspace: Decodable, Sendable, Equatable {
        public var id: Int64
        public var uid: String
        public var name: String
        public var cloudflareAccountId: String
        public var createdAt: String
        public var role: String?
    }
    /// The API token the request came with, if it was one.
    public struct Token: Decodable, Sendable, Equatable {
        public var id: Int64
        public var name: String
        public var scopes: [String]
    }
    /// The session the request came with, if it was one.
    public struct Session: Decodable, Sendable, Equatable {
        public var id: Int64
        public var expiresAt: String
    }
    public var user: User
    /// The workspace the request acts in; nil for a user who belongs to none yet.
    public var workspace: Workspace?
    /// The caller's role in `workspace`.
    public var role: String?
    public var token: Token?
    public var session: Session?
    /// The effective scopes in `workspace`.
    public var scopes: [String]
    /// Every workspace of the caller's, with their role in each.
    public var workspaces: [Workspace]
}

/// What `createProject` sends.
public struct NewProjectRequest: Encodable, Sendable {
    public var name: String
    public var repository: String
    public var productionBranch: String?
    public var kind: String?
    public var rootDir: String?
    public var buildCommand: String?
    public var outputDir: String?
    public var startCommand: String?
    public var port: Int?
    public var healthCheckPath: String?
    public var healthCheckTimeout: Double?
    public var healthCheckInterval: Double?
    public var drainTimeout: Double?
    public var standbyWindow: Double?
    /// The build type and its settings (docs/api-v1.md "Build types").
    public var buildType: String?
    public var dockerfilePath: String?
    public var dockerContext: String?
    public var buildArgs: [String]?
    public var composePath: String?
    public var exposeService: String?
    public var exposePort: Int?

    public init(
        name: String, repository: String, productionBranch: String? = nil, kind: String? = nil, rootDir: String? = nil,
        buildCommand: String? = nil, outputDir: String? = nil, startCommand: String? = nil, port: Int? = nil,
        healthCheckPath: String? = nil, healthCheckTimeout: Double? = nil, healthCheckInterval: Double? = nil, drainTimeout: Double? = nil,
        standbyWindow: Double? = nil, build: BuildTypeRequest = BuildTypeRequest()
    ) {
        self.standbyWindow = standbyWindow
        self.buildType = build.buildType
        self.dockerfilePath = build.dockerfilePath
        self.dockerContext = build.dockerContext
        self.buildArgs = build.buildArgs
        self.composePath = build.composePath
        self.exposeService = build.exposeService
        self.exposePort = build.exposePort
        self.startCommand = startCommand
        self.port = port
        self.healthCheckPath = healthCheckPath
        self.healthCheckTimeout = healthCheckTimeout
        self.healthCheckInterval = healthCheckInterval
        self.drainTimeout = drainTimeout
        self.name = name
        self.repository = repository
        self.productionBranch = productionBranch
        self.kind = kind
        self.rootDir = rootDir
        self.buildCommand = buildCommand
        self.outputDir = outputDir
    }
}

/// The build type fields of a project creation or update; nil fields are not sent.
public struct BuildTypeRequest: Encodable, Sendable, Equatable {
    public var buildType: String?
    public var dockerfilePath: String?
    public var dockerContext: String?
    public var buildArgs: [String]?
    public var composePath: String?
    public var exposeService: String?
    public var exposePort: Int?

    public init(
        buildType: String? = nil, dockerfilePath: String? = nil, dockerContext: String? = nil, buildArgs: [String]? = nil,
        composePath: String? = nil, exposeService: String? = nil, exposePort: Int? = nil
    ) {
        self.buildType = buildType
        self.dockerfilePath = dockerfilePath
        self.dockerContext = dockerContext
        self.buildArgs = buildArgs
        self.composePath = composePath
        self.exposeService = exposeService
        self.exposePort = exposePort
    }
}

/// What `updateProject` sends (`PATCH`): only the fields given change.
public struct ProjectUpdateRequest: Encodable, Sendable {
    public var name: String?
    public var repository: String?
    public var productionBranch: String?
    public var kind: String?
    public var rootDir: String?
    public var buildCommand: String?
    public var outputDir: String?
    public var startCommand: String?
    public var healthCheckPath: String?
    public var standbyWindow: Double?
    public var build: BuildTypeRequest

    public init(
        name: String? = nil, repository: String? = nil, productionBranch: String? = nil, kind: String? = nil, rootDir: String? = nil,
        buildCommand: String? = nil, outputDir: String? = nil, startCommand: String? = nil, healthCheckPath: String? = nil,
        standbyWindow: Double? = nil, build: BuildTypeRequest = BuildTypeRequest()
    ) {
        self.standbyWindow = standbyWindow
        self.name = name
        self.repository = repository
        self.productionBranch = productionBranch
        self.kind = kind
        self.rootDir = rootDir
        self.buildCommand = buildCommand
        self.outputDir = outputDir
        self.startCommand = startCommand
        self.healthCheckPath = healthCheckPath
        self.build = build
    }

    enum CodingKeys: String, CodingKey {
        case name, repository, productionBranch, kind, rootDir, buildCommand, outputDir, startCommand, healthCheckPath, standbyWindow
    }

    /// The fields given, flat (the build type fields beside the others, as the API takes them).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(name, forKey: .name)
        try container.encodeIfPresent(repository, forKey: .repository)
        try container.encodeIfPresent(productionBranch, forKey: .productionBranch)
        try container.encodeIfPresent(kind, forKey: .kind)
        try container.encodeIfPresent(rootDir, forKey: .rootDir)
        try container.encodeIfPresent(buildCommand, forKey: .buildCommand)
        try container.encodeIfPresent(outputDir, forKey: .outputDir)
        try container.encodeIfPresent(startCommand, forKey: .startCommand)
        try container.encodeIfPresent(healthCheckPath, forKey: .healthCheckPath)
        try container.encodeIfPresent(standbyWindow, forKey: .standbyWindow)
        try build.encode(to: encoder)
    }

    /// Whether nothing would change.
    public var isEmpty: Bool {
        [name, repository, productionBranch, kind, rootDir, buildCommand, outputDir, startCommand, healthCheckPath].allSatisfy { $0 == nil }
            && standbyWindow == nil && build == BuildTypeRequest()
    }
}

/// The answer to cancel and kill: the deployment once it has ended.
public struct StopResult: Decodable, Sendable, Equatable {
    public var status: String
    public var message: String
    public var deployment: DeploymentInfo
}

/// The deployment queue of the workspace.
public struct QueueInfo: Decodable, Sendable, Equatable {
    public struct Entry: Decodable, Sendable, Equatable {
        public var deploymentId: Int64
        public var projectId: Int64
        public var projectName: String
        public var state: String
        public var position: Int?
        public var gitBranch: String
        public var trigger: String
        public var queuedAt: String
        public var startedAt: String?
        public var activeStage: String?
        /// Why a waiting deployment has not started: `project busy`, `workspace limit` or `no free worker`.
        public var waitingReason: String?
    }
    public var data: [Entry]
    public var active: Int
    public var waiting: Int
}

/// An API token; `token` (the secret) only right after creation.
public struct TokenInfo: Decodable, Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var scopes: [String]
    public var createdAt: String
    public var lastUsedAt: String?
    /// When the token stops working; nil: never.
    public var expiresAt: String?
    public var token: String?
}
