import Hummingbird
import SlipwayCore

/// `GET /api/v1/me`: the token's user, workspace and scopes.
struct V1MeController {

    func addRoutes(to group: RouterGroup<SlipwayRequestContext>) {
        group.get("me", use: me)
    }

    struct Me: Encodable {
        struct User: Encodable {
            var id: Int64
            var name: String
        }
        struct Workspace: Encodable {
            var id: Int64
            var uid: String
            var name: String
            var cloudflareAccountID: String
            enum CodingKeys: String, CodingKey {
                case id, uid, name
                case cloudflareAccountID = "cloudflare_account_id"
            }
        }
        struct Token: Encodable {
            var id: Int64
            var name: String
        }
        var user: User
        var workspace: Workspace
        var token: Token
        var scopes: [Scope]
    }

    @Sendable func me(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.read)
        let workspace = identity.workspace
        return try JSONBody.response(
            Me(
                user: .init(id: identity.user.id, name: identity.user.name),
                workspace: .init(
                    id: workspace.id, uid: workspace.uid.lowercased, name: workspace.name, cloudflareAccountID: workspace.cloudflareAccountID),
                token: .init(id: identity.token.id, name: identity.token.name),
                scopes: identity.token.scopes.sorted()
            )
        )
    }
}
