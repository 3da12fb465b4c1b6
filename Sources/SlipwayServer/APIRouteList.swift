import Foundation
public import Hummingbird
import Logging
import SlipwayAPI
import SlipwayCore
import SlipwayDashboard
import SlipwayPipeline
import SlipwayRuntime
import SlipwaySandbox
import SlipwayStore

/// One route of the API router: its method and its path in Hummingbird's rendering (`/api/v1/tokens/{id}`, `*`, `**`).
public struct APIRoute: Hashable, Sendable, CustomStringConvertible {
    /// The HTTP method, upper case (`GET`).
    public var method: String
    /// The path as Hummingbird renders it: parameters as `{name}`, wildcards as `*` and `**`.
    public var path: String

    public init(method: String, path: String) {
        self.method = method
        self.path = path
    }

    public var description: String { "\(method) \(path)" }
}

extension Router {
    /// Every route this router registers, as plain values (for checking the OpenAPI document against it).
    public var apiRoutes: [APIRoute] {
        routes.map { APIRoute(method: $0.method.rawValue, path: $0.path.description) }
    }
}

/// The routes of the API router exactly as `buildApplication` builds it, with every optional part (git, environment
/// variables) present but the dashboard's pages (they are HTML, not part of the API document): made from a throwaway SQLite store in a temporary data directory, deleted before it returns.
public func apiRouteList() async throws -> [APIRoute] {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("slipway-routes-\(UUID().uuidString.prefix(8))").path
    defer { try? FileManager.default.removeItem(atPath: root) }
    var configuration = SlipwayConfiguration()
    configuration.dataDirectory = root
    configuration.allowsWorkingCheckout = false
    var logger = Logger(label: "slipway-routes")
    logger.logLevel = .warning
    let layout = DataLayout(root: root)
    try layout.createDirectories()
    try layout.createDatabaseFile()
    let secrets = try SecretBox.load(environmentValue: nil, keyFile: layout.secretKeyFile)
    let router = try await SQLStore.withStore(.sqlite(path: layout.database), secrets: secrets, logger: logger) { store in
        let environmentVariables = store.environmentVariables(box: secrets)
        let supervisor = ServiceSupervisor(
            configuration: .init(layout: layout, sandbox: Sandbox(isolation: .processGroup)), endpoints: ServiceEndpoints(),
            restarts: store.serviceRestarts, openLog: { _ in nil }, logger: logger
        )
        return buildServerAPIRouter(
            configuration, logger: logger, store: store, secrets: secrets, layout: layout,
            repositoryRules: try LocalRepositories.rules(configuration, layout: layout, logger: logger),
            queueSignal: WakeUpSignal(), running: RunningDeployments(gracePeriod: configuration.cancelGracePeriod),
            activity: DeploymentActivity(), files: DataDirectoryFiles(layout: layout), routes: RouteTable(),
            urls: PublicURLs(domain: configuration.domain, port: configuration.port), supervisor: supervisor,
            environmentVariables: environmentVariables,
            restoration: ServiceRestoration(
                supervisor: supervisor, deployments: store.deployments, projects: store.projects, variables: environmentVariables, logger: logger),
            certificateWork: nil, metrics: SlipwayMetrics(), withDashboard: false
        )
    }
    return router.apiRoutes
}

/// The API router of the server, from the parts `buildApplication` has built: every use case the controllers get
/// is made here, once (`buildApplication` and `apiRouteList` both call it).
func buildServerAPIRouter(
    _ configuration: SlipwayConfiguration, logger: Logger, store: SQLStore, secrets: SecretBox, layout: DataLayout,
    repositoryRules: RepositorySourceRules, queueSignal: WakeUpSignal, running: RunningDeployments, activity: DeploymentActivity,
    files: DataDirectoryFiles, routes: RouteTable, urls: PublicURLs, supervisor: ServiceSupervisor,
    environmentVariables: any EnvironmentVariableRepository, restoration: ServiceRestoration, certificateWork: DomainCertificateWork?,
    metrics: SlipwayMetrics?, withDashboard: Bool = true
) -> Router<SlipwayRequestContext> {
    // Every deployment, whoever asks for it, is created through this one admission (and counted there).
    let admissions: any DeploymentAdmissionRepository =
        metrics.map { CountedAdmissions(store: store.admissions(box: secrets), metrics: $0) }
        ?? store.admissions(box: secrets)
    let admission = DeploymentAdmission(repository: admissions, queueSignal: queueSignal, queueCap: configuration.queueCap)
    let deploymentService = DeploymentService(projects: store.projects, deployments: store.deployments, admission: admission)
    var dependencies = APIDependencies(
        identities: store.identities,
        accounts: AccountService(
            identities: store.identities, passwords: ScryptPasswordHasher(parameters: configuration.passwordHashing),
            configuration: .init(sessionLifetime: configuration.sessionLifetime)
        ),
        tenancy: TenancyService(tenancy: store.tenancy, identities: store.identities),
        installLimits: InstallLimitsService(
            limits: store.installLimits,
            defaults: InstallLimits(
                queuedDeploymentsPerWorkspace: configuration.queueCap, workspaceWorkers: configuration.effectiveWorkspaceWorkers)
        ),
        projects: store.projects, deployments: store.deployments,
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
            routes: routes, files: files, queueSignal: queueSignal, workspaceWorkers: configuration.effectiveWorkspaceWorkers,
            stopTimeout: configuration.cancelGracePeriod + .seconds(10),
            runtime: supervisor,
            startServices: { live, reason in restoration.enqueue(live, reason: reason) },
            installLimits: store.installLimits
        ),
        logs: FileDeploymentLogs(layout: layout), files: files, routes: routes, activity: activity, urls: urls,
        queries: store.queries,
        git: GitIntegration(
            pushes: GitPushService(sources: store.gitSources, admission: admission),
            sources: store.gitSources, remote: GitHTTPBackend(layout: layout)
        ),
        environment: EnvironmentService(variables: environmentVariables),
        runtime: supervisor, serviceRestarts: store.serviceRestarts,
        domains: DomainService(
            domains: store.domains, rules: DomainRules(platformDomain: configuration.domain), routes: routes, certificates: certificateWork,
            ownership: configuration.domainOwnership(secrets: secrets))
    )
    dependencies.notifications = NotificationService(
        repository: store.notifications(box: secrets), rules: configuration.notifications.rules, wakeUp: store.notificationsQueued)
    if let metrics {
        let page: @Sendable () async -> String = { await metrics.page(store: store, supervisor: supervisor) }
        dependencies.metricsPage = page
    }
    let protected = dependencies.withProtections(configuration, logger: logger).withAudit(store.audit)
    let router = buildAPIRouter(protected)
    // The dashboard's pages sit beside the API at the bare domain, over the same use cases (docs/dashboard.md).
    if withDashboard { DashboardController(dependencies: protected).addRoutes(to: router) }
    return router
}
