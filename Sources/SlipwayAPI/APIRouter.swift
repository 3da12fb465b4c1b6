import Hummingbird
import SlipwayCore

/// Builds the router of the API: public routes, then every dialect behind bearer authentication.
public func buildAPIRouter(_ dependencies: APIDependencies) -> Router<SlipwayRequestContext> {
    let router = Router(context: SlipwayRequestContext.self)
    router.add(middleware: V1ErrorMiddleware())
    router.add(middleware: CloudflarePathMiddleware())
    router.get("/health") { _, _ in try JSONBody.response(["status": "ok"]) }
    router.get("/openapi.yaml") { _, _ in OpenAPIDocument.response() }

    let v1 = router.group("api/v1").add(middleware: BearerAuthenticator(dependencies))
    V1MeController(dependencies: dependencies).addRoutes(to: v1)
    V1TokensController(dependencies: dependencies).addRoutes(to: v1.group("tokens"))
    V1ProjectsController(dependencies: dependencies).addRoutes(to: v1.group("projects"))
    V1DeploymentsController(dependencies: dependencies).addRoutes(to: v1)
    V1LogsController(dependencies: dependencies).addRoutes(to: v1)
    V1DeploymentListController(dependencies: dependencies).addRoutes(to: v1)

    // The Deploys dialect maps its own errors (400 for invalid input), inside the router-wide v1 mapping.
    let deploys = router.group("api/deploys").add(middleware: DeploysErrorMiddleware())
        .add(middleware: BearerAuthenticator(dependencies))
    DeploysController(dependencies: dependencies).addRoutes(to: deploys)

    // The Dokploy dialect (docs/dokploy.md): its own error shape; `x-api-key` authenticates too.
    let dokploy = router.group("api").add(middleware: DokployErrorMiddleware())
        .add(middleware: BearerAuthenticator(dependencies))
    DokployDeploymentsController(dependencies: dependencies).addRoutes(to: dokploy)

    // The Cloudflare Pages dialect (docs/cloudflare.md): the envelope on every answer, even a 401.
    let cloudflare = router.group("client/v4/accounts/:account_id/pages/projects/:project_name/deployments")
        .add(middleware: CloudflareErrorMiddleware()).add(middleware: BearerAuthenticator(dependencies))
    CloudflareDeploymentsController(dependencies: dependencies).addRoutes(to: cloudflare)

    // Git: signed webhooks and Slipway's own git remotes authenticate on their own (docs/git.md).
    if let git = dependencies.git {
        WebhookController(dependencies: dependencies, git: git).addRoutes(to: router)
        GitRemoteController(dependencies: dependencies, git: git).addRoutes(to: router)
    }
    V1PinController(dependencies: dependencies).addRoutes(to: v1)
    V1PromoteController(deployments: dependencies.service).addRoutes(to: v1)
    if let environment = dependencies.environment {
        V1EnvironmentVariablesController(dependencies: dependencies, environment: environment).addRoutes(to: v1)
    }
    return router
}
