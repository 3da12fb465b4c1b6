import Crypto
import Foundation
import SlipwayCore

/// The HTTP request one delivery makes: the body for the destination's kind and its headers. Pure, so a receiver's
/// view of a payload is tested without a socket.
struct NotificationMessage: Equatable {
    var body: Data
    var headers: [(String, String)]
    /// Where it goes: the destination's URL, or a forge's status endpoint under its API.
    var url: String = ""

    static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.body == rhs.body && lhs.url == rhs.url && lhs.headers.map { "\($0.0): \($0.1)" } == rhs.headers.map { "\($0.0): \($0.1)" }
    }

    /// The message of `due`: a generic webhook gets the JSON event signed with its secret (`X-Slipway-Signature:
    /// sha256=<hex HMAC-SHA256 of the body>`); Slack gets `{"text": …}`, Discord `{"content": …}`.
    static func make(_ due: DueNotification, urls: PublicURLs) throws -> NotificationMessage {
        let event = due.delivery.event
        let deploymentURL = event.deployment.flatMap { deployment in
            due.projectName.map { urls.url(for: RouteKey.deployment(shortID: deployment.shortID, project: $0)) }
        }
        var headers = [
            ("Content-Type", "application/json"), ("User-Agent", "Slipway-Notifications"), ("X-Slipway-Event", event.kind.rawValue),
            ("X-Slipway-Delivery", String(due.delivery.id)),
        ]
        let body: Data
        switch due.destination.kind {
        case .webhook:
            body = try encoder.encode(
                WebhookPayload(
                    event: event.kind.rawValue, deliveryID: due.delivery.id, occurredAt: event.occurredAt, workspaceID: event.workspaceID,
                    project: event.projectID.map { WebhookPayload.Project(id: $0, name: due.projectName) },
                    deployment: event.deployment.map { WebhookPayload.Deployment($0, url: deploymentURL) }, detail: event.detail))
            if let secret = due.destination.secret {
                headers.append(("X-Slipway-Signature", signature(of: body, secret: secret)))
            }
        case .slack:
            body = try encoder.encode(["text": summary(event, projectName: due.projectName, url: deploymentURL)])
        case .discord:
            body = try encoder.encode(["content": summary(event, projectName: due.projectName, url: deploymentURL)])
        case .github, .gitlab, .gitea:
            return try CommitStatusRequest.make(due, deploymentURL: deploymentURL)
        }
        return NotificationMessage(body: body, headers: headers, url: due.destination.url)
    }

    /// `sha256=` and the hex HMAC-SHA256 of `body` under `secret`.
    static func signature(of body: Data, secret: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + code.map { String(format: "%02x", $0) }.joined()
    }

    /// One line for a chat: `[site] deployment 7 (production, main @ 1a2b3c4) succeeded: http://…`.
    static func summary(_ event: NotificationEvent, projectName: String?, url: String?) -> String {
        let project = projectName.map { "[\($0)] " } ?? ""
        var line: String
        if let deployment = event.deployment {
            let commit = deployment.commitID.map { " @ \($0.prefix(7))" } ?? ""
            let what: String
            switch event.kind {
            case .deploymentQueued: what = "queued"
            case .deploymentStarted: what = "started"
            case .deploymentSucceeded: what = "succeeded"
            case .deploymentFailed: what = "failed" + (deployment.error.map { ": \($0)" } ?? "")
            case .deploymentCanceled: what = "was canceled" + (deployment.reason.map { ": \($0)" } ?? "")
            case .deploymentRollback: what = "rolls back production"
            case .serviceCrashed: what = "crashed" + (event.detail.map { " (\($0))" } ?? "")
            case .serviceRestarted: what = "was restarted"
            case .certificateFailing, .test: what = event.kind.rawValue
            }
            line = "\(project)deployment \(deployment.id) (\(deployment.environment.rawValue), \(deployment.gitBranch)\(commit)) \(what)"
            if let url, event.kind != .deploymentFailed, event.kind != .deploymentCanceled { line += ": \(url)" }
        } else if event.kind == .certificateFailing {
            line = "\(project)certificate failing: \(event.detail ?? "")"
        } else {
            line = "\(project)Slipway: \(event.kind.rawValue)" + (event.detail.map { ": \($0)" } ?? "")
        }
        return line
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}

/// The generic webhook's JSON body (docs/notifications.md).
struct WebhookPayload: Encodable {
    struct Project: Encodable {
        var id: Int64
        var name: String?
    }

    struct Deployment: Encodable {
        var id: Int64
        var uid: UUID
        var state: DeploymentState
        var url: String?
        var environment: DeploymentEnvironment
        var trigger: DeploymentTrigger
        var branch: String
        var commit: String?
        var reason: String?
        var error: String?

        init(_ snapshot: NotificationDeploymentSnapshot, url: String?) {
            id = snapshot.id
            uid = snapshot.uid
            state = snapshot.state
            self.url = url
            environment = snapshot.environment
            trigger = snapshot.trigger
            branch = snapshot.gitBranch
            commit = snapshot.commitID
            reason = snapshot.reason
            error = snapshot.error
        }
    }

    var event: String
    var deliveryID: Int64
    var occurredAt: Date
    var workspaceID: Int64
    var project: Project?
    var deployment: Deployment?
    var detail: String?

    enum CodingKeys: String, CodingKey {
        case event, deliveryID = "delivery_id", occurredAt = "occurred_at", workspaceID = "workspace_id", project, deployment, detail
    }
}
