import Foundation
import Hummingbird
import SlipwayCore

/// `POST /api/v1/hooks/git/{project_uid}`: git push webhooks of GitHub, GitLab, Gitea/Forgejo and the generic shape.
/// A public route: the signature made with the project's `webhook_secret` authenticates the sender, not a token.
struct WebhookController {
    let dependencies: APIDependencies
    let git: GitIntegration

    /// The largest payload accepted (GitHub caps its payloads at 25 MB).
    static let maximumBody = 25 << 20

    /// Adds the route to the router itself, outside the bearer-authenticated group.
    func addRoutes(to router: Router<SlipwayRequestContext>) {
        router.post("api/v1/hooks/git/:project_uid", use: receive)
    }

    /// What a delivery created, if anything.
    struct Answer: Encodable {
        var status = "success"
        var message: String
        var event: String
        var deploymentID: Int64?
        var skipReason: String?
        var deployment: V1Deployment?

        enum CodingKeys: String, CodingKey {
            case status, message, event, deployment
            case deploymentID = "deployment_id", skipReason = "skip_reason"
        }
    }

    @Sendable func receive(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let reference = context.parameters.get("project_uid") ?? ""
        guard let uid = UUID(uuidString: reference), let project = try await git.sources.project(uid: uid) else {
            throw SlipwayError.notFound("project '\(reference)' not found")
        }
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: Self.maximumBody)
        } catch {
            throw APIError.bodyTooLarge(limit: Self.maximumBody)
        }
        let body = Data(buffer.readableBytesView)
        let headers = request.headers.lowercasedDictionary
        let provider = WebhookPayload.provider(headers: headers)
        guard WebhookSignature.verify(provider: provider, headers: headers, body: body, secret: project.webhookSecret) else {
            return try JSONBody.response(
                V1ErrorMiddleware.Body(message: "the webhook signature does not match the project's webhook_secret (\(provider.rawValue))"),
                status: .unauthorized
            )
        }
        switch try WebhookPayload.parse(provider: provider, headers: headers, body: body) {
        case .ping:
            return try JSONBody.response(Answer(message: "pong", event: "ping"))
        case .ignored(let reason):
            return try JSONBody.response(Answer(message: "ignored: \(reason)", event: "other"))
        case .push(let push):
            switch try await git.pushes.receive(push, project: project) {
            case .ignored(let reason):
                return try JSONBody.response(Answer(message: "ignored: \(reason)", event: "push"))
            case .duplicate(let deliveryID, let deployment):
                return try JSONBody.response(
                    Answer(
                        message: "delivery \(deliveryID) was received before; nothing new deployed", event: "push", deploymentID: deployment?.id,
                        skipReason: deployment.flatMap(Self.skipReason), deployment: deployment.map(view(project))
                    )
                )
            case .created(let deployment):
                let skip = Self.skipReason(deployment)
                return try JSONBody.response(
                    Answer(
                        message: skip.map { "Deployment recorded as skipped: \($0)" } ?? "Deployment queued.", event: "push",
                        deploymentID: deployment.id, skipReason: skip, deployment: view(project)(deployment)
                    ),
                    status: .created
                )
            }
        }
    }

    private func view(_ project: Project) -> (Deployment) -> V1Deployment {
        { V1Deployment(deployment: $0, project: project, urls: dependencies.urls, routes: dependencies.routes) }
    }

    /// The reason of a skipped deployment.
    static func skipReason(_ deployment: Deployment) -> String? {
        deployment.state == .skipped ? deployment.progress.reason : nil
    }
}

/// `POST /api/v1/projects/{id}/unpin`: production follows pushes to the production branch again.
struct V1PinController {
    let dependencies: APIDependencies

    /// Adds the route to the `/api/v1` group.
    func addRoutes(to group: RouterGroup<SlipwayRequestContext>) {
        group.post("projects/:project/unpin", use: unpin)
    }

    @Sendable func unpin(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.deploy)
        let project = try await V1Lookup(dependencies: dependencies).project(context.parameters.get("project"), identity)
        try await dependencies.projects.setProductionPinned(projectID: project.id, pinned: false)
        return try JSONBody.response(
            V1ActionResult(message: "Production of \(project.name) is unpinned: the next production deployment takes production.")
        )
    }
}
