import Foundation
import Hummingbird
import SlipwayCore

/// `POST /api/v1/hooks/git/{project_uid}`: git push webhooks of GitHub, GitLab, Gitea/Forgejo and the generic shape.
/// A public route: the signature made with the project's `webhook_secret` authenticates the sender, not a token.
struct WebhookController {
    /// What the edge routes to.
    let routes: RouteTable
    /// The public URLs of projects and deployments.
    let urls: PublicURLs
    /// Failed authentications per client address.
    let authenticationFailures: AuthenticationFailureLimiter
    /// How many unverified webhook bodies may be read at once.
    let webhookBodies: WebhookBodyGate
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
        // The body is unverified until it has been read whole: an address that sent wrong signatures to this
        // project too often lately is refused before, and only a few large bodies are read at once.
        let address = context.remoteAddress?.ipAddress
        let failures = authenticationFailures
        if let wait = failures.refusal(.webhookSignature, address: address, scope: project.uid.lowercased) {
            throw APIError.tooManyAuthenticationFailures(after: wait)
        }
        let contentLength = request.headers[.contentLength].flatMap { Int($0) }
        if let contentLength, contentLength > Self.maximumBody { return try Self.tooLarge() }
        guard let slot = await webhookBodies.slot(forContentLength: contentLength) else {
            var response = try JSONBody.response(
                V1ErrorMiddleware.Body(message: "too many large webhook deliveries are being received at once; retry later"),
                status: .serviceUnavailable
            )
            response.headers[.retryAfter] = String(AuthenticationFailureLimiter.seconds(webhookBodies.configuration.wait))
            return response
        }
        let buffer: ByteBuffer
        do {
            defer { slot.release() }
            guard let collected = try await Self.collect(request.body, expectedLength: contentLength) else { return try Self.tooLarge() }
            buffer = collected
            let headers = request.headers.lowercasedDictionary
            let provider = WebhookPayload.provider(headers: headers)
            let verified = buffer.withUnsafeReadableBytes { bytes in
                WebhookSignature.verify(provider: provider, headers: headers, body: bytes, secret: project.webhookSecret)
            }
            guard verified else {
                failures.recordFailure(.webhookSignature, address: address, scope: project.uid.lowercased)
                return try JSONBody.response(
                    V1ErrorMiddleware.Body(message: "the webhook signature does not match the project's webhook_secret (\(provider.rawValue))"),
                    status: .unauthorized
                )
            }
        }
        let body = Data(buffer.readableBytesView)
        let headers = request.headers.lowercasedDictionary
        let provider = WebhookPayload.provider(headers: headers)
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

    /// The body, read into one buffer of its announced size; nil when it is larger than `maximumBody`.
    static func collect(_ body: RequestBody, expectedLength: Int?) async throws -> ByteBuffer? {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(min(expectedLength ?? 0, maximumBody))
        for try await var chunk in body {
            guard buffer.readableBytes + chunk.readableBytes <= maximumBody else { return nil }
            buffer.writeBuffer(&chunk)
        }
        return buffer
    }

    /// The 413 for a payload over `maximumBody`.
    static func tooLarge() throws -> Response {
        try JSONBody.response(
            V1ErrorMiddleware.Body(
                message: "webhook payloads are limited to 25 MB (\(maximumBody) bytes), as GitHub limits them; this one is larger"),
            status: .contentTooLarge
        )
    }

    private func view(_ project: Project) -> (Deployment) -> V1Deployment {
        { V1Deployment(deployment: $0, project: project, urls: urls, routes: routes) }
    }

    /// The reason of a skipped deployment.
    static func skipReason(_ deployment: Deployment) -> String? {
        deployment.state == .skipped ? deployment.progress.reason : nil
    }
}

/// `POST /api/v1/projects/{id}/unpin`: production follows pushes to the production branch again.
struct V1PinController {
    /// Projects of the workspace.
    let projects: any ProjectRepository
    /// Projects and deployments by the references of the native API's paths.
    let lookup: V1Lookup

    /// Adds the route to the `/api/v1` group.
    func addRoutes(to group: RouterGroup<SlipwayRequestContext>) {
        group.post("projects/:project/unpin", use: unpin)
    }

    @Sendable func unpin(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.deploy)
        let project = try await lookup.project(context.parameters.get("project"), identity)
        try await projects.setProductionPinned(projectID: project.id, pinned: false)
        return try JSONBody.response(
            V1ActionResult(message: "Production of \(project.name) is unpinned: the next production deployment takes production.")
        )
    }
}
