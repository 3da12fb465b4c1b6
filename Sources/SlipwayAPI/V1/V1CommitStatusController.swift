import Foundation
import Hummingbird
import SlipwayCore

/// `GET/PUT/DELETE /api/v1/projects/{id}/commit-status`: where a project's deployments are posted back as commit
/// statuses (GitHub, GitLab, Gitea/Forgejo; docs/notifications.md). The token is sealed and never shown back.
/// Reading needs `read`; setting and removing need `admin`.
struct V1CommitStatusController {
    let lookup: V1Lookup
    let notifications: NotificationService

    func addRoutes(to group: RouterGroup<SlipwayRequestContext>) {
        group.get("projects/:project/commit-status", use: show)
        group.put("projects/:project/commit-status", use: set)
        group.delete("projects/:project/commit-status", use: remove)
    }

    struct SetBody: Decodable {
        var forge: String?
        var repository: String?
        var token: String?
        var apiURL: String?

        enum CodingKeys: String, CodingKey {
            case forge, repository, token, apiURL = "api_url"
        }
    }

    @Sendable func show(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.read)
        let project = try await lookup.project(context.parameters.get("project"), identity)
        let (destination, deliveries) = try await notifications.commitStatus(of: project)
        return try JSONBody.response(V1CommitStatus(destination, deliveries: deliveries))
    }

    /// 200 with the settings; 422 naming `forge`, `repository`, `token` or `api_url`.
    @Sendable func set(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.admin)
        let project = try await lookup.project(context.parameters.get("project"), identity)
        let body = try await JSONBody.decode(SetBody.self, from: request)
        let destination = try await notifications.setCommitStatus(
            forge: body.forge, repository: body.repository, token: body.token, apiURL: body.apiURL, of: project)
        return try JSONBody.response(V1CommitStatus(destination, deliveries: []))
    }

    @Sendable func remove(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.admin)
        let project = try await lookup.project(context.parameters.get("project"), identity)
        try await notifications.removeCommitStatus(of: project)
        return try JSONBody.response(V1ActionResult(message: "Commit statuses turned off."))
    }
}

/// `{forge, repository, api_url, has_token, deliveries}`: the token never shown.
struct V1CommitStatus: Encodable {
    var forge: String
    var repository: String
    var apiURL: String
    var hasToken: Bool
    var deliveries: [V1NotificationDelivery]

    init(_ destination: NotificationDestination, deliveries: [NotificationDelivery]) {
        forge = destination.kind.rawValue
        repository = destination.repository ?? ""
        apiURL = destination.url
        hasToken = destination.secret != nil
        self.deliveries = deliveries.map(V1NotificationDelivery.init)
    }

    enum CodingKeys: String, CodingKey {
        case forge, repository, apiURL = "api_url", hasToken = "has_token", deliveries
    }
}
