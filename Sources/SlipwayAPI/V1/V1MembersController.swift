import Hummingbird
import SlipwayCore

/// `GET /api/v1/members`, `PATCH/DELETE /api/v1/members/{user_id}` (docs/tenancy.md): the members of the workspace
/// the request acts in. Any member reads the list and may leave; owners change roles and remove members.
struct V1MembersController {
    let tenancy: TenancyService

    func addRoutes(to group: RouterGroup<SlipwayRequestContext>) {
        group.get(use: list)
        group.patch(":user_id", use: setRole)
        group.delete(":user_id", use: remove)
    }

    struct RoleBody: Decodable {
        var role: String
    }

    @Sendable func list(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let members = try await tenancy.members(of: try context.require(.read))
        return try JSONBody.response(["data": members.map(V1Member.init)])
    }

    @Sendable func setRole(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        try identity.requireOwner()
        let userID = try Self.userID(context)
        let body = try await JSONBody.decode(RoleBody.self, from: request)
        let member = try await tenancy.setRole(try V1RoleField.parse(body.role), ofUser: userID, by: identity)
        return try JSONBody.response(V1Member(member: member))
    }

    @Sendable func remove(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.read)
        let userID = try Self.userID(context)
        try await tenancy.removeMember(userID: userID, by: identity)
        return try JSONBody.response(
            V1ActionResult(message: "User \(userID) removed from workspace '\(identity.workspace.name)'; their tokens and sessions there have ended.")
        )
    }

    private static func userID(_ context: SlipwayRequestContext) throws -> Int64 {
        let text = context.parameters.get("user_id") ?? ""
        guard let id = Int64(text) else { throw SlipwayError.notFound("member \(text) not found") }
        return id
    }
}
