import Foundation
import HTTPTypes
import Hummingbird
import SlipwayAPI
import SlipwayCore

/// The team's pages (docs/dashboard.md): the queue, the workspace's API tokens, its members and invitations, the
/// install administrators' page, and logging in with a pasted API token. Each calls the Core use case the API's
/// controller calls, with the same role and scope checks; a rule's refusal (422, 409) is shown on the page it came from.
extension DashboardController {
    /// Adds the team's routes to the dashboard's group.
    func addTeamRoutes(to pages: RouterGroup<SlipwayRequestContext>) {
        pages.post("login/token", use: logInWithToken)
        pages.get("queue", use: queuePage)
        pages.get("tokens", use: tokensPage)
        pages.post("tokens", use: createToken)
        pages.post("tokens/:token/revoke", use: revokeToken)
        pages.get("members", use: membersPage)
        pages.post("members/:user/role", use: changeRole)
        pages.post("members/:user/remove", use: removeMember)
        pages.post("invitations", use: invite)
        pages.post("invitations/:reference/withdraw", use: withdrawInvitation)
        pages.get("invitations", use: invitationPage)
        pages.get("invitations/:reference", use: invitationPage)
        pages.post("invitations/accept", use: acceptInvitation)
        pages.get("admin", use: adminPage)
        pages.post("admin/users", use: createUser)
        pages.post("admin/users/password", use: resetPassword)
        pages.post("admin/workspaces", use: createWorkspace)
        pages.post("admin/workspaces/:workspace/rename", use: renameWorkspace)
        pages.post("admin/workspaces/:workspace/delete", use: deleteWorkspace)
        pages.post("admin/limits", use: setLimits)
    }

    /// The message and status a page shows for a rule's refusal it renders itself (invalid input, a conflict).
    private static func refusal(_ error: SlipwayError) -> (HTTPResponse.Status, String) {
        DashboardErrorMiddleware.answer(for: error)
    }

    // MARK: Token login

    /// `POST /login/token`: logs in with a pasted API token. The token is kept in the `HttpOnly` token cookie (never
    /// shown to scripts); the pages then act in the token's workspace with its scopes. Wrong tokens count against the
    /// client's address as the API's do.
    @Sendable func logInWithToken(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let form = try await DashboardForm.read(request)
        guard
            DashboardSecurity.tokensMatch(form.fields[DashboardSecurity.csrfField], request.cookies[DashboardSecurity.loginCSRFCookie]?.value)
        else { throw DashboardProblem.csrfRefused }
        let next = DashboardSecurity.localPath(form["next"])
        let address = context.remoteAddress?.ipAddress
        let failures = dependencies.authenticationFailures
        if failures.refusal(.token, address: address) != nil {
            return loginForm(
                request, next: next, login: "", error: "Too many wrong tokens from your address: wait a minute.", status: .tooManyRequests)
        }
        let secret = form["token"] ?? ""
        guard secret.hasPrefix("slw_"), secret.utf8.count <= 100, let caller = try await dependencies.identities.caller(secret: secret, at: now()),
            caller.token != nil
        else {
            failures.recordFailure(.token, address: address)
            return loginForm(
                request, next: next, login: "", error: "This API token is unknown, revoked or expired (it starts with slw_).", status: .unauthorized)
        }
        context.audit.authenticated(caller, acting: nil)
        if let token = caller.token { context.audit.target(id: String(token.id), name: token.name) }
        let secure = SessionCookie.isSecure(request)
        var response = DashboardRenderer.redirect(to: next)
        response.setCookie(SessionCookie.token(secret, secure: secure))
        // One credential at a time: the session cookie and the switcher's choice are a session's.
        response.setCookie(SessionCookie.cleared(secure: secure))
        response.setCookie(Cookie(name: SessionCookie.workspaceName, value: "", maxAge: 0, path: "/", secure: secure, httpOnly: true, sameSite: .lax))
        response.setCookie(Cookie(name: DashboardSecurity.loginCSRFCookie, value: "", maxAge: 0, path: "/login", httpOnly: true))
        return response
    }

    // MARK: The queue

    /// Why a waiting deployment waits, in words (docs/scheduling.md).
    static func explanation(_ reason: WaitingReason) -> String {
        switch reason {
        case .projectBusy: "another deployment of this project runs or waits before it: a project builds one at a time, in order"
        case .workspaceLimit: "the workspace already runs as many deployments as it may at once"
        case .noFreeWorker: "every worker is busy; it starts when one is free and its workspace's turn comes"
        }
    }

    /// `GET /queue`: the workspace's running and waiting deployments, with positions and why each waits. The page
    /// fetches itself again every few seconds and swaps the list in.
    @Sendable func queuePage(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let visitor = try await sessions.require(request, context: context)
        let identity = try visitor.require(.read)
        let entries = try await dependencies.control.queue(for: identity)
        let now = now()
        let rows = entries.map { entry -> [String: Any] in
            let deployment = entry.deployment
            var row: [String: Any] = [
                "id": String(deployment.id), "sequence": String(deployment.sequenceNumber), "project": entry.projectName,
                "branch": deployment.gitBranch, "trigger": deployment.trigger.rawValue, "environment": deployment.environment.rawValue,
                "queued": DashboardViews.time(deployment.createdAt, now: now), "state": deployment.state.rawValue,
            ]
            if let position = entry.position { row["position"] = String(position) }
            if let reason = entry.waitingReason {
                row["reason"] = reason.rawValue
                row["explanation"] = Self.explanation(reason)
            }
            if let started = deployment.startedAt { row["started"] = DashboardViews.time(started, now: now) }
            if let stage = deployment.progress.activeStage { row["stage"] = stage.rawValue }
            return row
        }
        let content: [String: Any] = [
            "workspace": identity.workspace.name, "entries": rows, "hasEntries": !rows.isEmpty,
            "active": String(entries.filter { $0.position == nil }.count), "waiting": String(entries.filter { $0.position != nil }.count),
        ]
        return renderer.page("queue", title: "Queue", content: content, visitor: visitor)
    }

    // MARK: Tokens

    /// `GET /tokens`: the workspace's API tokens (the `admin` scope, as `GET /api/v1/tokens`).
    @Sendable func tokensPage(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let visitor = try await sessions.require(request, context: context)
        return try await tokensPage(visitor, form: nil, created: nil, problems: [], status: .ok)
    }

    private func tokensPage(
        _ visitor: DashboardVisitor, form: DashboardForm?, created: TokenService.Created?, problems: [FieldProblem], status: HTTPResponse.Status
    ) async throws -> Response {
        let identity = try visitor.require(.admin)
        let tokens = try await TokenService(identities: dependencies.identities).tokens(of: identity)
        let members = try await dependencies.tenancy.members(of: identity)
        let logins = Dictionary(members.map { ($0.user.id, $0.user.login) }, uniquingKeysWith: { first, _ in first })
        let now = now()
        let rows = tokens.sorted { $0.id > $1.id }.map { token -> [String: Any] in
            var row: [String: Any] = [
                "id": String(token.id), "name": token.name, "scopes": token.scopes.sorted().map(\.rawValue).joined(separator: ", "),
                "owner": logins[token.userID] ?? "user \(token.userID)", "created": DashboardViews.time(token.createdAt, now: now),
                "isCurrent": token.id == visitor.caller.token?.id,
            ]
            if let expires = token.expiresAt {
                row["expires"] = ["iso": Timestamp.format(expires), "date": String(Timestamp.format(expires).prefix(10))]
            }
            if let used = token.lastUsedAt { row["used"] = DashboardViews.time(used, now: now) }
            return row
        }
        let chosen = Set((form?.fields["scopes"] ?? "read").split(separator: ",").map(String.init))
        var content: [String: Any] = [
            "workspace": identity.workspace.name, "tokens": rows, "hasTokens": !rows.isEmpty, "csrf": visitor.csrfToken,
            "scopes": TokenService.offeredScopes(to: identity).map { scope -> [String: Any] in
                ["value": scope.rawValue, "checked": chosen.contains(scope.rawValue)]
            },
            "formName": form?["name"] ?? "", "formExpires": form?["expires"] ?? "",
        ]
        if !problems.isEmpty {
            content["formError"] = problems.map { "\($0.field.rendered(.snakeCase)): \($0.message)" }.joined(separator: "; ")
        }
        if let created {
            content["created"] = [
                "name": created.token.name, "secret": created.secret, "scopes": created.token.scopes.sorted().map(\.rawValue).joined(separator: ", "),
            ]
        }
        return renderer.page("tokens", title: "API tokens", content: content, visitor: visitor, status: status)
    }

    /// `POST /tokens`: a new token, whose secret is on the answer's page only (never on a later page).
    @Sendable func createToken(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let visitor = try await sessions.require(request, context: context)
        let raw = try await DashboardForm.read(request)
        try visitor.checkCSRF(raw)
        let identity = try visitor.require(.admin)
        // Checkboxes repeat the field `scope`; the form parser keeps the first of a name, so each scope has its own name.
        let scopes = Scope.allCases.map(\.rawValue).filter { raw["scope-\($0)"] != nil }
        var form = raw
        form.fields["scopes"] = scopes.joined(separator: ",")
        var expiresAt: String?
        if let text = raw.nonEmpty("expires") {
            // A date picker sends `2027-01-31`: the token expires at that day's start, UTC.
            expiresAt = text.count == 10 ? text + "T00:00:00Z" : text
        }
        do {
            let created = try await TokenService(identities: dependencies.identities).create(
                name: raw["name"], scopes: scopes, expiresAt: expiresAt, by: identity)
            context.audit.target(id: String(created.token.id), name: created.token.name)
            context.audit.detail("scopes", .names(created.token.scopes.map(\.rawValue).sorted()))
            return try await tokensPage(visitor, form: nil, created: created, problems: [], status: .created)
        } catch SlipwayError.invalid(let problems) {
            return try await tokensPage(visitor, form: form, created: nil, problems: problems, status: .unprocessableContent)
        }
    }

    /// `POST /tokens/{id}/revoke`.
    @Sendable func revokeToken(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let visitor = try await sessions.require(request, context: context)
        try visitor.checkCSRF(try await DashboardForm.read(request))
        let identity = try visitor.require(.admin)
        let text = context.parameters.get("token") ?? ""
        guard let id = Int64(text) else { throw SlipwayError.notFound("token \(text.prefix(40)) not found") }
        try await TokenService(identities: dependencies.identities).revoke(id: id, by: identity)
        // Revoking the token this visitor logged in with ends their visit: the next page asks to log in.
        return DashboardRenderer.redirect(to: "/tokens")
    }

    // MARK: Members and invitations

    /// `GET /members`: the workspace's members (any member); owners change roles, remove members and invite.
    @Sendable func membersPage(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let visitor = try await sessions.require(request, context: context)
        return try await membersPage(request, visitor, invited: nil, message: nil, status: .ok)
    }

    private func membersPage(
        _ request: Request, _ visitor: DashboardVisitor, invited: TenancyService.Invited?, message: String?, status: HTTPResponse.Status
    ) async throws -> Response {
        let identity = try visitor.require(.read)
        let members = try await dependencies.tenancy.members(of: identity)
        let isOwner = (try? identity.requireOwner()) != nil
        let now = now()
        let logins = Dictionary(members.map { ($0.user.id, $0.user.login) }, uniquingKeysWith: { first, _ in first })
        var content: [String: Any] = [
            "workspace": identity.workspace.name, "csrf": visitor.csrfToken, "isOwner": isOwner,
            "members": members.map { member -> [String: Any] in
                var row: [String: Any] = [
                    "id": String(member.user.id), "login": member.user.login, "role": member.role.rawValue,
                    "joined": DashboardViews.time(member.createdAt, now: now), "isSelf": member.user.id == identity.user.id,
                    "roles": Role.allCases.map { role -> [String: Any] in ["value": role.rawValue, "selected": role == member.role] },
                ]
                if let email = member.user.email { row["email"] = email }
                return row
            },
            "roles": Role.allCases.map { role -> [String: Any] in ["value": role.rawValue, "selected": role == .developer] },
            // Leaving is a session's act: a token visitor leaving would end the membership its own token hangs on.
            "canLeave": visitor.caller.session != nil,
        ]
        if let message { content["error"] = message }
        if isOwner {
            let invitations = try await dependencies.tenancy.invitations(of: identity)
            content["invitations"] = invitations.map { invitation -> [String: Any] in
                [
                    "id": String(invitation.id), "invitee": invitation.invitee, "role": invitation.role.rawValue,
                    "by": logins[invitation.invitedBy] ?? "user \(invitation.invitedBy)",
                    "expires": DashboardViews.time(invitation.expiresAt, now: now),
                ]
            }
            content["hasInvitations"] = !invitations.isEmpty
        }
        if let invited {
            let scheme = SessionCookie.isSecure(request) ? "https" : "http"
            content["invited"] = [
                "invitee": invited.invitation.invitee, "role": invited.invitation.role.rawValue, "code": invited.code,
                "link": "\(scheme)://\(request.head.authority ?? "")/invitations/\(invited.code)",
            ]
        }
        return renderer.page("members", title: "Members", content: content, visitor: visitor, status: status)
    }

    private func memberID(_ context: SlipwayRequestContext) throws -> Int64 {
        let text = context.parameters.get("user") ?? ""
        guard let id = Int64(text) else { throw SlipwayError.notFound("member \(text.prefix(40)) not found") }
        return id
    }

    /// Runs a change of the members page; a rule's refusal (the last owner's 409, a wrong role's 422) is shown on
    /// the members page with its status, never as a crash.
    private func changeMembers(
        _ request: Request, context: SlipwayRequestContext, _ change: (DashboardVisitor, DashboardForm, Identity) async throws -> Response
    ) async throws -> Response {
        let visitor = try await sessions.require(request, context: context)
        let form = try await DashboardForm.read(request)
        try visitor.checkCSRF(form)
        let identity = try visitor.requireIdentity()
        do {
            return try await change(visitor, form, identity)
        } catch let error as SlipwayError {
            switch error {
            case .invalid, .conflict:
                let (status, message) = Self.refusal(error)
                return try await membersPage(request, visitor, invited: nil, message: message, status: status)
            default: throw error
            }
        }
    }

    /// `POST /members/{user_id}/role` (owners).
    @Sendable func changeRole(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        try await changeMembers(request, context: context) { _, form, identity in
            try identity.requireOwner()
            let userID = try memberID(context)
            let text = form["role"] ?? ""
            guard let role = Role(rawValue: text) else {
                throw SlipwayError.invalid("role", "must be one of \(Role.names), got '\(text.prefix(40))'")
            }
            _ = try await dependencies.tenancy.setRole(role, ofUser: userID, by: identity)
            return DashboardRenderer.redirect(to: "/members")
        }
    }

    /// `POST /members/{user_id}/remove`: owners remove a member; anyone removes themselves (leaves).
    @Sendable func removeMember(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        try await changeMembers(request, context: context) { visitor, _, identity in
            let userID = try memberID(context)
            if userID == identity.user.id, visitor.caller.session == nil {
                throw SlipwayError.forbidden("leave a workspace from a session of your own (log in with your password), not an API token")
            }
            try await dependencies.tenancy.removeMember(userID: userID, by: identity)
            // Leaving ends the sessions acting there: the next page finds the visitor's other workspace, or asks to log in.
            return DashboardRenderer.redirect(to: userID == identity.user.id ? "/" : "/members")
        }
    }

    /// `POST /invitations` (owners): the code and the link are on the answer's page only.
    @Sendable func invite(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        try await changeMembers(request, context: context) { visitor, form, identity in
            try identity.requireOwner()
            let text = form["role"] ?? ""
            guard let role = Role(rawValue: text) else {
                throw SlipwayError.invalid("role", "must be one of \(Role.names), got '\(text.prefix(40))'")
            }
            let invited = try await dependencies.tenancy.invite(form["login"] ?? "", role: role, by: identity)
            return try await membersPage(request, visitor, invited: invited, message: nil, status: .created)
        }
    }

    /// `POST /invitations/{id}/withdraw` (owners).
    @Sendable func withdrawInvitation(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        try await changeMembers(request, context: context) { _, _, identity in
            let text = context.parameters.get("reference") ?? ""
            guard let id = Int64(text) else { throw SlipwayError.notFound("no pending invitation \(text.prefix(40))") }
            try await dependencies.tenancy.withdrawInvitation(.id(id), by: identity)
            return DashboardRenderer.redirect(to: "/members")
        }
    }

    /// `GET /invitations` and `GET /invitations/{code}`: the form that accepts an invitation (the link an owner passes
    /// on). Showing it changes nothing; accepting is a POST from the invited user's own session.
    @Sendable func invitationPage(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let visitor = try await sessions.require(request, context: context)
        let code = String((context.parameters.get("reference") ?? "").prefix(100))
        let content: [String: Any] = ["csrf": visitor.csrfToken, "code": code, "login": visitor.caller.user.login]
        return renderer.page("invitation", title: "Accept an invitation", content: content, visitor: visitor)
    }

    /// `POST /invitations/accept` with `code`: joins the invitation's workspace and acts there.
    @Sendable func acceptInvitation(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let visitor = try await sessions.require(request, context: context)
        let form = try await DashboardForm.read(request)
        try visitor.checkCSRF(form)
        let membership = try await dependencies.tenancy.accept(code: form["code"] ?? "", by: visitor.caller)
        var response = DashboardRenderer.redirect(to: "/")
        response.setCookie(SessionCookie.workspace(membership.workspace.id, secure: SessionCookie.isSecure(request)))
        return response
    }

    // MARK: Install administration

    /// The caller, when they are an install administrator whose credential grants `admin`; 403 otherwise (as the
    /// API's administration routes answer).
    private func administrator(_ visitor: DashboardVisitor) throws -> Caller {
        try visitor.caller.requireInstallAdministrator()
        return visitor.caller
    }

    /// `GET /admin`: the install's users, workspaces and limits (install administrators).
    @Sendable func adminPage(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let visitor = try await sessions.require(request, context: context)
        return try await adminPage(visitor, message: nil, status: .ok)
    }

    private func adminPage(_ visitor: DashboardVisitor, message: String?, status: HTTPResponse.Status) async throws -> Response {
        let caller = try administrator(visitor)
        let users = try await dependencies.accounts.users(by: caller)
        let workspaces = try await dependencies.tenancy.workspaces(for: caller)
        let limits = try await dependencies.installLimits.current(by: caller)
        let defaults = dependencies.installLimits.defaults
        let now = now()
        let limitRows: [(String, String, Int?, Int?)] = [
            ("projects_per_workspace", "Projects per workspace", limits.projectsPerWorkspace, defaults.projectsPerWorkspace),
            (
                "queued_deployments_per_workspace", "Queued deployments per workspace", limits.queuedDeploymentsPerWorkspace,
                defaults.queuedDeploymentsPerWorkspace
            ),
            ("workspace_workers", "Workers per workspace", limits.workspaceWorkers, defaults.workspaceWorkers),
        ]
        var content: [String: Any] = [
            "csrf": visitor.csrfToken,
            "users": users.map { user -> [String: Any] in
                [
                    "id": String(user.id), "login": user.login, "email": user.email ?? "", "isAdministrator": user.isInstallAdministrator,
                    "created": DashboardViews.time(user.createdAt, now: now),
                ]
            },
            "workspaces": workspaces.map { listed -> [String: Any] in
                [
                    "id": String(listed.workspace.id), "name": listed.workspace.name, "role": listed.role?.rawValue ?? "",
                    "created": DashboardViews.time(listed.workspace.createdAt, now: now),
                ]
            },
            "limits": limitRows.map { name, label, value, fallback -> [String: Any] in
                ["name": name, "label": label, "value": value.map(String.init) ?? "", "default": fallback.map(String.init) ?? "none"]
            },
        ]
        if let message { content["error"] = message }
        return renderer.page("admin", title: "Administration", content: content, visitor: visitor, status: status)
    }

    /// Runs a change of the administration page; a rule's refusal (422, 409) is shown on that page with its status.
    private func administer(
        _ request: Request, context: SlipwayRequestContext, _ change: (DashboardForm, Caller) async throws -> Void
    ) async throws -> Response {
        let visitor = try await sessions.require(request, context: context)
        let form = try await DashboardForm.read(request)
        try visitor.checkCSRF(form)
        let caller = try administrator(visitor)
        do {
            try await change(form, caller)
            return DashboardRenderer.redirect(to: "/admin")
        } catch let error as SlipwayError {
            switch error {
            case .invalid, .conflict, .notFound:
                let (status, message) = Self.refusal(error)
                return try await adminPage(visitor, message: message, status: status)
            default: throw error
            }
        }
    }

    private func workspaceID(_ context: SlipwayRequestContext) throws -> Int64 {
        let text = context.parameters.get("workspace") ?? ""
        guard let id = Int64(text) else { throw SlipwayError.notFound("workspace \(text.prefix(40)) not found") }
        return id
    }

    /// `POST /admin/users`: a new user (a member of no workspace yet).
    @Sendable func createUser(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        try await administer(request, context: context) { form, caller in
            let user = try await dependencies.accounts.createUser(
                login: form["login"] ?? "", password: form.fields["password"] ?? "", email: form.nonEmpty("email"), by: caller)
        }
    }

    /// `POST /admin/users/password` with `user_id` and `password`: every session of theirs ends.
    @Sendable func resetPassword(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        try await administer(request, context: context) { form, caller in
            let text = form["user_id"] ?? ""
            guard let id = Int64(text) else { throw SlipwayError.notFound("user \(text.prefix(40)) not found") }
            try await dependencies.accounts.resetPassword(ofUser: id, to: form.fields["password"] ?? "", by: caller)
        }
    }

    /// `POST /admin/workspaces` with `name` and `owner_login` (empty: the administrator).
    @Sendable func createWorkspace(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        try await administer(request, context: context) { form, caller in
            let (workspace, _) = try await dependencies.tenancy.createWorkspace(
                name: form["name"] ?? "", ownerLogin: form.nonEmpty("owner_login"), by: caller)
        }
    }

    /// `POST /admin/workspaces/{id}/rename` with `name`.
    @Sendable func renameWorkspace(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        try await administer(request, context: context) { form, caller in
            let workspace = try await dependencies.tenancy.renameWorkspace(id: try workspaceID(context), to: form["name"] ?? "", by: caller)
        }
    }

    /// `POST /admin/workspaces/{id}/delete`: an empty workspace (409 while it has projects).
    @Sendable func deleteWorkspace(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        try await administer(request, context: context) { _, caller in
            let id = try workspaceID(context)
            try await dependencies.tenancy.deleteWorkspace(id: id, by: caller)
        }
    }

    /// `POST /admin/limits`: replaces the install-wide limits; an empty field is not set.
    @Sendable func setLimits(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        try await administer(request, context: context) { form, caller in
            var problems: [FieldProblem] = []
            func number(_ name: String) -> Int? {
                guard let text = form.nonEmpty(name) else { return nil }
                guard let value = Int(text) else {
                    problems.append(FieldProblem(.name(name), message: "must be a whole number, got '\(text.prefix(20))'"))
                    return nil
                }
                return value
            }
            let limits = InstallLimits(
                projectsPerWorkspace: number("projects_per_workspace"), queuedDeploymentsPerWorkspace: number("queued_deployments_per_workspace"),
                workspaceWorkers: number("workspace_workers"))
            guard problems.isEmpty else { throw SlipwayError.invalid(problems) }
            _ = try await dependencies.installLimits.set(limits, by: caller)
        }
    }
}
