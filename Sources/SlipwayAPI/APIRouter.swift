public import Hummingbird
import SlipwayCore

/// Builds the router of the API: public routes, then every dialect behind bearer authentication. Each controller gets
/// the use cases and the few readers it needs, nothing more.
public func buildAPIRouter(_ dependencies: APIDependencies) -> Router<SlipwayRequestContext> {
    let d = dependencies
    let router = Router(context: SlipwayRequestContext.self)
    // Outermost: the audit trail records each change with the final status every dialect answered.
    if let audit = d.audit { router.add(middleware: AuditMiddleware(audit: audit, now: d.auditClock)) }
    router.add(middleware: V1ErrorMiddleware())
    router.add(middleware: CloudflarePathMiddleware())
    router.get("/health") { _, _ in try JSONBody.response(["status": "ok"]) }
    router.get("/openapi.yaml") { _, _ in OpenAPIDocument.response() }
    let authenticator = BearerAuthenticator(identities: d.identities, tenancy: d.tenancy, failures: d.authenticationFailures)
    let lookup = V1Lookup(projects: d.projects, deployments: d.deployments)
    if let page = d.metricsPage { MetricsController(page: page).addRoutes(to: router.group("metrics").add(middleware: authenticator)) }

    let v1 = router.group("api/v1").add(middleware: authenticator)
    V1MeController(accounts: d.accounts, tenancy: d.tenancy, failures: d.authenticationFailures).addRoutes(to: v1)
    V1SessionsController(accounts: d.accounts, failures: d.authenticationFailures).addRoutes(public: router, authenticated: v1)
    V1UsersController(accounts: d.accounts).addRoutes(to: v1.group("users"))
    V1WorkspacesController(tenancy: d.tenancy).addRoutes(to: v1.group("workspaces"))
    V1MembersController(tenancy: d.tenancy).addRoutes(to: v1.group("members"))
    V1InvitationsController(tenancy: d.tenancy).addRoutes(to: v1.group("invitations"))
    V1LimitsController(limits: d.installLimits).addRoutes(to: v1.group("admin/limits"))
    V1TokensController(identities: d.identities).addRoutes(to: v1.group("tokens"))
    V1ProjectsController(
        projects: d.projects, projectSettings: d.projectSettings, deployments: d.deployments, deploymentService: d.service,
        routes: d.routes, urls: d.urls, runtime: d.runtime, serviceRestarts: d.serviceRestarts, lookup: lookup
    ).addRoutes(to: v1.group("projects"))
    V1DeploymentsController(
        deploymentService: d.service, control: d.control, logReader: d.logs, routes: d.routes, urls: d.urls, lookup: lookup
    ).addRoutes(to: v1)
    V1LogsController(logReader: d.logs, lookup: lookup, deployments: d.deployments, activity: d.activity).addRoutes(to: v1)
    V1DeploymentListController(projects: d.projects, routes: d.routes, urls: d.urls, queries: d.queries).addRoutes(to: v1)
    if let audit = d.audit { V1AuditController(audit: audit).addRoutes(to: v1) }
    V1PromoteController(deployments: d.service).addRoutes(to: v1)
    V1PinController(projects: d.projects, lookup: lookup).addRoutes(to: v1)
    if let environment = d.environment {
        V1EnvironmentVariablesController(lookup: lookup, environment: environment).addRoutes(to: v1)
    }
    if let domains = d.domains {
        V1DomainsController(lookup: lookup, domains: domains).addRoutes(to: v1)
    }
    if let notifications = d.notifications {
        V1NotificationsController(notifications: notifications).addRoutes(to: v1.group("notifications"))
        V1CommitStatusController(lookup: lookup, notifications: notifications).addRoutes(to: v1)
    }

    // The Deploys dialect maps its own errors (400 for invalid input), inside the router-wide v1 mapping.
    let deploys = router.group("api/deploys").add(middleware: DeploysErrorMiddleware()).add(middleware: authenticator)
    DeploysController(builds: d.builds, control: d.control, urls: d.urls, queries: d.queries).addRoutes(to: deploys)

    // The Dokploy dialect (docs/dokploy.md): its own error shape; `x-api-key` authenticates too.
    let dokploy = router.group("api").add(middleware: DokployErrorMiddleware()).add(middleware: authenticator)
    DokployDeploymentsController(projects: d.projects, deployments: d.deployments, control: d.control, queries: d.queries)
        .addRoutes(to: dokploy)
    DokploySettingsController(queries: d.queries)
        .addRoutes(public: router.group("api").add(middleware: DokployErrorMiddleware()), authenticated: dokploy)
    // Dokploy's live log WebSocket sits at the root, as in Dokploy (`/listen-deployment`, not under `/api`).
    let dokployRoot = router.group().add(middleware: DokployErrorMiddleware()).add(middleware: authenticator)
    DokployLogSocketController(logReader: d.logs, lookup: lookup, deployments: d.deployments, activity: d.activity).addRoutes(to: dokployRoot)

    // The Cloudflare Pages dialect (docs/cloudflare.md): the envelope on every answer, even a 401.
    let cloudflare = router.group("client/v4/accounts/:account_id/pages/projects/:project_name/deployments")
        .add(middleware: CloudflareErrorMiddleware()).add(middleware: authenticator)
    CloudflareDeploymentsController(
        projects: d.projects, deployments: d.deployments, deploymentService: d.service, control: d.control, logReader: d.logs,
        routes: d.routes, urls: d.urls, queries: d.queries, environment: d.environment
    ).addRoutes(to: cloudflare)

    // Git: signed webhooks and Slipway's own git remotes authenticate on their own (docs/git.md).
    if let git = d.git {
        WebhookController(
            routes: d.routes, urls: d.urls, authenticationFailures: d.authenticationFailures, webhookBodies: d.webhookBodies, git: git
        ).addRoutes(to: router)
        GitRemoteController(
            identities: d.identities, tenancy: d.tenancy, projects: d.projects, authenticationFailures: d.authenticationFailures, git: git
        ).addRoutes(to: router)
    }
    return router
}
