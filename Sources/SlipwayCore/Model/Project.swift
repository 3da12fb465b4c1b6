public import Foundation

/// Whether a project is published as files by the edge or run as a process behind it.
public enum ProjectKind: String, Sendable, Codable, CaseIterable {
    case `static`
    case service
}

/// One app: a git source, a production branch and how to build it.
public struct Project: Sendable, Equatable {
    public var id: Int64
    public var uid: UUID
    public var workspaceID: Int64
    public var name: String
    public var repository: String
    public var productionBranch: String
    public var kind: ProjectKind
    public var rootDir: String
    public var buildCommand: String
    public var outputDir: String
    public var serverID: Int64
    /// The deployment the production URL serves, if any.
    public var productionDeploymentID: Int64?
    public var createdAt: Date
    public var updatedAt: Date
    /// The source rules: which pushes deploy (DESIGN.md §10 `source`).
    public var source: SourceConfig
    /// The shared secret that signs git webhooks of this project.
    public var webhookSecret: String
    /// Set by a rollback: production stays where it is until a promote or an unpin (see `GitSourceRules.takesProduction`).
    public var productionPinned: Bool
    /// How a `service` runs: start command, port, health check, drain.
    public var service: ServiceConfig
    /// How the build runs: a command, a Dockerfile or a compose file.
    public var build: BuildTypeConfig

    public init(
        id: Int64, uid: UUID, workspaceID: Int64, name: String, repository: String, productionBranch: String,
        kind: ProjectKind, rootDir: String, buildCommand: String, outputDir: String, serverID: Int64,
        productionDeploymentID: Int64?, createdAt: Date, updatedAt: Date, source: SourceConfig = SourceConfig(),
        webhookSecret: String = "", productionPinned: Bool = false, service: ServiceConfig = ServiceConfig(),
        build: BuildTypeConfig = BuildTypeConfig()
    ) {
        self.id = id
        self.uid = uid
        self.workspaceID = workspaceID
        self.name = name
        self.repository = repository
        self.productionBranch = productionBranch
        self.kind = kind
        self.rootDir = rootDir
        self.buildCommand = buildCommand
        self.outputDir = outputDir
        self.serverID = serverID
        self.productionDeploymentID = productionDeploymentID
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.source = source
        self.webhookSecret = webhookSecret
        self.productionPinned = productionPinned
        self.service = service
        self.build = build
    }

    /// The build settings a deployment freezes when it is created.
    public var buildConfig: BuildConfig {
        BuildConfig(kind: kind, rootDir: rootDir, buildCommand: buildCommand, outputDir: outputDir, service: service, build: build)
    }
}

/// The settable fields of a project, as a creation or an update asks for them. `nil` means "not given".
public struct ProjectSettings: Sendable, Equatable {
    public var name: String?
    public var repository: String?
    public var productionBranch: String?
    public var kind: ProjectKind?
    public var rootDir: String?
    public var buildCommand: String?
    public var outputDir: String?
    /// Source rules; each field of it optional too.
    public var source: SourceSettings?
    public var webhookSecret: String?
    /// The service fields; each optional too.
    public var service: ServiceSettings
    /// The build type fields; each optional too.
    public var build: BuildTypeSettings

    public init(
        name: String? = nil, repository: String? = nil, productionBranch: String? = nil, kind: ProjectKind? = nil,
        rootDir: String? = nil, buildCommand: String? = nil, outputDir: String? = nil, source: SourceSettings? = nil,
        webhookSecret: String? = nil, service: ServiceSettings = ServiceSettings(), build: BuildTypeSettings = BuildTypeSettings()
    ) {
        self.name = name
        self.repository = repository
        self.productionBranch = productionBranch
        self.kind = kind
        self.rootDir = rootDir
        self.buildCommand = buildCommand
        self.outputDir = outputDir
        self.source = source
        self.webhookSecret = webhookSecret
        self.service = service
        self.build = build
    }
}

/// A validated new project, ready to be stored.
public struct NewProject: Sendable, Equatable {
    public var name: String
    public var repository: String
    public var productionBranch: String
    public var kind: ProjectKind
    public var rootDir: String
    public var buildCommand: String
    public var outputDir: String
    public var source: SourceConfig
    /// Generated at creation when not given (`SourceValidation.generateWebhookSecret`).
    public var webhookSecret: String
    public var service: ServiceConfig
    public var build: BuildTypeConfig

    public init(
        name: String, repository: String, productionBranch: String = "main", kind: ProjectKind = .static,
        rootDir: String = "", buildCommand: String = "", outputDir: String = ".", source: SourceConfig = SourceConfig(),
        webhookSecret: String = SourceValidation.generateWebhookSecret(), service: ServiceConfig = ServiceConfig(),
        build: BuildTypeConfig = BuildTypeConfig()
    ) {
        self.name = name
        self.repository = repository
        self.productionBranch = productionBranch
        self.kind = kind
        self.rootDir = rootDir
        self.buildCommand = buildCommand
        self.outputDir = outputDir
        self.source = source
        self.webhookSecret = webhookSecret
        self.service = service
        self.build = build
    }
}

/// The build settings frozen into a deployment at creation: a rollback reuses its target's snapshot.
public struct BuildConfig: Sendable, Equatable, Codable {
    public var kind: ProjectKind
    public var rootDir: String
    public var buildCommand: String
    public var outputDir: String
    /// How the build runs when it is a service.
    public var service: ServiceConfig
    /// The build type and its settings: what the build stage runs.
    public var build: BuildTypeConfig

    public init(
        kind: ProjectKind, rootDir: String, buildCommand: String, outputDir: String, service: ServiceConfig = ServiceConfig(),
        build: BuildTypeConfig = BuildTypeConfig()
    ) {
        self.kind = kind
        self.rootDir = rootDir
        self.buildCommand = buildCommand
        self.outputDir = outputDir
        self.service = service
        self.build = build
    }

    enum CodingKeys: String, CodingKey {
        case kind
        case rootDir = "root_dir"
        case buildCommand = "build_command"
        case outputDir = "output_dir"
        case service
        case build
    }

    /// Reads a stored snapshot; snapshots from before services have the default service config, and those from
    /// before build types build with a command.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        kind = try container.decode(ProjectKind.self, forKey: .kind)
        rootDir = try container.decode(String.self, forKey: .rootDir)
        buildCommand = try container.decode(String.self, forKey: .buildCommand)
        outputDir = try container.decode(String.self, forKey: .outputDir)
        service = try container.decodeIfPresent(ServiceConfig.self, forKey: .service) ?? ServiceConfig()
        build = try container.decodeIfPresent(BuildTypeConfig.self, forKey: .build) ?? BuildTypeConfig()
    }
}
