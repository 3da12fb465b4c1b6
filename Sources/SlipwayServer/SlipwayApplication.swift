import Foundation
public import Hummingbird
public import Logging
import ServiceLifecycle
import SlipwayAPI
import SlipwayCore
import SlipwayEdge
import SlipwayPipeline
import SlipwayRuntime
import SlipwaySandbox
import SlipwayStore

/// Builds the whole platform from a configuration: store, bootstrap, routes, scheduler, API and edge,
/// as one Hummingbird application whose ServiceGroup runs everything. `slipway serve` and the tests call this.
///
/// Building reads the configuration and the machine (data directory, secret key, sandbox) and wires the parts; it
/// touches no database and starts nothing. Everything that does runs in the group: the start-up work (`StartUp`:
/// migrations, bootstrap, crash recovery, routes, live services) before the scheduler, the lease reaper and the edge.
public func buildApplication(
    _ configuration: SlipwayConfiguration,
    logger: Logger = Logger(label: "slipway"),
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in },
    onHTTPSServerRunning: @escaping @Sendable (Int) async -> Void = { _ in },
    onMetricsServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) async throws -> some ApplicationProtocol {
    let layout = DataLayout(root: configuration.dataDirectory)
    try layout.createDirectories()
    // The data directory is its owner's alone: 0700 directories, 0600 files, also for one made before this rule.
    let tightened = try layout.tightenPermissions()
    if !tightened.isEmpty { logger.notice("data directory: made \(tightened.count) paths private (0700 directories, 0600 files)") }
    let repositoryRules = try LocalRepositories.rules(configuration, layout: layout, logger: logger)

    let location: DatabaseLocation = configuration.databaseURL.map { .postgres(url: $0) } ?? .sqlite(path: layout.database)
    if configuration.databaseURL == nil { try layout.createDatabaseFile() }
    // A malformed secret key stops the start here; one that is not the database's, in the start-up work.
    let secrets = try SecretBox.load(environmentValue: configuration.secretKey, keyFile: layout.secretKeyFile)
    // Not connected yet: the store connects when its service runs (a database URL that is not PostgreSQL stops here).
    let store = try SQLStore(location, secrets: secrets, logger: logger)
    let environmentVariables = store.environmentVariables(box: secrets)

    let activity = DeploymentActivity()
    let files = DataDirectoryFiles(layout: layout)
    let nodeName = configuration.nodeName ?? NodeName.make(dataDirectory: layout.root)

    let cgroups = CgroupSupport.detect()
    logger.info("\(cgroups.summary)")
    let containers = await ContainerEngines.detect(configuration.containerEngine, logger: logger)
    let reaper = LeaseReaper(
        deployments: store.deployments, control: store.control, activity: activity, layout: layout, cgroups: cgroups,
        containers: try? containers.get(), logger: logger
    )

    let detection = await SandboxDetection.detect(hiddenDirectory: layout.root, network: configuration.sandboxNetwork)
    logger.info("sandbox: \(detection.isolation.summary)")
    for warning in detection.warnings { logger.warning("sandbox: \(warning)") }
    let buildSandbox = Sandbox(isolation: detection.isolation)
    if configuration.sandboxNetwork == .private && !buildSandbox.hasPrivateNetwork {
        throw ConfigurationError(
            "--sandbox-network private: builds and services cannot get a network of their own here (\(detection.warnings.joined(separator: "; ")))")
    }
    // The edge enters a service's namespace to reach it (setns needs root); an unprivileged server runs services on
    // the host's network.
    var serviceSandbox = buildSandbox
    if buildSandbox.hasPrivateNetwork && geteuid() != 0, case .bubblewrap(var setup) = buildSandbox.isolation {
        setup.slirp4netns = nil
        serviceSandbox = Sandbox(isolation: .bubblewrap(setup))
        logger.warning("sandbox: the server is not root: services share the host's network (builds keep their own)")
    }

    // This server's metrics, in a registry of its own (no process-wide bootstrap: docs/operations.md); nil: off.
    let metrics = configuration.metricsEnabled ? SlipwayMetrics() : nil
    if configuration.metricsAddress != nil && metrics == nil {
        throw ConfigurationError("--metrics-address needs metrics on (--metrics on)")
    }
    let endpoints = ServiceEndpoints()
    let supervisor = ServiceSupervisor(
        configuration: .init(
            layout: layout, sandbox: serviceSandbox, ports: PortAllocator(range: configuration.servicePorts),
            stopGracePeriod: configuration.serviceStopGracePeriod, cgroups: cgroups, limits: configuration.buildLimits,
            containers: try? containers.get()
        ),
        endpoints: endpoints, restarts: store.serviceRestarts,
        openLog: RuntimeLogs(layout: layout, cap: configuration.logCap, activity: activity).open, logger: logger,
        metrics: metrics?.runtime
    )
    let routes = RouteTable()
    // Custom domains' certificates: stored, served by the edge from memory, obtained and renewed through ACME.
    let acmeCA = try configuration.checkACME()
    let storedCertificates = StoredCertificateSource(now: configuration.acme.now)
    let certificateRepository = store.certificates(box: secrets)
    let acmeChallenges = ACMEChallenges()
    let (plainListening, httpsListening) = (OneTimeEvent(), OneTimeEvent())
    let certificateManager = CertificateManager(
        domains: store.domains, certificates: certificateRepository, source: storedCertificates, challenges: acmeChallenges,
        settings: configuration.acme,
        acme: configuration.acme.acceptsTerms ? CertificateManager.ACME(settings: configuration.acme, trustedCertificatesPEM: acmeCA) : nil,
        offReason: configuration.acmeOffReason, listening: [plainListening, httpsListening], logger: logger)
    let certificateWork = DomainCertificateWork(
        certificates: certificateRepository, checker: BundleCertificateChecker(), observer: certificateManager, now: configuration.acme.now)
    let restoration = ServiceRestoration(
        supervisor: supervisor, deployments: store.deployments, projects: store.projects, variables: environmentVariables, logger: logger)
    let startUp = StartUp.steps(
        store: store, secrets: secrets,
        bootstrap: Bootstrap(
            store: store, passwords: ScryptPasswordHasher(parameters: configuration.passwordHashing), layout: layout, configuration: configuration,
            logger: logger
        ),
        reaper: reaper, nodeName: nodeName, supervisor: supervisor, routes: routes, restoration: restoration,
        certificates: certificateManager, logger: logger
    )

    let queueSignal = WakeUpSignal()
    let running = RunningDeployments(gracePeriod: configuration.cancelGracePeriod)
    let urls = PublicURLs(domain: configuration.domain, port: configuration.port)
    let runner = DeploymentRunner(
        configuration: .init(
            layout: layout, sandbox: buildSandbox, buildTimeout: configuration.buildTimeout, logCap: configuration.logCap,
            nodeName: nodeName, leaseDuration: configuration.leaseDuration, keepDeployments: configuration.keepDeployments,
            cgroups: cgroups, buildLimits: configuration.buildLimits, repositories: repositoryRules, containers: containers
        ),
        projects: store.projects, deployments: store.deployments, control: store.control, routes: routes, activity: activity,
        running: running, files: files, logger: logger, variables: environmentVariables, runtime: supervisor,
        indexer: SiteManifestIndexer(), metrics: metrics?.pipeline
    )
    let scheduler = Scheduler(
        control: store.control, runner: runner, workers: configuration.workers, workspaceWorkers: configuration.effectiveWorkspaceWorkers,
        wakeUp: queueSignal, logger: logger
    )

    // Notifications out: queued by the store with what they announce, delivered in the background.
    let notificationDelivery = NotificationDeliveryService(
        repository: store.notifications(box: secrets), wakeUp: store.notificationsQueued, urls: urls,
        configuration: configuration.notifications.delivery, logger: logger)
    let api = buildServerAPIRouter(
        configuration, logger: logger, store: store, secrets: secrets, layout: layout, repositoryRules: repositoryRules,
        queueSignal: queueSignal, running: running, activity: activity, files: files, routes: routes, urls: urls, supervisor: supervisor,
        environmentVariables: environmentVariables, restoration: restoration, certificateWork: certificateWork, metrics: metrics
    )
    // Static builds: the common requests are answered at the connection level, the rest by Hummingbird, from the
    // same manifests.
    let staticSites = StaticSites(layout: layout, configuration: .init(cacheBytes: configuration.edgeCacheBytes))
    let responder = HostDispatcher(
        domain: configuration.domain, routes: routes, layout: layout, api: api.buildResponder(),
        siteServer: StaticSiteServer(sites: staticSites), metrics: metrics?.edge)
    // HTTPS (--https-port): certificates by SNI, first the custom domains' stored ones, then the files of
    // --tls-cert/--tls-key (reloaded on SIGHUP, the default certificate); the ACME challenges are answered by the edge
    // on both listeners.
    let fileCertificate = try configuration.loadFileCertificate()
    var certificateSources: [any TLSCertificateSource] = [storedCertificates]
    if let fileCertificate { certificateSources.append(fileCertificate) }
    let https = configuration.httpsPort.map { [certificateSources] _ in
        EdgeHTTPS(
            certificates: CombinedCertificateSource(certificateSources),
            strictTransportSecurity: configuration.strictTransportSecurity, port: configuration.httpsPort ?? 443)
    }
    // Requests for service deployments are relayed by the proxy in the HTTP/1 pipeline, before Hummingbird.
    let proxy = ServiceProxy(
        domain: configuration.domain, routes: routes, endpoints: endpoints, clientLimits: configuration.clientConnectionLimits,
        staticSites: staticSites, https: https, acmeChallenges: acmeChallenges, metrics: metrics?.edge)
    var edgeServices: [any Service] = []
    if let https, let httpsPort = configuration.httpsPort {
        // Beside Hummingbird's plain listener, binding after the start-up work as it does; it stops just before it.
        let server = try EdgeHTTPSServer(
            responder: responder, proxy: proxy, https: https, address: .hostname(configuration.host, port: httpsPort), serverName: "Slipway",
            logger: logger,
            onServerRunning: { port in
                httpsListening.signal()
                await onHTTPSServerRunning(port)
            })
        edgeServices.append(AfterStartUp(startUp: startUp, service: server))
    }
    if let fileCertificate { edgeServices.append(CertificateReloadService(certificates: fileCertificate, logger: logger)) }
    if let metrics, let address = configuration.metricsAddress {
        // The page without authentication, on a listener of its own (for a Prometheus on a private network).
        edgeServices.append(
            AfterStartUp(
                startUp: startUp,
                service: metrics.listener(
                    address: address, store: store, supervisor: supervisor, logger: logger, onServerRunning: onMetricsServerRunning)))
    }
    var application = Application(
        responder: responder,
        server: .edge(proxy: proxy),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "Slipway"),
        // All start together; each waits in its run() for what it needs, and they stop in reverse order (Hummingbird
        // appends the HTTP server, which stops first):
        // - the store: the database's connections; every other service uses it, so it closes last;
        // - the supervisor: service processes are supervised in its run(); the restores and the start-up need it;
        // - the restoration: restores a delete asked for, in the background; stops before the processes do;
        // - the start-up work, in order: migrate, bootstrap, end what a crash left running, load routes, restore
        //   live services;
        // - the lease reaper and the scheduler, once the start-up work is done; the scheduler stops first (its
        //   deployments end and record it while the store and the supervisor still run);
        // - the certificate work (ACME), once the start-up work has loaded the stored certificates;
        // - the audit retention, once the migrations have made the audit trail;
        // - the notification delivery, once the database is migrated;
        // - the edge (Hummingbird's server) binds once the start-up work is done, below.
        services: [
            store, supervisor, restoration, startUp, AfterStartUp(startUp: startUp, service: reaper),
            AfterStartUp(startUp: startUp, service: scheduler), AfterStartUp(startUp: startUp, service: certificateManager),
            AfterStartUp(startUp: startUp, service: AuditRetention(audit: store.audit, days: configuration.auditRetentionDays, logger: logger)),
            AfterStartUp(startUp: startUp, service: notificationDelivery),
        ] + edgeServices,
        onServerRunning: { channel in
            plainListening.signal()
            await onServerRunning(channel.localAddress?.port ?? configuration.port)
        },
        logger: logger
    )
    // No request reaches the edge before the routes are loaded and the live services answer.
    application.beforeServerStarts { try await startUp.waitUntilFinished() }
    return application
}

/// The name this node holds leases under: stable across restarts of the same install, so that a restarted
/// server knows which running deployments were its own.
enum NodeName {
    static func make(dataDirectory: String) -> String {
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, name.count)
        return String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) + ":" + dataDirectory
    }
}
