import ArgumentParser
import Foundation
import Hummingbird
import Logging
import SlipwayServer

/// `slipway serve`: the API, the dashboard, the workers and the edge, in one process.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the Slipway platform (API, workers and edge) on one port.",
        discussion: """
            Every flag can also be set by its environment variable (SLIPWAY_DATA_DIR, SLIPWAY_PORT, SLIPWAY_HOST,
            SLIPWAY_DOMAIN, SLIPWAY_WORKERS, SLIPWAY_WORKSPACE_WORKERS, SLIPWAY_DATABASE_URL, SLIPWAY_ALLOW_LOCAL_REPOSITORIES as DIR:DIR…); a flag
            wins over its variable.
            The first start on an empty data directory prints an admin token and saves it to <data-dir>/admin-token;
            SLIPWAY_ADMIN_TOKEN sets that token instead. It also prints the password of the install administrator
            `admin` and saves it to <data-dir>/admin-password; SLIPWAY_ADMIN_PASSWORD sets that password instead.

            Example:
              slipway serve --port 8080 --domain localhost
            """
    )

    @Option(help: "Where the database, builds and logs live (default ./.slipway).") var dataDir: String?
    @Option(help: "The port to listen on (default 8080).") var port: Int?
    @Option(help: "The address to bind (default 127.0.0.1).") var host: String?
    @Option(help: "The domain: the API at it, deployments at its subdomains (default localhost).") var domain: String?
    @Option(help: "How many deployments build at once (default 2).") var workers: Int?
    @Option(help: "The most deployments one workspace builds at once; workspaces with work take turns (default half of --workers, at least 1).")
    var workspaceWorkers: Int?
    @Option(help: "postgres://… to use PostgreSQL instead of the embedded SQLite.") var databaseURL: String?
    @Option(help: "The longest a build may run, in seconds (default 1200).") var buildTimeout: Int?
    @Option(help: "The largest log a build may write, e.g. 50MB (default 50MB); a service's output goes on past it in rotated segments.")
    var logCap: String?
    @Option(help: "Finished deployments per project that keep their build and log (default 50).") var keepDeployments: Int?
    @Option(help: "How many days the audit trail keeps an entry (default 365; SLIPWAY_AUDIT_RETENTION).") var auditRetention: Int?
    @Option(help: "How many bytes of static files the edge holds in memory, e.g. 256MB (default 256MB; 0 holds none).")
    var edgeCache: String?
    @Option(help: "The most deployments a workspace may have waiting (default 100).") var queueCap: Int?
    @Option(help: "How long a login session lasts, e.g. 30d, 12h, 90m (default 30d; SLIPWAY_SESSION_LIFETIME).") var sessionLifetime: String?
    @Option(help: "The loopback ports given to service processes, e.g. 20000-29999 (the default).") var servicePorts: String?
    @Option(
        parsing: .upToNextOption,
        help: ArgumentHelp(
            "Directories whose local paths and file:// URLs projects may use as repositories (repeatable; none by default, "
                + "but the git checkout the server starts in; never the data directory).",
            valueName: "dir"))
    var allowLocalRepositories: [String] = []
    @Option(
        help: ArgumentHelp(
            "auto, private or host: builds and services in a network namespace of their own (slirp4netns; the host's loopback "
                + "unreachable) or on the host's network (default auto: private where slirp4netns works).",
            valueName: "mode"))
    var sandboxNetwork: String?
    @Option(
        help: ArgumentHelp(
            "podman, docker or none: the container engine of dockerfile builds, detected at start-up (default podman; "
                + "SLIPWAY_CONTAINER_ENGINE).",
            valueName: "engine"))
    var containerEngine: String?
    @OptionGroup(title: "Connection and authentication limits (docs/security-connections.md)") var limits: ServeLimitOptions
    @OptionGroup(title: "HTTPS (docs/edge.md)") var https: ServeHTTPSOptions
    @OptionGroup(title: "Notifications (docs/notifications.md)") var notifications: ServeNotificationOptions
    @OptionGroup(title: "Metrics and logs (docs/operations.md)") var operations: ServeOperationsOptions

    func run() async throws {
        MallocPolicy.apply()
        var configuration: SlipwayConfiguration
        do {
            configuration = try SlipwayConfiguration.fromEnvironment()
        } catch {
            throw StartupError(error, configuration: SlipwayConfiguration()) ?? error
        }
        if let dataDir { configuration.dataDirectory = dataDir }
        if let port {
            guard (0...65535).contains(port) else { throw ValidationError("--port must be 0-65535") }
            configuration.port = port
        }
        if let host { configuration.host = host }
        if let domain { configuration.domain = domain }
        if let workers {
            guard workers >= 1 else { throw ValidationError("--workers must be at least 1") }
            configuration.workers = workers
        }
        if let workspaceWorkers {
            guard workspaceWorkers >= 1 else { throw ValidationError("--workspace-workers must be at least 1") }
            configuration.workspaceWorkers = workspaceWorkers
        }
        if let databaseURL { configuration.databaseURL = databaseURL }
        if let buildTimeout {
            guard buildTimeout >= 1 else { throw ValidationError("--build-timeout must be at least 1 second") }
            configuration.buildTimeout = .seconds(buildTimeout)
        }
        if let logCap {
            guard let bytes = ByteCount.parse(logCap) else { throw ValidationError("--log-cap must be a size such as 50MB, got '\(logCap)'") }
            configuration.logCap = bytes
        }
        if let edgeCache {
            guard let bytes = edgeCache == "0" ? 0 : ByteCount.parse(edgeCache) else {
                throw ValidationError("--edge-cache must be a size such as 256MB, or 0, got '\(edgeCache)'")
            }
            configuration.edgeCacheBytes = bytes
        }
        if let keepDeployments {
            guard keepDeployments >= 1 else { throw ValidationError("--keep-deployments must be at least 1") }
            configuration.keepDeployments = keepDeployments
        }
        if let auditRetention {
            guard auditRetention >= 1 else { throw ValidationError("--audit-retention must be at least 1 day") }
            configuration.auditRetentionDays = auditRetention
        }
        if let queueCap {
            guard queueCap >= 1 else { throw ValidationError("--queue-cap must be at least 1") }
            configuration.queueCap = queueCap
        }
        if let servicePorts {
            do {
                configuration.servicePorts = try parsePortRange(servicePorts, name: "--service-ports")
            } catch {
                throw ValidationError("\(error)")
            }
        }
        if let sessionLifetime {
            do {
                configuration.sessionLifetime = try parseLifetime(sessionLifetime, name: "--session-lifetime")
            } catch {
                throw ValidationError("\(error)")
            }
        }
        if !allowLocalRepositories.isEmpty { configuration.allowedLocalRepositories = allowLocalRepositories }
        if let sandboxNetwork {
            do {
                try configuration.setSandboxNetwork(sandboxNetwork, name: "--sandbox-network")
            } catch {
                throw ValidationError("\(error)")
            }
        }
        if let containerEngine {
            do {
                try configuration.setContainerEngine(containerEngine, name: "--container-engine")
            } catch {
                throw ValidationError("\(error)")
            }
        }
        try limits.apply(to: &configuration)
        try https.apply(to: &configuration)
        try notifications.apply(to: &configuration, environment: ProcessInfo.processInfo.environment)
        try operations.apply(to: &configuration)
        try operations.bootstrapLogging()
        var logger = Logger(label: "slipway")
        logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .info
        let domain = configuration.domain
        do {
            let app = try await buildApplication(
                configuration, logger: logger,
                onServerRunning: { port in
                    print("Slipway is running: API at http://\(domain):\(port), deployments at http://<project>.\(domain):\(port)")
                    fflush(nil)
                },
                onHTTPSServerRunning: { port in
                    print("HTTPS on port \(port)")
                    fflush(nil)
                },
                onMetricsServerRunning: { port in
                    print("Metrics on port \(port) (/metrics, no authentication)")
                    fflush(nil)
                })
            try await app.runService()
        } catch {
            // The data directory, the database, the secret key, the port: said in words, with the option to change.
            throw StartupError(error, configuration: configuration) ?? error
        }
    }
}
