import Foundation

/// What a `compose` build made (docs/containers.md "Compose apps"): the services of the compose file, each with the
/// image it runs, in the order they start. The build stage writes it into the build's directory (`ComposeSet.fileName`),
/// so that a rollback, a promote or a restarted server starts the same set without the checkout or the compose file.
public struct ComposeSet: Sendable, Equatable, Codable {
    /// The services in the order they start: every service after the ones it depends on.
    public var services: [ComposeService]
    /// The named volumes of the file's top-level `volumes:`.
    public var volumes: [String]
    /// The service the edge routes to, and its port inside the set's network namespace.
    public var exposeService: String
    public var exposePort: Int
    /// The project's uid, lowercased: its volumes are named after it, so they outlive the set's deployments.
    public var project: String

    /// The file in a build's directory that holds the set.
    public static let fileName = "compose-set.json"

    public init(services: [ComposeService], volumes: [String], exposeService: String, exposePort: Int, project: String = "") {
        self.project = project
        self.services = services
        self.volumes = volumes
        self.exposeService = exposeService
        self.exposePort = exposePort
    }

    /// The engine volume of the named volume `volume`: `slipway-<project uid>-<volume>`, the same for every deployment of
    /// the project.
    public func engineVolumeName(_ volume: String) -> String { "slipway-\(project)-\(volume)" }

    /// The service called `name`.
    public func service(_ name: String) -> ComposeService? { services.first { $0.name == name } }
}

/// One service of a compose file.
public struct ComposeService: Sendable, Equatable, Codable {
    public var name: String
    /// `build:` relative to the checkout's `root_dir` (nil: the service runs `image`).
    public var build: ComposeBuild?
    /// The image it runs: `image:` as written, or, once built, the build's own tag.
    public var image: String
    /// `entrypoint:` in exec form (a string is split on spaces); nil: the image's.
    public var entrypoint: [String]?
    /// `command:` in exec form (a string runs as `sh -c`); nil: the image's.
    public var command: [String]?
    /// `env_file:` then `environment:` (later ones win), plain values.
    public var environment: [String: String]
    public var dependsOn: [ComposeDependency]
    public var healthcheck: ComposeHealthcheck?
    /// Named volumes mounted into the service.
    public var volumes: [ComposeVolumeMount]
    public var restart: ComposeRestart

    public init(
        name: String, build: ComposeBuild? = nil, image: String = "", entrypoint: [String]? = nil, command: [String]? = nil,
        environment: [String: String] = [:], dependsOn: [ComposeDependency] = [], healthcheck: ComposeHealthcheck? = nil,
        volumes: [ComposeVolumeMount] = [], restart: ComposeRestart = .no
    ) {
        self.name = name
        self.build = build
        self.image = image
        self.entrypoint = entrypoint
        self.command = command
        self.environment = environment
        self.dependsOn = dependsOn
        self.healthcheck = healthcheck
        self.volumes = volumes
        self.restart = restart
    }
}

/// `build:` of a service: the context directory and the Dockerfile, both relative to `root_dir` (normalized).
public struct ComposeBuild: Sendable, Equatable, Codable {
    public var context: String
    public var dockerfile: String

    public init(context: String, dockerfile: String) {
        self.context = context
        self.dockerfile = dockerfile
    }
}

/// One entry of `depends_on`.
public struct ComposeDependency: Sendable, Equatable, Codable {
    public enum Condition: String, Sendable, Codable {
        /// The dependency's container has started.
        case started = "service_started"
        /// The dependency's health check has passed.
        case healthy = "service_healthy"
    }

    public var service: String
    public var condition: Condition

    public init(service: String, condition: Condition = .started) {
        self.service = service
        self.condition = condition
    }
}

/// `healthcheck:` of a service: its test runs inside the container (`exec`).
public struct ComposeHealthcheck: Sendable, Equatable, Codable {
    /// The command in exec form (`CMD-SHELL` and a plain string become `sh -c`).
    public var test: [String]
    public var interval: Double
    public var timeout: Double
    public var retries: Int
    public var startPeriod: Double

    public init(test: [String], interval: Double = 30, timeout: Double = 30, retries: Int = 3, startPeriod: Double = 0) {
        self.test = test
        self.interval = interval
        self.timeout = timeout
        self.retries = retries
        self.startPeriod = startPeriod
    }
}

/// A named volume mounted into a service: `name:/path[:ro]`.
public struct ComposeVolumeMount: Sendable, Equatable, Codable {
    public var volume: String
    public var target: String
    public var readOnly: Bool

    public init(volume: String, target: String, readOnly: Bool = false) {
        self.volume = volume
        self.target = target
        self.readOnly = readOnly
    }
}

/// `restart:` of a service, as Slipway's supervision honours it (docs/containers.md "Compose apps").
public enum ComposeRestart: String, Sendable, Codable {
    /// Compose's default: a service that ends stays ended (the exposed service's end still restarts the set).
    case no
    case always
    case onFailure = "on-failure"
    case unlessStopped = "unless-stopped"

    /// Whether an exit with `status` restarts the set.
    public func restarts(afterStatus status: Int32) -> Bool {
        switch self {
        case .no: false
        case .always, .unlessStopped: true
        case .onFailure: status != 0
        }
    }
}
