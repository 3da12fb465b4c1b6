import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import SlipwayAPI
import SlipwayCore
import SlipwayEdge
import SlipwayPipeline
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

    let location: DatabaseLocation = configuration.databaseURL.map { .postgres(url: $0) } ?? .sqlite(path: layout.database)
    let store = try await SQLStore.open(location, logger: logger)
    try await Bootstrap(store: store, layout: layout, configuration: configuration, logger: logger).run()

    // Nothing stays "running" after a crash: a single node owns every unfinished deployment it finds at start-up.
    let interrupted = try await store.deployments.failUnfinished(
        error: "interrupted: the server stopped before the deployment finished", at: Timestamp.now())
    if interrupted > 0 { logger.warning("\(interrupted) unfinished deployments from before the restart were marked failed (interrupted)") }

    // The edge routes from the store before the server accepts traffic.
    let routes = RouteTable()
    routes.load(try await store.deployments.liveDeployments())

    let isolation = await Sandbox.detect(hiddenDirectory: layout.root)
    if isolation == .processGroup {
        logger.warning("sandbox: neither bubblewrap nor unshare works here; builds run as plain process groups and can read the data directory")
    } else {
        logger.info("sandbox: \(isolation.summary)")
    }

    let queueSignal = WakeUpSignal()
    let activity = DeploymentActivity()
    let urls = PublicURLs(domain: configuration.domain, port: configuration.port)
    let runner = DeploymentRunner(
        configuration: .init(layout: layout, sandbox: Sandbox(isolation: isolation), buildTimeout: configuration.buildTimeout),
        projects: store.projects, deployments: store.deployments, routes: routes, activity: activity, logger: logger
    )
    let scheduler = Scheduler(deployments: store.deployments, runner: runner, workers: configuration.workers, wakeUp: queueSignal, logger: logger)

    let api = buildAPIRouter(
        APIDependencies(
            identities: store.identities, projects: store.projects, deployments: store.deployments,
            service: DeploymentService(projects: store.projects, deployments: store.deployments, queueSignal: queueSignal),
            logs: FileDeploymentLogs(layout: layout), files: DataDirectoryFiles(layout: layout), routes: routes, activity: activity, urls: urls
        )
    )
    let responder = HostDispatcher(domain: configuration.domain, routes: routes, layout: layout, api: api.buildResponder())
    return Application(
        responder: responder,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "Slipway"),
        services: [StoreCloser(store: store), scheduler],
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: logger
    )
}

/// Closes the database after everything else has stopped (services stop in reverse order).
struct StoreCloser: Service {
    let store: SQLStore

    func run() async throws {
        try? await gracefulShutdown()
        try await store.close()
    }
}
