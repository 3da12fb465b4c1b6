import Foundation

/// How a project's build runs (DESIGN.md §13, docs/api-v1.md "Build types").
public enum BuildType: String, Sendable, Codable, CaseIterable {
    /// The build command as a sandboxed `sh -c`; its output directory is the build. Every project made before build
    /// types is one.
    case command
    /// An image built from a Dockerfile is the build.
    case dockerfile
    /// A compose file's images and services are the build.
    case compose

    /// Whether the build needs a container engine.
    public var needsContainerEngine: Bool { self != .command }
}

/// The build type of a project with the settings of each type. Like `ServiceConfig`, every field is kept whatever the
/// type: a `command` project carries the defaults of the others and ignores them, and switching the type back and
/// forth loses nothing. Paths are relative to the project's `root_dir`.
public struct BuildTypeConfig: Sendable, Equatable, Codable {
    /// Which build runs.
    public var type: BuildType
    /// `dockerfile`: the Dockerfile, relative to `root_dir`.
    public var dockerfilePath: String
    /// `dockerfile`: the build context, relative to `root_dir`; `.` is `root_dir` itself.
    public var dockerContext: String
    /// `dockerfile`: the names of the deployment's environment variables passed to the image build as build
    /// arguments (`--build-arg NAME`), in this order. A name the environment does not set is left out.
    public var buildArgs: [String]
    /// `compose`: the compose file, relative to `root_dir`.
    public var composePath: String
    /// `compose`: the compose service the edge routes to; empty until set.
    public var exposeService: String
    /// `compose`: the port `exposeService` listens on.
    public var exposePort: Int?

    public static let defaultDockerfilePath = "Dockerfile"
    public static let defaultDockerContext = "."
    public static let defaultComposePath = "docker-compose.yml"

    public init(
        type: BuildType = .command, dockerfilePath: String = Self.defaultDockerfilePath, dockerContext: String = Self.defaultDockerContext,
        buildArgs: [String] = [], composePath: String = Self.defaultComposePath, exposeService: String = "", exposePort: Int? = nil
    ) {
        self.type = type
        self.dockerfilePath = dockerfilePath
        self.dockerContext = dockerContext
        self.buildArgs = buildArgs
        self.composePath = composePath
        self.exposeService = exposeService
        self.exposePort = exposePort
    }

    enum CodingKeys: String, CodingKey {
        case type
        case dockerfilePath = "dockerfile_path"
        case dockerContext = "docker_context"
        case buildArgs = "build_args"
        case composePath = "compose_path"
        case exposeService = "expose_service"
        case exposePort = "expose_port"
    }

    /// Reads a stored config; fields missing from it take their defaults.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = BuildTypeConfig()
        type = try container.decodeIfPresent(BuildType.self, forKey: .type) ?? defaults.type
        dockerfilePath = try container.decodeIfPresent(String.self, forKey: .dockerfilePath) ?? defaults.dockerfilePath
        dockerContext = try container.decodeIfPresent(String.self, forKey: .dockerContext) ?? defaults.dockerContext
        buildArgs = try container.decodeIfPresent([String].self, forKey: .buildArgs) ?? defaults.buildArgs
        composePath = try container.decodeIfPresent(String.self, forKey: .composePath) ?? defaults.composePath
        exposeService = try container.decodeIfPresent(String.self, forKey: .exposeService) ?? defaults.exposeService
        exposePort = try container.decodeIfPresent(Int.self, forKey: .exposePort)
    }

    /// One line for the deployment log: the type and the settings it uses.
    public var summary: String {
        switch type {
        case .command:
            return "command"
        case .dockerfile:
            let arguments = buildArgs.isEmpty ? "none" : buildArgs.joined(separator: ", ")
            return "dockerfile (dockerfile_path '\(dockerfilePath)', docker_context '\(dockerContext)', build_args: \(arguments))"
        case .compose:
            let port = exposePort.map(String.init) ?? "unset"
            return "compose (compose_path '\(composePath)', expose_service '\(exposeService)', expose_port \(port))"
        }
    }
}

/// The build type fields of a project creation or update; `nil` means "not given". `expose_port` may be set to
/// "none again" with `clearExposePort`.
public struct BuildTypeSettings: Sendable, Equatable {
    public var type: BuildType?
    public var dockerfilePath: String?
    public var dockerContext: String?
    public var buildArgs: [String]?
    public var composePath: String?
    public var exposeService: String?
    public var exposePort: Int?
    public var clearExposePort: Bool

    public init(
        type: BuildType? = nil, dockerfilePath: String? = nil, dockerContext: String? = nil, buildArgs: [String]? = nil,
        composePath: String? = nil, exposeService: String? = nil, exposePort: Int? = nil, clearExposePort: Bool = false
    ) {
        self.type = type
        self.dockerfilePath = dockerfilePath
        self.dockerContext = dockerContext
        self.buildArgs = buildArgs
        self.composePath = composePath
        self.exposeService = exposeService
        self.exposePort = exposePort
        self.clearExposePort = clearExposePort
    }

    /// `config` with these settings applied; paths are normalized (`./a//b/` is `a/b`, an empty context is `.`).
    public func applied(to config: BuildTypeConfig) -> BuildTypeConfig {
        var config = config
        if let type { config.type = type }
        if let dockerfilePath { config.dockerfilePath = BuildTypeRules.normalizedPath(dockerfilePath) }
        if let dockerContext { config.dockerContext = BuildTypeRules.normalizedPath(dockerContext, empty: BuildTypeConfig.defaultDockerContext) }
        if let buildArgs { config.buildArgs = buildArgs }
        if let composePath { config.composePath = BuildTypeRules.normalizedPath(composePath) }
        if let exposeService { config.exposeService = exposeService }
        if clearExposePort { config.exposePort = nil }
        if let exposePort { config.exposePort = exposePort }
        return config
    }
}
