import Hummingbird
import SlipwayCore

/// `GET /api/v1/me`: the caller's user, the workspace they act in with their role and effective scopes, their
/// credential, and every workspace of theirs; `PUT /api/v1/me/password` changes the caller's password.
struct V1MeController {
    /// Passwords and sessions.
    let accounts: AccountService
    /// The caller's workspaces.
    let tenancy: TenancyService
    /// A wrong current password is a failed authentication.
    let failures: AuthenticationFailureLimiter

    func addRoutes(to group: RouterGroup<SlipwayRequestContext>) {
        group.get("me", use: me)
        group.put("me/password", use: changePassword)
    }

    struct Me: Encodable {
        struct Token: Encodable {
            var id: Int64
            var name: String
            var scopes: [Scope]
        }
        struct Session: Encodable {
            var id: Int64
            var expiresAt: String
            enum CodingKeys: String, CodingKey {
                case id
                case expiresAt = "expires_at"
            }
        }
        var user: V1User
        /// Where this request acts (null for a user who belongs to no workspace), with the role there.
        var workspace: V1WorkspaceSummary?
        var role: Role?
        var token: Token?
        var session: Session?
        /// The effective scopes in `workspace`: the credential's, capped by the role.
        var scopes: [Scope]
        var workspaces: [V1WorkspaceSummary]

        enum CodingKeys: String, CodingKey {
            case user, workspace, role, token, session, scopes, workspaces
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(user, forKey: .user)
            try container.encode(workspace, forKey: .workspace)
            try container.encode(role, forKey: .role)
            try container.encode(token, forKey: .token)
            try container.encode(session, forKey: .session)
            try container.encode(scopes, forKey: .scopes)
            try container.encode(workspaces, forKey: .workspaces)
        }
    }

    @Sendable func me(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let identity = context.identity
        // One explicit switch: the release compiler (6.3.1) crashed on optional maps over the credential here.
        var token: Me.Token?
        var session: Me.Session?
        switch caller.credential {
        case .token(let apiToken): token = Me.Token(id: apiToken.id, name: apiToken.name, scopes: apiToken.scopes.sorted())
        case .session(let loginSession): session = Me.Session(id: loginSession.id, expiresAt: Timestamp.format(loginSession.expiresAt))
        }
        let workspaces = try await tenancy.memberships(of: caller).map(V1WorkspaceSummary.init)
        return try JSONBody.response(
            Me(
                user: V1User(user: caller.user),
                workspace: identity.map { V1WorkspaceSummary($0.workspace, role: $0.role) },
                role: identity?.role,
                token: token,
                session: session,
                scopes: identity?.scopes.sorted() ?? [],
                workspaces: workspaces
            )
        )
    }

    struct PasswordChangeBody: Decodable {
        var currentPassword: String
        var newPassword: String

        enum CodingKeys: String, CodingKey {
            case currentPassword = "current_password"
            case newPassword = "new_password"
        }
    }

    /// Any credential of the user may change the password, with the current one; every other session ends.
    @Sendable func changePassword(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let body = try await JSONBody.decode(PasswordChangeBody.self, from: request)
        let address = context.remoteAddress?.ipAddress
        if let wait = failures.refusal(.password, address: address) { throw APIError.tooManyAuthenticationFailures(after: wait) }
        switch try await accounts.changePassword(of: caller, current: body.currentPassword, new: body.newPassword) {
        case .changed:
            return try JSONBody.response(V1ActionResult(message: "Password changed; every other session of yours has ended."))
        case .wrongCurrentPassword:
            failures.recordFailure(.password, address: address)
            throw SlipwayError.invalid("current_password", "is not your current password")
        }
    }
}
