import Hummingbird
import SlipwayCore

/// Logging in and out (docs/tenancy.md): `POST /api/v1/sessions` (no token needed) answers a session token;
/// `GET /api/v1/sessions` lists the caller's sessions, `DELETE /api/v1/sessions/current` logs out and
/// `DELETE /api/v1/sessions/{id}` ends another one.
struct V1SessionsController {
    let accounts: AccountService
    /// A wrong login or password is a failed authentication of the client's address.
    let failures: AuthenticationFailureLimiter

    /// `POST` on the public router (it is how a caller gets a token); the rest behind authentication.
    func addRoutes(public router: Router<SlipwayRequestContext>, authenticated group: RouterGroup<SlipwayRequestContext>) {
        router.post("api/v1/sessions", use: logIn)
        group.get("sessions", use: list)
        group.delete("sessions/current", use: logOut)
        group.delete("sessions/:id", use: revoke)
    }

    struct LogInBody: Decodable {
        var login: String
        var password: String
    }

    struct LoggedIn: Encodable {
        var token: String
        var expiresAt: String
        var session: V1Session
        var user: V1User
        /// Where the session acts; null for a user who belongs to no workspace yet.
        var workspace: V1WorkspaceSummary?

        enum CodingKeys: String, CodingKey {
            case token, session, user, workspace
            case expiresAt = "expires_at"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(token, forKey: .token)
            try container.encode(expiresAt, forKey: .expiresAt)
            try container.encode(session, forKey: .session)
            try container.encode(user, forKey: .user)
            try container.encode(workspace, forKey: .workspace)
        }
    }

    @Sendable func logIn(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let address = context.remoteAddress?.ipAddress
        if let wait = failures.refusal(.password, address: address) { throw APIError.tooManyAuthenticationFailures(after: wait) }
        let body = try await JSONBody.decode(LogInBody.self, from: request)
        guard let loggedIn = try await accounts.logIn(login: body.login, password: body.password),
            let session = loggedIn.caller.session
        else {
            failures.recordFailure(.password, address: address)
            // The audit trail names the user a failed login named, if one exists; never the text of one that names
            // nobody (it may be a password typed in the wrong field).
            let login = UserLogin.normalize(body.login)
            if !login.isEmpty, let known = try await accounts.identities.credentials(login: login) { context.audit.attempted(by: known.user) }
            throw APIError.wrongCredentials
        }
        let caller = loggedIn.caller
        context.audit.authenticated(caller, acting: nil)
        context.audit.target(id: String(session.id))
        var response = try JSONBody.response(
            LoggedIn(
                token: loggedIn.secret, expiresAt: Timestamp.format(session.expiresAt), session: V1Session(session: session, isCurrent: true),
                user: V1User(user: caller.user), workspace: caller.membership.map(V1WorkspaceSummary.init)
            ),
            status: .created
        )
        response.setCookie(SessionCookie.make(secret: loggedIn.secret, expiresAt: session.expiresAt, secure: SessionCookie.isSecure(request)))
        return response
    }

    @Sendable func list(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let sessions = try await accounts.sessions(of: caller)
        return try JSONBody.response(["data": sessions.map { V1Session(session: $0, isCurrent: $0.id == caller.session?.id) }])
    }

    @Sendable func logOut(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        guard let session = caller.session else {
            throw SlipwayError.notFound("no current session: this request was authenticated with an API token")
        }
        try await accounts.revokeSession(session.id, of: caller)
        var response = try JSONBody.response(V1ActionResult(message: "Logged out."))
        response.setCookie(SessionCookie.cleared(secure: SessionCookie.isSecure(request)))
        return response
    }

    @Sendable func revoke(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let text = context.parameters.get("id") ?? ""
        guard let id = Int64(text) else { throw SlipwayError.notFound("session \(text) not found") }
        try await accounts.revokeSession(id, of: caller)
        return try JSONBody.response(V1ActionResult(message: "Session \(id) revoked."))
    }
}
