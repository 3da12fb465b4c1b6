import Hummingbird
import SlipwayCore

/// `GET /api/v1/me`: the caller's user, workspace, credential and scopes; `PUT /api/v1/me/password` changes the
/// caller's password.
struct V1MeController {
    /// Passwords and sessions.
    let accounts: AccountService
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
        var workspace: V1WorkspaceSummary
        var token: Token?
        var session: Session?
        var scopes: [Scope]

        enum CodingKeys: String, CodingKey {
            case user, workspace, token, session, scopes
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(user, forKey: .user)
            try container.encode(workspace, forKey: .workspace)
            try container.encode(token, forKey: .token)
            try container.encode(session, forKey: .session)
            try container.encode(scopes, forKey: .scopes)
        }
    }

    @Sendable func me(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.read)
        return try JSONBody.response(
            Me(
                user: V1User(user: identity.user),
                workspace: V1WorkspaceSummary(identity.workspace),
                token: identity.token.map { .init(id: $0.id, name: $0.name) },
                session: identity.session.map { .init(id: $0.id, expiresAt: Timestamp.format($0.expiresAt)) },
                scopes: identity.scopes.sorted()
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
        let identity = try context.requireIdentity()
        let body = try await JSONBody.decode(PasswordChangeBody.self, from: request)
        let address = context.remoteAddress?.ipAddress
        if let wait = failures.refusal(.password, address: address) { throw APIError.tooManyAuthenticationFailures(after: wait) }
        switch try await accounts.changePassword(of: identity, current: body.currentPassword, new: body.newPassword) {
        case .changed:
            return try JSONBody.response(V1ActionResult(message: "Password changed; every other session of yours has ended."))
        case .wrongCurrentPassword:
            failures.recordFailure(.password, address: address)
            throw SlipwayError.invalid("current_password", "is not your current password")
        }
    }
}
