import Foundation
import Hummingbird
import SlipwayCore

/// The Deploys dialect (seed 001): list with the query language, create from a build or an app, get with steps,
/// cancel. Mounted on `/api/deploys` behind bearer authentication and `DeploysErrorMiddleware`.
struct DeploysController {
    /// Deploying an existing build.
    let builds: BuildDeploymentService
    /// Cancel, kill, delete and the queue.
    let control: DeploymentControlService
    /// The public URLs of projects and deployments.
    let urls: PublicURLs
    /// Listings through the query language and build lookups.
    let queries: any DeploymentQueryRepository

    /// Adds the four endpoints to `group` (the `/api/deploys` group).
    func addRoutes(to group: RouterGroup<SlipwayRequestContext>) {
        group.get(use: list)
        group.post(use: create)
        group.get(":deploy", use: show)
        group.post(":deploy/cancel", use: cancel)
    }

    /// What a listing shows of related rows: projects by id and user names by id.
    struct Related {
        var projects: [Int64: ProjectReference]
        var userNames: [Int64: String]
    }

    private func related(_ deployments: [Deployment], _ identity: Identity) async throws -> Related {
        let projects = try await queries.projectReferences(ids: deployments.map(\.projectID), workspaceID: identity.workspace.id)
        let names = deployments.isEmpty ? [:] : try await queries.userNames(workspaceID: identity.workspace.id)
        return Related(projects: projects, userNames: names)
    }

    private func json(_ deployment: Deployment, _ related: Related, _ identity: Identity, steps: Bool = false) -> DeployJSON {
        DeployJSON(
            deployment: deployment, workspace: identity.workspace, project: related.projects[deployment.projectID],
            createdBy: related.userNames[deployment.initiatedBy], urls: urls, includesSteps: steps
        )
    }

    /// `GET /api/deploys`: a keyset page of the workspace's deploys.
    @Sendable func list(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.read)
        let parser = DeploymentQueryParser(catalog: .deploys)
        let query = try parser.parse(request.listingParameters(for: parser))
        let page = try await queries.page(query, workspaceID: identity.workspace.id)
        let related = try await related(page.items, identity)
        let list = DeployListJSON(data: page.items.map { json($0, related, identity) }, pageInfo: DeployPageInfo(page))
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: DeployJSONWriter.render(list))))
    }

    /// `POST /api/deploys` body: exactly one of the two.
    struct CreateBody: Decodable {
        var buildId: String?
        var appId: String?
    }

    /// `POST /api/deploys`: deploys a build (`buildId`) or the latest successful build of an app's production branch
    /// (`appId`) without rebuilding; answers 201 with the new deploy.
    @Sendable func create(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.deploy)
        let body = try await JSONBody.decode(CreateBody.self, from: request)
        let service = builds
        let deployment: Deployment
        switch (body.buildId, body.appId) {
        case (let buildText?, nil):
            guard let buildID = PrefixedID.build.parse(buildText) else {
                throw SlipwayError.invalid("buildId", "must be a build id: 'bld_' and 32 hex digits")
            }
            deployment = try await service.deploy(buildID: buildID, by: identity)
        case (nil, let appText?):
            guard let appID = PrefixedID.app.parse(appText) else {
                throw SlipwayError.invalid("appId", "must be an app id: 'app_' and 32 hex digits")
            }
            deployment = try await service.deploy(appID: appID, by: identity)
        case (nil, nil):
            throw SlipwayError.invalid("buildId", "either buildId or appId is required")
        case (_?, _?):
            throw SlipwayError.invalid("appId", "give either buildId or appId, not both")
        }
        let related = try await related([deployment], identity)
        context.audit.target(id: String(deployment.id))
        return try JSONBody.response(json(deployment, related, identity), status: .created)
    }

    /// `GET /api/deploys/{id}`: one deploy with its steps.
    @Sendable func show(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.read)
        let deployment = try await visibleDeployment(context, identity)
        let related = try await related([deployment], identity)
        return try JSONBody.response(json(deployment, related, identity, steps: true))
    }

    /// `POST /api/deploys/{id}/cancel` body.
    struct CancelBody: Decodable {
        var reason: String?
    }

    /// `POST /api/deploys/{id}/cancel`: cancels a pending or running deploy; `{"success": true}` once it has ended.
    @Sendable func cancel(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.deploy)
        let deployment = try await visibleDeployment(context, identity)
        let body = try await JSONBody.decode(CancelBody.self, from: request)
        let stopped = try await control.cancel(deploymentID: deployment.id, reason: body.reason, immediately: false, by: identity)
        return try JSONBody.response(DeployCancelJSON(success: stopped.state == .canceled))
    }

    private func visibleDeployment(_ context: SlipwayRequestContext, _ identity: Identity) async throws -> Deployment {
        let text = context.parameters.get("deploy") ?? ""
        guard let uid = PrefixedID.deployment.parse(text),
            let deployment = try await queries.deployment(uid: uid, workspaceID: identity.workspace.id)
        else {
            throw SlipwayError.notFound("deploy '\(text.count > 80 ? String(text.prefix(80)) + "…" : text)' not found")
        }
        return deployment
    }
}
