import Hummingbird
import SlipwayCore

/// Invitations (docs/tenancy.md): owners invite with `POST /api/v1/invitations` `{login, role}` and get a one-time
/// code, list the pending ones and withdraw one (`DELETE /api/v1/invitations/{code}`, by its code or its id: a code
/// is never all digits); the invited user accepts with `POST /api/v1/invitations/{code}/accept` from a session of
/// their own.
struct V1InvitationsController {
    let tenancy: TenancyService

    func addRoutes(to group: RouterGroup<SlipwayRequestContext>) {
        group.post(use: invite)
        group.get(use: list)
        group.delete(":code", use: withdraw)
        group.post(":code/accept", use: accept)
    }

    struct InviteBody: Decodable {
        /// The invited login or email address.
        var login: String
        var role: String
    }

    @Sendable func invite(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        try identity.requireOwner()
        let body = try await JSONBody.decode(InviteBody.self, from: request)
        let invited = try await tenancy.invite(body.login, role: try V1RoleField.parse(body.role), by: identity)
        context.audit.target(id: String(invited.invitation.id), name: body.login)
        return try JSONBody.response(V1Invitation(invitation: invited.invitation, code: invited.code), status: .created)
    }

    @Sendable func list(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let invitations = try await tenancy.invitations(of: try context.requireIdentity())
        return try JSONBody.response(["data": invitations.map { V1Invitation(invitation: $0) }])
    }

    @Sendable func withdraw(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        try identity.requireOwner()
        let text = context.parameters.get("code") ?? ""
        // An id is kept; a code is a credential and is not.
        if let id = Int64(text) { context.audit.target(id: String(id)) }
        try await tenancy.withdrawInvitation(Int64(text).map(InvitationReference.id) ?? .code(text), by: identity)
        return try JSONBody.response(V1ActionResult(message: "Invitation withdrawn."))
    }

    @Sendable func accept(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let membership = try await tenancy.accept(code: context.parameters.get("code") ?? "", by: caller)
        context.audit.workspace(membership.workspace.id)
        context.audit.target(id: nil, name: membership.workspace.name)
        return try JSONBody.response(V1WorkspaceSummary(membership), status: .created)
    }
}
