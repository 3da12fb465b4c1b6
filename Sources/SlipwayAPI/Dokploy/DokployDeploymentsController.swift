import Foundation
import Hummingbird
import SlipwayCore

/// The Dokploy dialect (seed 002): `/api/deployment.*` listings by application, compose, server and type, the
/// centralized listing, the queue, kill and remove. Mounted on `/api` behind bearer (or `x-api-key`) authentication
/// and `DokployErrorMiddleware`. Ids are UUIDs: `deploymentId` is the deployment's, `applicationId` and `composeId`
/// the project's (docs/dokploy.md). A project whose build type is `compose` is a Dokploy compose (`composeId`), every other
/// project an application (`applicationId`): an id given as the other kind is not found, as in Dokploy.
struct DokployDeploymentsController {
    /// Projects of the workspace.
    let projects: any ProjectRepository
    /// Deployment records.
    let deployments: any DeploymentRepository
    /// Cancel, kill, delete and the queue.
    let control: DeploymentControlService
    /// Listings through the query language and build lookups.
    let queries: any DeploymentQueryRepository

    /// The service types of Dokploy that are databases: Slipway does not run them.
    static let databaseTypes: Set<String> = ["postgres", "mysql", "mariadb", "mongo", "redis"]

    /// Adds the eight endpoints to `group` (the `/api` group).
    func addRoutes(to group: RouterGroup<SlipwayRequestContext>) {
        group.get("deployment.all", use: all)
        group.get("deployment.allByCompose", use: allByCompose)
        group.get("deployment.allByServer", use: allByServer)
        group.get("deployment.allCentralized", use: allCentralized)
        group.get("deployment.queueList", use: queueList)
        group.get("deployment.allByType", use: allByType)
        group.post("deployment.killProcess", use: killProcess)
        group.post("deployment.removeDeployment", use: removeDeployment)
    }

    /// `GET /api/deployment.all?applicationId=`: the project's deployments, newest first.
    @Sendable func all(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.read)
        let project = try await visibleProject(try required("applicationId", in: request), field: "applicationId", as: .application, identity)
        return try JSONBody.response(try await deployments(of: project).map { DokployDeploymentJSON(deployment: $0, project: project) })
    }

    /// `GET /api/deployment.allByCompose?composeId=`: the deployments of a project whose build type is `compose`.
    @Sendable func allByCompose(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.read)
        let project = try await visibleProject(try required("composeId", in: request), field: "composeId", as: .compose, identity)
        return try JSONBody.response(try await deployments(of: project).map { DokployDeploymentJSON(deployment: $0, project: project) })
    }

    /// `GET /api/deployment.allByServer?serverId=`: the deployments of the workspace that ran on that server
    /// (`1` or `local` is this install's own server).
    @Sendable func allByServer(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.read)
        let text = try required("serverId", in: request)
        guard let serverID = text == "local" ? 1 : Int64(text), serverID == 1 else {
            throw SlipwayError.notFound("server '\(Self.clipped(text))' not found")
        }
        let shown = try await workspaceDeployments(identity).filter { $0.deployment.serverID == serverID }
        return try JSONBody.response(shown)
    }

    /// `GET /api/deployment.allCentralized`: every deployment of the workspace, newest first.
    @Sendable func allCentralized(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.read)
        return try JSONBody.response(try await workspaceDeployments(identity))
    }

    /// `GET /api/deployment.queueList`: the workspace's active and waiting deployments as queue jobs.
    @Sendable func queueList(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.read)
        let entries = try await control.queue(for: identity)
        let projects = try await projects(ids: entries.map(\.deployment.projectID), identity)
        return try JSONBody.response(entries.map { DokployQueueJobJSON(entry: $0, project: projects[$0.deployment.projectID]) })
    }

    /// `GET /api/deployment.allByType?type=&id=`: `application` and `compose` are projects of those build types; database
    /// types answer 400.
    @Sendable func allByType(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.read)
        let typeText = try required("type", in: request)
        if Self.databaseTypes.contains(typeText) {
            throw SlipwayError.invalid("type", "Slipway does not run databases ('\(typeText)'); only 'application' and 'compose' have deployments")
        }
        guard let type = DokployServiceType(rawValue: typeText) else {
            throw SlipwayError.invalid(
                "type", "must be one of application, compose, postgres, mysql, mariadb, mongo, redis; got '\(Self.clipped(typeText))'")
        }
        let project = try await visibleProject(try required("id", in: request), field: "id", as: type, identity)
        return try JSONBody.response(try await deployments(of: project).map { DokployDeploymentJSON(deployment: $0, project: project) })
    }

    /// The body of `killProcess` and `removeDeployment`.
    struct DeploymentBody: Decodable {
        var deploymentId: String
        /// `removeDeployment` only, Slipway's addition: delete even what an alias points at.
        var force: Bool?
    }

    /// `POST /api/deployment.killProcess {deploymentId}`: SIGKILL to a queued or running deployment's processes;
    /// answers the deployment once it has ended (`cancelled`, reason `killed`).
    @Sendable func killProcess(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.deploy)
        let body = try await JSONBody.decode(DeploymentBody.self, from: request)
        context.audit.target(id: body.deploymentId)
        let deployment = try await visibleDeployment(body.deploymentId, identity)
        let killed = try await control.cancel(deploymentID: deployment.id, reason: nil, immediately: true, by: identity)
        return try JSONBody.response(try await json(killed, identity))
    }

    /// `POST /api/deployment.removeDeployment {deploymentId}`: deletes a finished deployment (409 by DESIGN.md §2's
    /// delete rules); answers the removed deployment, as Dokploy does.
    @Sendable func removeDeployment(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.deploy)
        let body = try await JSONBody.decode(DeploymentBody.self, from: request)
        context.audit.target(id: body.deploymentId)
        let deployment = try await visibleDeployment(body.deploymentId, identity)
        let shown = try await json(deployment, identity)
        try await control.delete(deploymentID: deployment.id, force: body.force ?? false, by: identity)
        return try JSONBody.response(shown)
    }

    private func json(_ deployment: Deployment, _ identity: Identity) async throws -> DokployDeploymentJSON {
        DokployDeploymentJSON(deployment: deployment, project: try await projects(ids: [deployment.projectID], identity)[deployment.projectID])
    }

    /// The workspace's projects of `ids`, by id (a project deleted meanwhile is absent).
    private func projects(ids: [Int64], _ identity: Identity) async throws -> [Int64: Project] {
        var found: [Int64: Project] = [:]
        for id in Set(ids) {
            if let project = try await projects.project(id: id, workspaceID: identity.workspace.id) { found[id] = project }
        }
        return found
    }

    /// A required query parameter; 400 naming it when absent or empty.
    private func required(_ name: String, in request: Request) throws -> String {
        guard let value = request.uri.queryParameters.get(name), !value.isEmpty else { throw SlipwayError.invalid(name, "is required") }
        return value
    }

    private static func clipped(_ text: String) -> String { text.count > 80 ? String(text.prefix(80)) + "…" : text }

    /// The project `text` names, when the caller's workspace has it and it is of `type`: a compose's id given as an
    /// `applicationId` (or the reverse) is not found, as in Dokploy, where they are different tables.
    private func visibleProject(_ text: String, field: String, as type: DokployServiceType, _ identity: Identity) async throws -> Project {
        guard let uid = UUID(uuidString: text), let id = try await queries.projectID(uid: uid, workspaceID: identity.workspace.id),
            let project = try await projects.project(id: id, workspaceID: identity.workspace.id), DokployServiceType(of: project) == type
        else { throw SlipwayError.notFound("\(field) '\(Self.clipped(text))' not found") }
        return project
    }

    private func visibleDeployment(_ text: String, _ identity: Identity) async throws -> Deployment {
        guard let uid = UUID(uuidString: text),
            let deployment = try await queries.deployment(uid: uid, workspaceID: identity.workspace.id)
        else { throw SlipwayError.notFound("deployment '\(Self.clipped(text))' not found") }
        return deployment
    }

    /// Every deployment of one project, newest first.
    private func deployments(of project: Project) async throws -> [Deployment] {
        var all: [Deployment] = []
        var number = 1
        while true {
            let (items, total) = try await deployments.deployments(projectID: project.id, page: Page(number: number, size: 500))
            all += items
            if items.isEmpty || all.count >= total { return all }
            number += 1
        }
    }

    /// Every deployment of the workspace, newest first, with their projects' UUIDs.
    private func workspaceDeployments(_ identity: Identity) async throws -> [DokployDeploymentJSON] {
        var shown: [DokployDeploymentJSON] = []
        var number = 1
        while true {
            let (projects, total) = try await projects.projects(
                workspaceID: identity.workspace.id, page: Page(number: number, size: 500))
            for project in projects {
                shown += try await deployments(of: project).map { DokployDeploymentJSON(deployment: $0, project: project) }
            }
            if projects.isEmpty || number * 500 >= total { break }
            number += 1
        }
        return shown.sorted { ($0.deployment.createdAt, $0.deployment.id) > ($1.deployment.createdAt, $1.deployment.id) }
    }
}
