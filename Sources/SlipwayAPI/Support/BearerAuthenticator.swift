import Foundation
import HTTPTypes
import Hummingbird
import SlipwayCore

/// Authenticates `Authorization: Bearer <token>` (and Dokploy's `x-api-key`, and the dashboard's session or token
/// cookie, `SessionCookie`) against the stored token hashes; an
/// address that sent too many wrong tokens lately gets 429 (`AuthenticationFailureLimiter`). The caller acts in the
/// workspace `X-Slipway-Workspace` names (id or name) among their memberships, else in their default one; naming a
/// workspace they are not a member of is a 404, the same as naming one that does not exist.
struct BearerAuthenticator: RouterMiddleware {
    typealias Context = SlipwayRequestContext
    let identities: any IdentityRepository
    let tenancy: TenancyService
    let failures: AuthenticationFailureLimiter

    /// The header that names the workspace a request acts in.
    static let workspaceHeader = HTTPField.Name("X-Slipway-Workspace")!

    init(identities: any IdentityRepository, tenancy: TenancyService, failures: AuthenticationFailureLimiter) {
        self.identities = identities
        self.tenancy = tenancy
        self.failures = failures
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var secret = Self.secret(in: request.headers)
        var workspace = request.headers[Self.workspaceHeader]
        if secret == nil, let fromCookie = SessionCookie.secret(in: request) {
            guard SessionCookie.allows(request) else {
                throw SlipwayError.forbidden("a request authenticated by the session cookie must come from Slipway's own pages")
            }
            secret = fromCookie
            workspace = workspace ?? SessionCookie.workspace(in: request)
        } else if secret == nil, let fromCookie = SessionCookie.token(in: request) {
            // A dashboard logged in with a pasted token (docs/dashboard.md): the same origin rule; the token acts in
            // its own workspace (the switcher's cookie is a session's).
            guard SessionCookie.allows(request) else {
                throw SlipwayError.forbidden("a request authenticated by the token cookie must come from Slipway's own pages")
            }
            secret = fromCookie
        }
        guard let secret else { throw APIError.unauthenticated }
        let address = context.remoteAddress?.ipAddress
        if let wait = failures.refusal(.token, address: address) { throw APIError.tooManyAuthenticationFailures(after: wait) }
        guard let caller = try await identities.caller(secret: secret, at: Date()) else {
            failures.recordFailure(.token, address: address)
            throw APIError.unauthenticated
        }
        var context = context
        context.caller = caller
        if let named = workspace {
            let selector = WorkspaceSelector(named)
            guard let identity = try await tenancy.identity(of: caller, in: selector) else {
                throw SlipwayError.notFound("workspace '\(selector.description)' not found among yours")
            }
            context.identity = identity
        } else {
            context.identity = caller.identity
        }
        context.audit.authenticated(caller, acting: context.identity)
        return try await next(request, context)
    }

    static func secret(in headers: HTTPFields) -> String? {
        if let authorization = headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" {
                let token = parts[1].trimmingCharacters(in: .whitespaces)
                return token.isEmpty ? nil : token
            }
            return nil
        }
        if let key = headers.first(where: { $0.name.canonicalName == "x-api-key" })?.value, !key.isEmpty { return key }
        return nil
    }
}
