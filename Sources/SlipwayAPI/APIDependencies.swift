public import Foundation
public import SlipwayCore

/// Everything the API's controllers need, handed over by the composition root.
public struct APIDependencies: Sendable {
    public var identities: any IdentityRepository
    /// Users, passwords and sessions.
    public var accounts: AccountService
    /// Workspaces, members and invitations.
    public var tenancy: TenancyService
    /// The install-wide limits.
    public var installLimits: InstallLimitsService
    public var projects: any ProjectRepository
    /// Creating and changing projects under the install's rules (repositories, ports).
    public var projectSettings: ProjectService
    public var deployments: any DeploymentRepository
    public var service: DeploymentService
    /// Deploying an existing build (the Deploys dialect).
    public var builds: BuildDeploymentService
    /// Cancel, kill, delete and the queue.
    public var control: DeploymentControlService
    public var logs: any DeploymentLogReader
    public var files: any DeploymentFileStore
    public var routes: RouteTable
    /// Wakes log followers when a deployment's log grows or its state changes.
    public var activity: DeploymentActivity
    public var urls: PublicURLs
    /// Listings through the query language, and the build lookups of the Deploys dialect.
    public var queries: any DeploymentQueryRepository
    /// Webhooks, Slipway's own git remotes and the production pin; nil leaves their routes out.
    public var git: GitIntegration?
    /// Environment variables and promote; nil leaves their routes out.
    public var environment: EnvironmentService?
    /// Custom domains of projects; nil leaves their routes out.
    public var domains: DomainService?
    /// The service supervisor and the record of restarts, shown on a project; nil shows no processes.
    public var runtime: (any ServiceRuntime)?
    public var serviceRestarts: (any ServiceRestartRepository)?
    /// Notification destinations and their delivery log; nil leaves their routes out.
    public var notifications: NotificationService?
    /// Failed authentications per client address: 429 with `Retry-After` beyond the budget.
    public var authenticationFailures = AuthenticationFailureLimiter()
    /// How many unverified webhook bodies may be read at once.
    public var webhookBodies = WebhookBodyGate()
    /// The audit trail (docs/audit.md); nil records nothing and leaves `GET /api/v1/audit` out.
    public var audit: (any AuditRepository)?
    /// The clock of the audit trail's entries.
    public var auditClock: @Sendable () -> Date = { Date() }
    /// The metrics page in Prometheus' text format (`GET /metrics`, a `metrics` token of an install administrator);
    /// nil: no such route (metrics off, or served on `--metrics-address` only).
    public var metricsPage: (@Sendable () async -> String)?

    public init(
        identities: any IdentityRepository, accounts: AccountService, tenancy: TenancyService, installLimits: InstallLimitsService,
        projects: any ProjectRepository, deployments: any DeploymentRepository,
        projectSettings: ProjectService, service: DeploymentService, builds: BuildDeploymentService, control: DeploymentControlService,
        logs: any DeploymentLogReader,
        files: any DeploymentFileStore,
        routes: RouteTable,
        activity: DeploymentActivity, urls: PublicURLs, queries: any DeploymentQueryRepository, git: GitIntegration? = nil,
        environment: EnvironmentService? = nil, runtime: (any ServiceRuntime)? = nil,
        serviceRestarts: (any ServiceRestartRepository)? = nil, domains: DomainService? = nil
    ) {
        self.identities = identities
        self.accounts = accounts
        self.tenancy = tenancy
        self.installLimits = installLimits
        self.projects = projects
        self.projectSettings = projectSettings
        self.deployments = deployments
        self.service = service
        self.builds = builds
        self.control = control
        self.logs = logs
        self.files = files
        self.routes = routes
        self.activity = activity
        self.urls = urls
        self.queries = queries
        self.git = git
        self.environment = environment
        self.runtime = runtime
        self.serviceRestarts = serviceRestarts
        self.domains = domains
    }

    /// These dependencies recording changes in `audit` and serving `GET /api/v1/audit` from it.
    public func withAudit(_ audit: any AuditRepository) -> APIDependencies {
        var dependencies = self
        dependencies.audit = audit
        return dependencies
    }
}
