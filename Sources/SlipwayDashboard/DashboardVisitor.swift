import Foundation
import Hummingbird
import SlipwayAPI
import SlipwayCore

/// Who is looking at a dashboard page: the logged-in user, the workspace they act in (the switcher's choice among
/// their memberships, else their default one) and the CSRF token of their session.
struct DashboardVisitor: Sendable {
    var caller: Caller
    /// The caller acting in the chosen workspace; nil for a user who belongs to no workspace yet.
    var identity: Identity?
    /// Every workspace the user belongs to, for the switcher.
    var memberships: [Membership]
    /// The token every form of this session carries.
    var csrfToken: String

    /// Whether the visitor is an install administrator whose credential opens the install's administration.
    var isInstallAdministrator: Bool { caller.isInstallAdministrator && caller.credentialGrants(.admin) }

    /// Whether the visitor may do what `scope` allows in the workspace they act in.
    func may(_ scope: Scope) -> Bool { identity?.grants(scope) ?? false }

    /// The identity acting in a workspace; 403 for a user who belongs to none.
    func requireIdentity() throws -> Identity {
        guard let identity else {
            throw SlipwayError.forbidden("user '\(caller.user.login)' is not a member of any workspace yet: accept an invitation first")
        }
        return identity
    }

    /// The identity, when its role grants `scope`; 403 otherwise (a forged form of a viewer ends here).
    func require(_ scope: Scope) throws -> Identity {
        let identity = try requireIdentity()
        guard identity.grants(scope) else {
            throw SlipwayError.forbidden("your role in workspace '\(identity.workspace.name)' (\(identity.role.rawValue)) does not allow this")
        }
        return identity
    }

    /// Refuses a form whose CSRF token is missing or not this session's (403).
    func checkCSRF(_ form: DashboardForm) throws {
        guard DashboardSecurity.tokensMatch(form.fields[DashboardSecurity.csrfField], csrfToken) else {
            throw DashboardProblem.csrfRefused
        }
    }
}

/// What the dashboard answers besides the domain's errors.
enum DashboardProblem: Error {
    /// No valid session: the page redirects to `/login?next=…`.
    case notLoggedIn(next: String)
    /// A form without this session's CSRF token: 403.
    case csrfRefused
}

/// Finds the visitor of a request from the session cookie (the same sessions as the API's, docs/tenancy.md).
struct DashboardSessions: Sendable {
    let identities: any IdentityRepository
    let tenancy: TenancyService

    /// The visitor, or nil when the request has no valid session cookie and no valid token cookie. A session wins over
    /// a token; a visitor logged in with an API token acts in the token's workspace only, with its scopes.
    func visitor(of request: Request, now: Date = Date()) async throws -> DashboardVisitor? {
        guard let secret = SessionCookie.secret(in: request), let caller = try await identities.caller(secret: secret, at: now) else {
            return try await tokenVisitor(of: request, now: now)
        }
        let memberships = try await tenancy.memberships(of: caller)
        var identity = caller.identity
        if let chosen = SessionCookie.workspace(in: request), let id = Int64(chosen),
            let membership = memberships.first(where: { $0.workspace.id == id })
        {
            identity = caller.acting(in: membership)
        }
        return DashboardVisitor(
            caller: caller, identity: identity, memberships: memberships, csrfToken: DashboardSecurity.csrfToken(sessionSecret: secret))
    }

    /// The visitor of a dashboard logged in with a pasted API token (the token cookie), or nil.
    private func tokenVisitor(of request: Request, now: Date) async throws -> DashboardVisitor? {
        guard let token = SessionCookie.token(in: request), let caller = try await identities.caller(secret: token, at: now),
            caller.token != nil
        else { return nil }
        return DashboardVisitor(
            caller: caller, identity: caller.identity, memberships: caller.membership.map { [$0] } ?? [],
            csrfToken: DashboardSecurity.csrfToken(sessionSecret: token))
    }

    /// The visitor, or `notLoggedIn` (a redirect to the login page that comes back to this URL).
    /// The visitor is noted in `context`'s audit notes: what they change from a page is in the audit trail as it
    /// would be from the API (docs/audit.md).
    func require(_ request: Request, context: SlipwayRequestContext) async throws -> DashboardVisitor {
        guard let visitor = try await visitor(of: request) else {
            throw DashboardProblem.notLoggedIn(next: request.method == .get ? request.uri.description : "/")
        }
        context.audit.authenticated(visitor.caller, acting: visitor.identity)
        return visitor
    }
}
