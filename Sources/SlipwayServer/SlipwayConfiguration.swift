public import Foundation
public import SlipwayCore
public import SlipwaySandbox
public import SlipwayStore

/// Everything `slipway serve` can be told (DESIGN.md §7), with the embedded defaults.
public struct SlipwayConfiguration: Sendable {
    /// `--data-dir` / `SLIPWAY_DATA_DIR`: database, builds, logs, work dirs.
    public var dataDirectory: String = "./.slipway"
    /// `--host` / `SLIPWAY_HOST`: the address the server binds.
    public var host: String = "127.0.0.1"
    /// `--port` / `SLIPWAY_PORT`.
    public var port: Int = 8080
    /// `--domain` / `SLIPWAY_DOMAIN`: the API at the bare domain, deployments at its subdomains.
    public var domain: String = "localhost"
    /// `--workers` / `SLIPWAY_WORKERS`: how many deployments run at once.
    public var workers: Int = 2
    /// `--workspace-workers` / `SLIPWAY_WORKSPACE_WORKERS`: the most deployments one workspace may run at once (the
    /// fair share, docs/scheduling.md); nil: half of `workers`, at least 1 (`effectiveWorkspaceWorkers`).
    public var workspaceWorkers: Int?
    /// `--database-url` / `SLIPWAY_DATABASE_URL`: PostgreSQL instead of the embedded SQLite.
    public var databaseURL: String?
    /// `--build-timeout`: the longest a build may run.
    public var buildTimeout: Duration = .seconds(20 * 60)
    /// `--log-cap`: the largest log a deployment may write, in bytes.
    public var logCap: Int = 50 * 1024 * 1024
    /// How many bytes of static files the edge holds in memory (`--edge-cache`; docs/edge.md).
    public var edgeCacheBytes: Int = 256 << 20
    /// `--audit-retention` / `SLIPWAY_AUDIT_RETENTION`: how many days the audit trail keeps an entry (docs/audit.md).
    public var auditRetentionDays: Int = 365
    /// `--metrics on|off` / `SLIPWAY_METRICS`: whether the server records metrics and serves `/metrics`
    /// (docs/operations.md); off, the edge measures nothing at all.
    public var metricsEnabled: Bool = true
    /// `--metrics-address HOST:PORT` / `SLIPWAY_METRICS_ADDRESS`: a listener of its own serving `/metrics` without
    /// authentication (port 0: a free one); nil: none.
    public var metricsAddress: ListenAddress?
    /// `--keep-deployments` / `SLIPWAY_KEEP_DEPLOYMENTS`: finished deployments per project that keep their build and log.
    public var keepDeployments: Int = 50
    /// `--queue-cap` / `SLIPWAY_QUEUE_CAP`: the most deployments a workspace may have waiting.
    public var queueCap: Int = 100
    /// How long a canceled build may take to exit after SIGTERM before it gets SIGKILL.
    public var cancelGracePeriod: Duration = .seconds(5)
    /// The memory and process limits of every build (applied where the kernel offers cgroups).
    public var buildLimits = ResourceLimits(memoryBytes: 4 << 30, maxProcesses: 4096)
    /// How long a worker's lease on a running deployment lasts without renewal.
    public var leaseDuration: Duration = .seconds(60)
    /// The name this node holds leases under (default: host name and data directory).
    public var nodeName: String?
    /// `SLIPWAY_ADMIN_TOKEN`: the first admin token, instead of a generated one.
    public var adminToken: String?
    /// `SLIPWAY_ADMIN_PASSWORD`: the install administrator's first password, instead of a generated one.
    public var adminPassword: String?
    /// The cost of hashing a password (docs/tenancy.md: scrypt N = 2^15, 32 MiB). Not a flag: only a program that
    /// embeds the server (the tests, hashing hundreds of passwords on two cores) may lower it; every hash records its
    /// own cost, so the hashes stay valid whatever it is later.
    public var passwordHashing: ScryptPasswordHasher.Parameters = .standard
    /// `--session-lifetime` / `SLIPWAY_SESSION_LIFETIME` (`30d`, `12h`, `90m`, seconds): how long a login session lasts.
    public var sessionLifetime: Duration = .seconds(30 * 24 * 3600)
    /// `SLIPWAY_SECRET_KEY`: base64 of the 32-byte key that encrypts secret env vars (default: `<data-dir>/secret-key`).
    public var secretKey: String?
    /// `--service-ports` / `SLIPWAY_SERVICE_PORTS` (`20000-29999`): the loopback ports assigned to service processes.
    public var servicePorts: ClosedRange<Int> = 20000...29999
    /// `--allow-local-repositories` / `SLIPWAY_ALLOW_LOCAL_REPOSITORIES` (`:`-separated): the directories local
    /// paths and `file://` repositories may lie in (none by default; never the data directory).
    public var allowedLocalRepositories: [String] = []
    /// Whether the git checkout the server is started in is allowed as well (so that the README's quickstart works).
    public var allowsWorkingCheckout: Bool = true
    /// How long a stopped service process may take to exit after SIGTERM before it gets SIGKILL.
    public var serviceStopGracePeriod: Duration = .seconds(10)
    /// `--request-head-timeout` / `SLIPWAY_REQUEST_HEAD_TIMEOUT`: how long a client may take to send a request head.
    public var requestHeadTimeout: Duration = .seconds(30)
    /// `--idle-timeout` / `SLIPWAY_IDLE_TIMEOUT`: how long a kept-alive client connection may wait for its next request.
    public var idleConnectionTimeout: Duration = .seconds(75)
    /// `--max-connections-per-address` / `SLIPWAY_MAX_CONNECTIONS_PER_ADDRESS`: open connections per client address (0: no cap).
    public var maxConnectionsPerAddress: Int = 256
    /// `--auth-failure-limit` / `SLIPWAY_AUTH_FAILURE_LIMIT`: failed authentications per client address within
    /// `authFailureWindow` before it gets 429 (0: no limit).
    public var authFailureLimit: Int = 10
    /// `--auth-failure-window` / `SLIPWAY_AUTH_FAILURE_WINDOW`: the window of `authFailureLimit`.
    public var authFailureWindow: Duration = .seconds(60)
    /// `--unverified-webhook-bodies` / `SLIPWAY_UNVERIFIED_WEBHOOK_BODIES`: large webhook bodies read at once before
    /// their signatures are checked.
    public var unverifiedWebhookBodies: Int = 4
    /// Notifications out: private targets, delivery on or off, timeouts and retries (docs/notifications.md).
    public var notifications = NotificationSettings()
    /// `--sandbox-network` / `SLIPWAY_SANDBOX_NETWORK` (`auto`, `private`, `host`): whether builds and services get a
    /// network namespace of their own (slirp4netns, no way to the host's loopback) or share the host's.
    public var sandboxNetwork: SandboxNetworkChoice = .automatic
    /// `--container-engine` / `SLIPWAY_CONTAINER_ENGINE` (`podman`, the default, `docker` or `none`): the engine of
    /// `dockerfile` builds (docs/containers.md), detected once at start-up; nil (`none`): no container builds here.
    public var containerEngine: ContainerEngine.Kind? = .podman
    /// Whether a first start prints the generated admin token and password (tests turn it off).
    public var printsAdminToken: Bool = true
    /// `--https-port` / `SLIPWAY_HTTPS_PORT`: the HTTPS listener's port beside `port`; nil (the default): none.
    public var httpsPort: Int?
    /// `--tls-cert` / `SLIPWAY_TLS_CERT`: a PEM certificate chain, the default certificate and the one for the names it
    /// covers (the domain and its wildcard); reloaded on SIGHUP.
    public var tlsCertificatePath: String?
    /// `--tls-key` / `SLIPWAY_TLS_KEY`: the private key of `tlsCertificatePath` (PEM).
    public var tlsKeyPath: String?
    /// `--hsts` / `SLIPWAY_HSTS=1`: HTTPS answers carry `Strict-Transport-Security: max-age=31536000`.
    public var strictTransportSecurity: Bool = false
    /// Certificates for custom domains through ACME (`--acme-*`, docs/domains.md).
    public var acme = ACMESettings()
    /// `--domain-verification` / `SLIPWAY_DOMAIN_VERIFICATION`: how a workspace proves a custom domain its own
    /// (`txt`, the default, or `off` for an install of one team; docs/domains.md).
    public var domainVerification = DomainOwnership.Mode.txt
    /// `--dns-resolver` / `SLIPWAY_DNS_RESOLVER`: the DNS server ownership records are looked up at (an IP address,
    /// `:PORT` optional); nil: the first `nameserver` of /etc/resolv.conf.
    public var dnsResolver: String?

    public init() {}

    /// The defaults overridden by the `SLIPWAY_*` environment variables that are set.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> SlipwayConfiguration {
        var configuration = SlipwayConfiguration()
        if let value = environment["SLIPWAY_DATA_DIR"], !value.isEmpty { configuration.dataDirectory = value }
        if let value = environment["SLIPWAY_HOST"], !value.isEmpty { configuration.host = value }
        if let value = environment["SLIPWAY_PORT"], !value.isEmpty {
            guard let port = Int(value), (0...65535).contains(port) else {
                throw ConfigurationError("SLIPWAY_PORT must be a port number, got '\(value)'")
            }
            configuration.port = port
        }
        if let value = environment["SLIPWAY_DOMAIN"], !value.isEmpty { configuration.domain = value }
        if let value = environment["SLIPWAY_WORKERS"], !value.isEmpty {
            guard let workers = Int(value), workers >= 1 else {
                throw ConfigurationError("SLIPWAY_WORKERS must be a positive integer, got '\(value)'")
            }
            configuration.workers = workers
        }
        if let value = environment["SLIPWAY_WORKSPACE_WORKERS"], !value.isEmpty {
            guard let workspaceWorkers = Int(value), workspaceWorkers >= 1 else {
                throw ConfigurationError("SLIPWAY_WORKSPACE_WORKERS must be a positive integer, got '\(value)'")
            }
            configuration.workspaceWorkers = workspaceWorkers
        }
        if let value = environment["SLIPWAY_DATABASE_URL"], !value.isEmpty { configuration.databaseURL = value }
        if let value = environment["SLIPWAY_KEEP_DEPLOYMENTS"], !value.isEmpty {
            guard let keep = Int(value), keep >= 1 else {
                throw ConfigurationError("SLIPWAY_KEEP_DEPLOYMENTS must be a positive integer, got '\(value)'")
            }
            configuration.keepDeployments = keep
        }
        if let value = environment["SLIPWAY_AUDIT_RETENTION"], !value.isEmpty {
            guard let days = Int(value), days >= 1 else {
                throw ConfigurationError("SLIPWAY_AUDIT_RETENTION must be a positive number of days, got '\(value)'")
            }
            configuration.auditRetentionDays = days
        }
        if let value = environment["SLIPWAY_EDGE_CACHE"], !value.isEmpty {
            guard let bytes = value == "0" ? 0 : ByteCount.parse(value) else {
                throw ConfigurationError("SLIPWAY_EDGE_CACHE must be a size such as 256MB, or 0, got '\(value)'")
            }
            configuration.edgeCacheBytes = bytes
        }
        if let value = environment["SLIPWAY_QUEUE_CAP"], !value.isEmpty {
            guard let cap = Int(value), cap >= 1 else { throw ConfigurationError("SLIPWAY_QUEUE_CAP must be a positive integer, got '\(value)'") }
            configuration.queueCap = cap
        }
        if let value = environment["SLIPWAY_SERVICE_PORTS"], !value.isEmpty {
            configuration.servicePorts = try parsePortRange(value, name: "SLIPWAY_SERVICE_PORTS")
        }
        if let value = environment["SLIPWAY_ALLOW_LOCAL_REPOSITORIES"], !value.isEmpty {
            configuration.allowedLocalRepositories = value.split(separator: ":").map(String.init)
        }
        try configuration.readConnectionProtections(from: environment)
        try configuration.readOperations(from: environment)
        try configuration.readHTTPS(from: environment)
        try configuration.readACME(from: environment)
        try configuration.readDomainOwnership(from: environment)
        if let value = environment["SLIPWAY_SANDBOX_NETWORK"], !value.isEmpty {
            try configuration.setSandboxNetwork(value, name: "SLIPWAY_SANDBOX_NETWORK")
        }
        if let value = environment["SLIPWAY_CONTAINER_ENGINE"], !value.isEmpty {
            try configuration.setContainerEngine(value, name: "SLIPWAY_CONTAINER_ENGINE")
        }
        if let value = environment["SLIPWAY_ADMIN_TOKEN"], !value.isEmpty { configuration.adminToken = value }
        if let value = environment["SLIPWAY_ADMIN_PASSWORD"], !value.isEmpty { configuration.adminPassword = value }
        if let value = environment["SLIPWAY_SESSION_LIFETIME"], !value.isEmpty {
            configuration.sessionLifetime = try parseLifetime(value, name: "SLIPWAY_SESSION_LIFETIME")
        }
        if let value = environment["SLIPWAY_SECRET_KEY"] { configuration.secretKey = value }
        return configuration
    }
}

extension SlipwayConfiguration {
    /// The most deployments one workspace may run at once: `workspaceWorkers`, or half of `workers` (at least 1). It is
    /// counted over every node of a shared PostgreSQL, so a value above `workers` is allowed.
    public var effectiveWorkspaceWorkers: Int {
        workspaceWorkers ?? FairShare.defaultWorkspaceWorkers(workers: workers)
    }

    /// Sets `sandboxNetwork` from its text (`auto`, `private`, `host`); `name` is the flag or variable named in the error.
    public mutating func setSandboxNetwork(_ text: String, name: String) throws {
        guard let choice = SandboxNetworkChoice(rawValue: text) else {
            throw ConfigurationError("\(name) must be auto, private or host, got '\(text)'")
        }
        sandboxNetwork = choice
    }

    /// Sets `containerEngine` from its text (`podman`, `docker`, `none`); `name` is the flag or variable named in the error.
    public mutating func setContainerEngine(_ text: String, name: String) throws {
        if text == "none" {
            containerEngine = nil
            return
        }
        guard let kind = ContainerEngine.Kind(rawValue: text) else {
            throw ConfigurationError("\(name) must be podman, docker or none, got '\(text)'")
        }
        containerEngine = kind
    }
}

/// `20000-29999` as a range of ports; `name` is the flag or variable named in the error.
public func parsePortRange(_ text: String, name: String) throws -> ClosedRange<Int> {
    let parts = text.split(separator: "-", omittingEmptySubsequences: false)
    guard parts.count == 2, let low = Int(parts[0]), let high = Int(parts[1]), 1 <= low, low <= high, high <= 65535 else {
        throw ConfigurationError("\(name) must be a port range such as 20000-29999, got '\(text)'")
    }
    return low...high
}

/// A lifetime written as `30d`, `12h`, `90m`, `45s` or plain seconds, of at least a minute; `name` is the flag or
/// variable named in the error.
public func parseLifetime(_ text: String, name: String) throws -> Duration {
    let units: [(Character, Int64)] = [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)]
    var number = Substring(text.trimmingCharacters(in: .whitespaces).lowercased())
    var factor: Int64 = 1
    if let last = number.last, let unit = units.first(where: { $0.0 == last }) {
        factor = unit.1
        number = number.dropLast()
    }
    guard let count = Int64(number), count > 0, count <= 100 * 365 * 86_400 / factor, count * factor >= 60 else {
        throw ConfigurationError("\(name) must be a lifetime of at least a minute such as 30d, 12h or 90m, got '\(text)'")
    }
    return .seconds(count * factor)
}

/// A configuration value that cannot be used, with the reason.
public struct ConfigurationError: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// Sizes written as `50MB`, `512K`, `1G` or plain bytes (flags and variables of `slipway serve`).
public enum ByteCount {
    /// The size `text` names; nil unless it is a positive number with an optional `K`, `M` or `G` (and `B`).
    public static func parse(_ text: String) -> Int? {
        let upper = text.uppercased().replacingOccurrences(of: "B", with: "")
        let units: [(String, Int)] = [("K", 1 << 10), ("M", 1 << 20), ("G", 1 << 30)]
        for (suffix, factor) in units where upper.hasSuffix(suffix) {
            return Int(upper.dropLast()).flatMap { $0 > 0 ? $0 * factor : nil }
        }
        return Int(upper).flatMap { $0 > 0 ? $0 : nil }
    }
}
