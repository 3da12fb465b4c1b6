import Hummingbird
import SlipwayCore

/// `GET/POST /api/v1/workspaces`, `PATCH/DELETE /api/v1/workspaces/{id}` (docs/tenancy.md): install administrators
/// create, rename and delete workspaces and list every one; anyone else lists their own.
struct V1WorkspacesController {
    let tenancy: TenancyService

    func addRoutes(to group: RouterGroup<SlipwayRequestContext>) {
        group.get(use: list)
        group.post(use: create)
        group.patch(":id", use: rename)
        group.delete(":id", use: delete)
    }

    struct CreateBody: Decodable {
        var name: String
        /// The owner's login; absent: the administrator who creates it.
        var ownerLogin: String?

        enum CodingKeys: String, CodingKey {
            case name
            case ownerLogin = "owner_login"
        }
    }

    struct RenameBody: Decodable {
        var name: String
    }

    struct Created: Encodable {
        var workspace: V1WorkspaceSummary
        var owner: V1User
    }

    @Sendable func list(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let listed = try await tenancy.workspaces(for: try context.requireCaller())
        return try JSONBody.response(["data": listed.map { V1WorkspaceSummary($0.workspace, role: $0.role) }])
    }

    @Sendable func create(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        try caller.requireInstallAdministrator()
        let body = try await JSONBody.decode(CreateBody.self, from: request)
        let (workspace, owner) = try await tenancy.createWorkspace(name: body.name, ownerLogin: body.ownerLogin, by: caller)
        let role: Role? = owner.id == caller.user.id ? .owner : nil
        return try JSONBody.response(
            Created(workspace: V1WorkspaceSummary(workspace, role: role), owner: V1User(user: owner)), status: .created
        )
    }

    @Sendable func rename(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        try caller.requireInstallAdministrator()
        let id = try Self.id(context)
        let body = try await JSONBody.decode(RenameBody.self, from: request)
        let workspace = try await tenancy.renameWorkspace(id: id, to: body.name, by: caller)
        let role = try await tenancy.memberships(of: caller).first { $0.workspace.id == id }?.role
        return try JSONBody.response(V1WorkspaceSummary(workspace, role: role))
    }

    @Sendable func delete(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        try caller.requireInstallAdministrator()
        let id = try Self.id(context)
        try await tenancy.deleteWorkspace(id: id, by: caller)
        return try JSONBody.response(V1ActionResult(message: "Workspace \(id) deleted; its members' tokens and sessions there have ended."))
    }

    private static func id(_ context: SlipwayRequestContext) throws -> Int64 {
        let text = context.parameters.get("id") ?? ""
        guard let id = Int64(text) else { throw SlipwayError.notFound("workspace \(text) not found") }
        return id
    }
}
