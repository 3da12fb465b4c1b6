import Foundation
import Hummingbird
import SlipwayCore

/// The deployment endpoints of seed 000: create, retrieve (with its output), rerun, rollback; and the JSON logs.
struct V1DeploymentsController {
    /// Deploy, rerun, roll back, promote.
    let deploymentService: DeploymentService
    /// Cancel, kill, delete and the queue.
    let control: DeploymentControlService
    /// Deployment logs.
    let logReader: any DeploymentLogReader
    /// What the edge routes to.
    let routes: RouteTable
    /// The public URLs of projects and deployments.
    let urls: PublicURLs
    /// Projects and deployments by the references of the native API's paths.
    let lookup: V1Lookup

    /// How many lines of each kind a single deployment's `output` carries; the logs endpoint has them all.
    static let outputLineLimit = 5_000

    func addRoutes(to group: RouterGroup<SlipwayRequestContext>) {
        group.post("deployments", use: create)
        group.get("deployments/:deployment", use: show)
        group.post("deployments/:deployment/rerun", use: rerun)
        group.post("deployments/:deployment/rollback", use: rollback)
        group.post("deployments/:deployment/cancel", use: cancel)
        group.post("deployments/:deployment/kill", use: kill)
        group.delete("deployments/:deployment", use: delete)
        group.get("queue", use: queue)
    }

    struct CreateBody: Decodable {
        var projectIDs: [Int64]?
        var gitBranch: String?
        var commitID: String?
        var environment: String?
        var description: String?

        enum CodingKeys: String, CodingKey {
            case projectIDs = "project_ids", gitBranch = "git_branch", commitID = "commit_id", environment, description
        }
    }

    struct Created: Encodable {
        var message = "Deployment queued successfully."
        var status = "success"
        var deploymentIDs: [Int64]
        var deployments: [V1Deployment]

        enum CodingKeys: String, CodingKey {
            case message, status, deployments
            case deploymentIDs = "deployment_ids"
        }
    }

    @Sendable func create(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.deploy)
        let body = try await JSONBody.decode(CreateBody.self, from: request)
        guard let projectIDs = body.projectIDs else { throw SlipwayError.invalid("project_ids", "is required: an array of project ids") }
        if projectIDs.count > 100 { throw SlipwayError.invalid("project_ids", "must list at most 100 projects") }
        var environment: DeploymentEnvironment?
        if let text = body.environment {
            guard let parsed = DeploymentEnvironment(rawValue: text) else {
                throw SlipwayError.invalid("environment", "must be 'production' or 'preview', got '\(text)'")
            }
            environment = parsed
        }
        if let description = body.description, description.count > 1000 {
            throw SlipwayError.invalid("description", "must be at most 1000 characters")
        }
        let deployments = try await deploymentService.deploy(
            projectIDs: projectIDs,
            request: DeployRequest(gitBranch: body.gitBranch, commitID: body.commitID, environment: environment, description: body.description),
            by: identity
        )
        context.audit.target(id: deployments.map { String($0.id) }.joined(separator: ","))
        context.audit.detail("project_ids", .names(projectIDs.map(String.init)))
        var projects: [Int64: Project] = [:]
        var shown: [V1Deployment] = []
        for deployment in deployments {
            if projects[deployment.projectID] == nil {
                projects[deployment.projectID] = try await lookup.project(String(deployment.projectID), identity)
            }
            let project = projects[deployment.projectID]!
            shown.append(V1Deployment(deployment: deployment, project: project, urls: urls, routes: routes))
        }
        return try JSONBody.response(Created(deploymentIDs: deployments.map(\.id), deployments: shown))
    }

    @Sendable func show(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.read)
        let (deployment, project) = try await lookup.deployment(context.parameters.get("deployment"), identity)
        let tail = try logReader.tail(deploymentUID: deployment.uid, limit: Self.outputLineLimit)
        let output = V1DeploymentOutput(
            clientPayload: tail.client.map(\.text), systemPayload: tail.system.map { "\(clock($0.timestamp)) - \($0.text)" },
            truncated: tail.truncated
        )
        return try JSONBody.response(
            V1Deployment(deployment: deployment, project: project, urls: urls, routes: routes, output: output))
    }

    @Sendable func rerun(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.deploy)
        let id = try deploymentID(context)
        let rerun = try await deploymentService.rerun(deploymentID: id, by: identity)
        return try JSONBody.response(V1ActionResult(message: "Rerun queued.", deploymentID: rerun.id))
    }

    @Sendable func rollback(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.deploy)
        let id = try deploymentID(context)
        let rollback = try await deploymentService.rollback(to: id, by: identity)
        return try JSONBody.response(V1ActionResult(message: "Rollback queued.", deploymentID: rollback.id))
    }

    struct StopBody: Decodable {
        var reason: String?
    }

    /// `{"status": "success", "message": …, "deployment": {…}}`: the deployment once it has ended.
    struct Stopped: Encodable {
        var status = "success"
        var message: String
        var deployment: V1Deployment
    }

    @Sendable func cancel(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        try await stop(request, context: context, immediately: false)
    }

    @Sendable func kill(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        try await stop(request, context: context, immediately: true)
    }

    private func stop(_ request: Request, context: SlipwayRequestContext, immediately: Bool) async throws -> Response {
        let identity = try context.require(.deploy)
        let id = try deploymentID(context)
        let body = try await JSONBody.decode(StopBody.self, from: request)
        let stopped = try await control.cancel(deploymentID: id, reason: body.reason, immediately: immediately, by: identity)
        let (_, project) = try await lookup.deployment(String(stopped.id), identity)
        let message =
            stopped.state == .canceled
            ? (immediately ? "Deployment killed." : "Deployment canceled.") : "Deployment is stopping (\(stopped.state.rawValue))."
        return try JSONBody.response(
            Stopped(
                message: message,
                deployment: V1Deployment(deployment: stopped, project: project, urls: urls, routes: routes))
        )
    }

    @Sendable func delete(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.deploy)
        let id = try deploymentID(context)
        let force: Bool
        switch request.uri.queryParameters.get("force") {
        case nil, "false", "0": force = false
        case "true", "1": force = true
        case let other?: throw SlipwayError.invalid("force", "must be true or false, got '\(other)'")
        }
        try await control.delete(deploymentID: id, force: force, by: identity)
        return try JSONBody.response(V1ActionResult(message: "Deployment deleted."))
    }

    /// One line of `GET /api/v1/queue`.
    struct QueueLine: Encodable {
        var entry: QueueEntry

        enum CodingKeys: String, CodingKey {
            case deploymentID = "deployment_id", projectID = "project_id", projectName = "project_name", state, position
            case gitBranch = "git_branch", trigger, environment, queuedAt = "queued_at", startedAt = "started_at", activeStage = "active_stage"
            case waitingReason = "waiting_reason"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            let deployment = entry.deployment
            try container.encode(deployment.id, forKey: .deploymentID)
            try container.encode(deployment.projectID, forKey: .projectID)
            try container.encode(entry.projectName, forKey: .projectName)
            try container.encode(deployment.state == .running ? "active" : "waiting", forKey: .state)
            try container.encode(entry.position, forKey: .position)
            try container.encode(deployment.gitBranch, forKey: .gitBranch)
            try container.encode(deployment.trigger, forKey: .trigger)
            try container.encode(deployment.environment, forKey: .environment)
            try container.encode(Timestamp.format(deployment.createdAt), forKey: .queuedAt)
            try container.encode(deployment.startedAt.map(Timestamp.format), forKey: .startedAt)
            try container.encode(deployment.progress.activeStage, forKey: .activeStage)
            try container.encode(entry.waitingReason?.rawValue, forKey: .waitingReason)
        }
    }

    struct QueuePage: Encodable {
        var data: [QueueLine]
        var active: Int
        var waiting: Int
    }

    @Sendable func queue(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.read)
        let entries = try await control.queue(for: identity)
        return try JSONBody.response(
            QueuePage(
                data: entries.map(QueueLine.init), active: entries.filter { $0.position == nil }.count,
                waiting: entries.filter { $0.position != nil }.count
            )
        )
    }

    private func deploymentID(_ context: SlipwayRequestContext) throws -> Int64 {
        let text = context.parameters.get("deployment") ?? ""
        guard let id = Int64(text) else { throw SlipwayError.notFound("deployment '\(text)' not found") }
        return id
    }

    private func clock(_ date: Date) -> String {
        String(Timestamp.format(date).dropFirst(11).prefix(8))
    }
}
