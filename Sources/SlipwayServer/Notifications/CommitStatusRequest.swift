import Foundation
import SlipwayCore

/// The request that posts a deployment's state as its commit's status, in each forge's published shape:
/// - GitHub: `POST {api}/repos/{owner}/{repo}/statuses/{sha}`, `Authorization: Bearer <token>`,
///   `{state: pending|success|failure|error, target_url, description, context}`;
/// - GitLab: `POST {api}/projects/{id or url-encoded path}/statuses/{sha}`, `PRIVATE-TOKEN: <token>`,
///   `{state: pending|running|success|failed|canceled, target_url, description, name}`;
/// - Gitea and Forgejo: `POST {api}/repos/{owner}/{repo}/statuses/{sha}`, `Authorization: token <token>`, GitHub's
///   body (`warning` is a state there too, unused here).
enum CommitStatusRequest {
    struct Body: Encodable {
        var state: String
        var targetURL: String?
        var description: String
        var context: String?
        var name: String?

        enum CodingKeys: String, CodingKey {
            case state, targetURL = "target_url", description, context, name
        }
    }

    struct MissingCommit: Error, CustomStringConvertible {
        var description: String { "the deployment has no commit to post a status for" }
    }

    static func make(_ due: DueNotification, deploymentURL: String?) throws -> NotificationMessage {
        let destination = due.destination
        guard let deployment = due.delivery.event.deployment, let sha = deployment.commitID, let repository = destination.repository else {
            throw MissingCommit()
        }
        let context = "slipway/\(due.projectName ?? "deployment")"
        let state = state(for: due.delivery.event.kind, forge: destination.kind)
        let description = description(for: due.delivery.event.kind, deployment: deployment)
        let token = destination.secret ?? ""
        let path: String
        var headers = [("Content-Type", "application/json"), ("User-Agent", "Slipway-Commit-Status"), ("Accept", "application/json")]
        let body: Body
        switch destination.kind {
        case .gitlab:
            let project =
                repository.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_."))) ?? repository
            path = "/projects/\(project)/statuses/\(sha)"
            headers.append(("PRIVATE-TOKEN", token))
            body = Body(state: state, targetURL: deploymentURL, description: description, context: nil, name: context)
        case .gitea:
            path = "/repos/\(repository)/statuses/\(sha)"
            headers.append(("Authorization", "token \(token)"))
            body = Body(state: state, targetURL: deploymentURL, description: description, context: context, name: nil)
        default:
            path = "/repos/\(repository)/statuses/\(sha)"
            headers = headers.filter { $0.0 != "Accept" } + [("Accept", "application/vnd.github+json"), ("X-GitHub-Api-Version", "2022-11-28")]
            headers.append(("Authorization", "Bearer \(token)"))
            body = Body(state: state, targetURL: deploymentURL, description: description, context: context, name: nil)
        }
        return NotificationMessage(body: try NotificationMessage.encoder.encode(body), headers: headers, url: destination.url + path)
    }

    /// The forge's state for a deployment event.
    static func state(for event: NotificationEventKind, forge: NotificationDestinationKind) -> String {
        switch (event, forge) {
        case (.deploymentStarted, .gitlab): "running"
        case (.deploymentSucceeded, _): "success"
        case (.deploymentFailed, .gitlab): "failed"
        case (.deploymentFailed, _): "failure"
        case (.deploymentCanceled, .gitlab): "canceled"
        case (.deploymentCanceled, _): "error"
        default: "pending"
        }
    }

    /// A short description (forges cut it at 140 characters).
    static func description(for event: NotificationEventKind, deployment: NotificationDeploymentSnapshot) -> String {
        let text: String
        switch event {
        case .deploymentQueued: text = "Deployment \(deployment.id) queued"
        case .deploymentStarted: text = "Deployment \(deployment.id) building"
        case .deploymentSucceeded: text = "Deployment \(deployment.id) is live"
        case .deploymentFailed: text = "Deployment \(deployment.id) failed" + (deployment.error.map { ": \($0)" } ?? "")
        case .deploymentCanceled: text = "Deployment \(deployment.id) canceled"
        default: text = "Deployment \(deployment.id)"
        }
        return String(text.prefix(140))
    }
}
