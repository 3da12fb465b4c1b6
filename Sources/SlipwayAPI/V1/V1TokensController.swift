import Hummingbird
import SlipwayCore

/// `POST/GET /api/v1/tokens`, `DELETE /api/v1/tokens/{id}`: API keys of the workspace (admin scope).
struct V1TokensController {
    /// Workspaces, users and tokens.
    let identities: any IdentityRepository

    func addRoutes(to group: RouterGroup<SlipwayRequestContext>) {
        group.post(use: create)
        group.get(use: list)
        group.delete(":id", use: delete)
    }

    struct CreateBody: Decodable {
        var name: String?
        var scopes: [String]?
        /// When the token stops working (ISO 8601, in the future); absent or null: never.
        var expiresAt: String?

        enum CodingKeys: String, CodingKey {
            case name, scopes
            case expiresAt = "expires_at"
        }
    }

    @Sendable func create(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.admin)
        let body = try await JSONBody.decode(CreateBody.self, from: request)
        let created = try await TokenService(identities: identities).create(
            name: body.name, scopes: body.scopes, expiresAt: body.expiresAt, by: identity)
        context.audit.target(id: String(created.token.id), name: created.token.name)
        context.audit.detail("scopes", .names(created.token.scopes.map(\.rawValue).sorted()))
        return try JSONBody.response(V1Token(token: created.token, secret: created.secret), status: .created)
    }

    @Sendable func list(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.admin)
        let tokens = try await TokenService(identities: identities).tokens(of: identity)
        return try JSONBody.response(["data": tokens.map { V1Token(token: $0) }])
    }

    @Sendable func delete(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.admin)
        let text = context.parameters.get("id") ?? ""
        guard let id = Int64(text) else { throw SlipwayError.notFound("token \(text) not found") }
        try await TokenService(identities: identities).revoke(id: id, by: identity)
        return try JSONBody.response(V1ActionResult(message: "Token revoked."))
    }
}
