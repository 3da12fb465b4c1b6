import Foundation
import Hummingbird
import Logging
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
public func buildApplication(
    _ configuration: SlipwayConfiguration,
    logger: Logger = Logger(label: "slipway"),
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) async throws -> some ApplicationProtocol {
    let layout = DataLayout(root: configuration.dataDirectory)
    try layout.createDirectories()
    // The data directory is its owner's alone: 0700 directories, 0600 files, also for one made before this rule.
    let tightened = try layout.tightenPermissions()
    if !tightened.isEmpty { logger.notice("data directory: made \(tightened.count) paths private (0700 directories, 0600 files)") }
    let repositoryRules = try LocalRepositories.rules(configuration, layout: layout, logger: logger)

    let location: DatabaseLocation = configuration.databaseURL.map { .postgres(url: $0) } ?? .sqlite(path: layout.database)
    if configuration.databaseURL == nil { try layout.createDatabaseFile() }
    // A secret key that is malformed, or not the one the database's secrets were sealed with, stops the start here.
    let secrets = try SecretBox.load(environmentValue: configuration.secretKey, keyFile: layout.secretKeyFile)
    let store = try await SQLStore.open(location, secrets: secrets, logger: logger)
    do {
        try await store.verifySecretKey(secrets)
    } catch {
        try? await store.close()
        throw error
    }
    let environmentVariables = store.environmentVariables(box: secrets)
    try await Bootstrap(store: store, layout: layout, configuration: configuration, logger: logger).run()

    let activity = DeploymentActivity()
    let files = DataDirectoryFiles(layout: layout)
    let nodeName = configuration.nodeName ?? NodeName.make(dataDirectory: layout.root)

    // Nothing stays "running" after a crash: whatever this node held before it (re)started is ended now,
    // with every process it left behind killed, before anything else runs.
    let cgroups = CgroupSupport.detect()
    logger.info("\(cgroups.summary)")
    let reaper = LeaseReaper(
        deployments: store.deployments, control: store.control, activity: activity, layout: layout, cgroups: cgroups, logger: logger
    )
    let interrupted = try await reaper.reap(formerOwner: nodeName)
    if interrupted > 0 { logger.warning("\(interrupted) deployments that were running when the server stopped were marked failed (interrupted)") }

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

    // Services: what a killed server left running is killed; every live service starts again from its build.
    let endpoints = ServiceEndpoints()
    let supervisor = ServiceSupervisor(
        configuration: .init(
            layout: layout, sandbox: serviceSandbox, ports: PortAllocator(range: configuration.servicePorts),
            stopGracePeriod: configuration.serviceStopGracePeriod, cgroups: cgroups, limits: configuration.buildLimits
        ),
        endpoints: endpoints, restarts: store.serviceRestarts,
        openLog: RuntimeLogs(layout: layout, cap: configuration.logCap, activity: activity).open, logger: logger
    )
    let leftovers = supervisor.killLeftovers()
    if leftovers > 0 { logger.warning("killed \(leftovers) service processes left running by the previous server") }

    // The edge routes from the store, and live services answer, before the server accepts traffic.
    let routes = RouteTable()
    let live = try await store.deployments.liveDeployments()
    routes.load(live)
    let restoration = ServiceRestoration(supervisor: supervisor, deployments: store.deployments, variables: environmentVariables, logger: logger)
    await restoration.restore(live)

    let queueSignal = WakeUpSignal()
    let running = RunningDeployments(gracePeriod: configuration.cancelGracePeriod)
    let urls = PublicURLs(domain: configuration.domain, port: configuration.port)
    let runner = DeploymentRunner(
        configuration: .init(
            layout: layout, sandbox: buildSandbox, buildTimeout: configuration.buildTimeout, logCap: configuration.logCap,
            nodeName: nodeName, leaseDuration: configuration.leaseDuration, keepDeployments: configuration.keepDeployments,
            cgroups: cgroups, buildLimits: configuration.buildLimits, repositories: repositoryRules
        ),
        projects: store.projects, deployments: store.deployments, control: store.control, routes: routes, activity: activity,
        running: running, files: files, logger: logger, variables: environmentVariables, runtime: supervisor
    )
    let scheduler = Scheduler(control: store.control, runner: runner, workers: configuration.workers, wakeUp: queueSignal, logger: logger)

    // Every deployment, whoever asks for it, is created through this one admission.
    let admission = DeploymentAdmission(
        repository: store.admissions(box: secrets), queueSignal: queueSignal, queueCap: configuration.queueCap)
    let deploymentService = DeploymentService(projects: store.projects, deployments: store.deployments, admission: admission)
    let api = buildAPIRouter(
        APIDependencies(
            identities: store.identities, projects: store.projects, deployments: store.deployments,
            projectSettings: ProjectService(
                projects: store.projects,
                rules: ProjectInputRules(
                    repositories: repositoryRules, servicePorts: configuration.servicePorts, slipwayPorts: [configuration.port]
                ),
                deployments: store.deployments, routes: routes, files: files, runtime: supervisor
            ),
            service: deploymentService,
            builds: BuildDeploymentService(projects: store.projects, queries: store.queries, admission: admission),
            control: DeploymentControlService(
                projects: store.projects, deployments: store.deployments, control: store.control, stopper: running, activity: activity,
                routes: routes, files: files, queueSignal: queueSignal, stopTimeout: configuration.cancelGracePeriod + .seconds(10),
                runtime: supervisor,
                startServices: { live, reason in
                    // In the background: the delete that asked answers at once; the edge sends requests to the
                    // process as soon as it listens (until then it answers 502 "not running").
                    Task { await restoration.restore(live, reason: reason) }
                }
            ),
            logs: FileDeploymentLogs(layout: layout), files: files, routes: routes, activity: activity, urls: urls,
            queries: store.queries,
            git: GitIntegration(
                pushes: GitPushService(sources: store.gitSources, admission: admission),
                sources: store.gitSources, remote: GitHTTPBackend(layout: layout)
            ),
            environment: EnvironmentService(variables: environmentVariables),
            runtime: supervisor, serviceRestarts: store.serviceRestarts
        ).withProtections(configuration, logger: logger)
    )
    let responder = HostDispatcher(domain: configuration.domain, routes: routes, layout: layout, api: api.buildResponder())
    // Requests for service deployments are relayed by the proxy in the HTTP/1 pipeline, before Hummingbird.
    let proxy = ServiceProxy(
        domain: configuration.domain, routes: routes, endpoints: endpoints, clientLimits: configuration.clientConnectionLimits)
    return Application(
        responder: responder,
        server: .edge(proxy: proxy),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "Slipway"),
        // Services stop in reverse order: the scheduler first, the service processes next, the database last.
        services: [StoreCloser(store: store), supervisor, reaper, scheduler],
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: logger
    )
}

/// Closes the database after everything else has stopped (services stop in reverse order).
struct StoreCloser: Service {
    let store: SQLStore

    func run() async throws {
        try? await gracefulShutdown()
        // Closed even when the group is cancelled instead of shut down (the server could not bind its port): the
        // close waits for the statement in flight, and a cancelled wait would leave the store open.
        try await Task { try await store.close() }.value
    }
}

/// The name this node holds leases under: stable across restarts of the same install, so that a restarted
/// server knows which running deployments were its own.
enum NodeName {
    static func make(dataDirectory: String) -> String {
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, name.count)
        return String(cString: name) + ":" + dataDirectory
    }
}
