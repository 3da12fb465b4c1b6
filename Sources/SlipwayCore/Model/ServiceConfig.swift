import Foundation

/// How a `service` project runs (DESIGN.md §10): the command, its port, and how a new version is checked and
/// switched to. Static projects carry the defaults and ignore them.
public struct ServiceConfig: Sendable, Equatable, Codable {
    /// The `sh -c` command that starts the app; empty means the `web:` line of the build's `Procfile`.
    public var startCommand: String
    /// The port the app listens on; nil means Slipway assigns one and passes it as `PORT`.
    public var port: Int?
    /// The path polled until it answers 2xx before traffic switches.
    public var healthCheckPath: String
    /// How long a new process may take to become healthy, in seconds.
    public var healthCheckTimeout: Double
    /// The pause between two health checks, in seconds.
    public var healthCheckInterval: Double
    /// How long the old process may take to answer the requests it was sent before it is stopped, in seconds.
    public var drainTimeout: Double
    /// How long the production version just replaced keeps running out of the route, in seconds, so that a rollback to
    /// it is a route switch (a warm standby); 0: none.
    public var standbyWindow: Double

    /// The health check timeout, interval and drain timeout as durations.
    public var healthCheckTimeoutDuration: Duration { Self.duration(healthCheckTimeout) }
    public var healthCheckIntervalDuration: Duration { Self.duration(healthCheckInterval) }
    public var drainTimeoutDuration: Duration { Self.duration(drainTimeout) }
    public var standbyWindowDuration: Duration { Self.duration(standbyWindow) }

    /// Seconds as the log writes them: `60`, `0.5`.
    public static func text(seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
    }

    private static func duration(_ seconds: Double) -> Duration { .milliseconds(Int((seconds * 1000).rounded())) }

    public static let defaultHealthCheckTimeout = 60.0
    public static let defaultHealthCheckInterval = 0.5
    public static let defaultDrainTimeout = 30.0
    /// Ten minutes.
    public static let defaultStandbyWindow = 600.0

    public init(
        startCommand: String = "", port: Int? = nil, healthCheckPath: String = "/",
        healthCheckTimeout: Double = Self.defaultHealthCheckTimeout, healthCheckInterval: Double = Self.defaultHealthCheckInterval,
        drainTimeout: Double = Self.defaultDrainTimeout, standbyWindow: Double = Self.defaultStandbyWindow
    ) {
        self.standbyWindow = standbyWindow
        self.startCommand = startCommand
        self.port = port
        self.healthCheckPath = healthCheckPath
        self.healthCheckTimeout = healthCheckTimeout
        self.healthCheckInterval = healthCheckInterval
        self.drainTimeout = drainTimeout
    }

    enum CodingKeys: String, CodingKey {
        case startCommand = "start_command"
        case port
        case healthCheckPath = "health_check_path"
        case healthCheckTimeout = "health_check_timeout"
        case healthCheckInterval = "health_check_interval"
        case drainTimeout = "drain_timeout"
        case standbyWindow = "standby_window"
    }

    /// Reads a stored config; fields missing from older rows take their defaults.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = ServiceConfig()
        startCommand = try container.decodeIfPresent(String.self, forKey: .startCommand) ?? defaults.startCommand
        port = try container.decodeIfPresent(Int.self, forKey: .port)
        healthCheckPath = try container.decodeIfPresent(String.self, forKey: .healthCheckPath) ?? defaults.healthCheckPath
        healthCheckTimeout = try container.decodeIfPresent(Double.self, forKey: .healthCheckTimeout) ?? defaults.healthCheckTimeout
        healthCheckInterval = try container.decodeIfPresent(Double.self, forKey: .healthCheckInterval) ?? defaults.healthCheckInterval
        drainTimeout = try container.decodeIfPresent(Double.self, forKey: .drainTimeout) ?? defaults.drainTimeout
        standbyWindow = try container.decodeIfPresent(Double.self, forKey: .standbyWindow) ?? defaults.standbyWindow
    }
}

/// The service fields of a project creation or update; `nil` means "not given". `port` may be set to
/// "none again" with `clearPort`.
public struct ServiceSettings: Sendable, Equatable {
    public var startCommand: String?
    public var port: Int?
    public var clearPort: Bool
    public var healthCheckPath: String?
    public var healthCheckTimeout: Double?
    public var healthCheckInterval: Double?
    public var drainTimeout: Double?
    public var standbyWindow: Double?

    public init(
        startCommand: String? = nil, port: Int? = nil, clearPort: Bool = false, healthCheckPath: String? = nil,
        healthCheckTimeout: Double? = nil, healthCheckInterval: Double? = nil, drainTimeout: Double? = nil, standbyWindow: Double? = nil
    ) {
        self.standbyWindow = standbyWindow
        self.startCommand = startCommand
        self.port = port
        self.clearPort = clearPort
        self.healthCheckPath = healthCheckPath
        self.healthCheckTimeout = healthCheckTimeout
        self.healthCheckInterval = healthCheckInterval
        self.drainTimeout = drainTimeout
    }

    /// `config` with these settings applied.
    public func applied(to config: ServiceConfig) -> ServiceConfig {
        var config = config
        if let startCommand { config.startCommand = startCommand }
        if clearPort { config.port = nil }
        if let port { config.port = port }
        if let healthCheckPath { config.healthCheckPath = healthCheckPath }
        if let healthCheckTimeout { config.healthCheckTimeout = healthCheckTimeout }
        if let healthCheckInterval { config.healthCheckInterval = healthCheckInterval }
        if let drainTimeout { config.drainTimeout = drainTimeout }
        if let standbyWindow { config.standbyWindow = standbyWindow }
        return config
    }

    /// Every field that is wrong, by its API name.
    public var problems: [FieldProblem] {
        var problems: [FieldProblem] = []
        if let startCommand, startCommand.contains("\0") {
            problems.append(FieldProblem(.name("startCommand"), message: "must not contain NUL characters"))
        }
        if let port, !(1...65535).contains(port) {
            problems.append(FieldProblem(.name("port"), message: "must be a TCP port, 1 to 65535"))
        }
        if let path = healthCheckPath, !path.hasPrefix("/") || path.contains(where: { $0.isWhitespace || $0 == "\0" }) {
            problems.append(FieldProblem(.name("healthCheckPath"), message: "must be a path starting with '/' without spaces"))
        }
        if let timeout = healthCheckTimeout, !(1...3600).contains(timeout) {
            problems.append(FieldProblem(.name("healthCheckTimeout"), message: "must be 1 to 3600 seconds"))
        }
        if let interval = healthCheckInterval, !(0.05...60).contains(interval) {
            problems.append(FieldProblem(.name("healthCheckInterval"), message: "must be 0.05 to 60 seconds"))
        }
        if let drain = drainTimeout, !(0...3600).contains(drain) {
            problems.append(FieldProblem(.name("drainTimeout"), message: "must be 0 to 3600 seconds"))
        }
        if let window = standbyWindow, !(0...86400).contains(window) {
            problems.append(FieldProblem(.name("standbyWindow"), message: "must be 0 (no standby) to 86400 seconds"))
        }
        return problems
    }
}

/// The `Procfile` of a build: `web: <command>` gives the start command of a service that names none.
public enum Procfile {
    /// The command of the `web` process type, if the file has one.
    public static func webCommand(in text: String) -> String? {
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.hasPrefix("#"), let colon = trimmed.firstIndex(of: ":") else { continue }
            guard trimmed[..<colon].trimmingCharacters(in: .whitespaces) == "web" else { continue }
            let command = trimmed[trimmed.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            return command.isEmpty ? nil : command
        }
        return nil
    }
}
