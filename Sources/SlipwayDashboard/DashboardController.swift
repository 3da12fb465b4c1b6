public import Foundation
import HTTPTypes
public import Hummingbird
public import SlipwayAPI
public import SlipwayCore

/// The dashboard's pages and forms (docs/dashboard.md), at the bare domain beside the API: `/login`, `/` (projects),
/// `/projects/{name}`, `/deployments/{id}`, and the assets under `/-/dashboard/`. Every action is a POST form carrying
/// the session's CSRF token and calls the same Core use case the API calls; what the visitor's role does not allow
/// is not offered, and refused (403) when posted anyway.
public struct DashboardController: Sendable {
    let dependencies: APIDependencies
    let renderer: DashboardRenderer
    let sessions: DashboardSessions
    /// The clock of the relative times shown.
    let now: @Sendable () -> Date

    /// How many deployments one page of a project lists.
    static let deploymentsPerPage = 25
    /// How many projects one page of `/` lists.
    static let projectsPerPage = 50

    /// The dashboard over the API's use cases.
    public init(dependencies: APIDependencies, now: @escaping @Sendable () -> Date = { Date() }) {
        self.dependencies = dependencies
        self.renderer = DashboardRenderer()
        self.sessions = DashboardSessions(identities: dependencies.identities, tenancy: dependencies.tenancy)
        self.now = now
    }

    /// Adds the dashboard's routes to the server's router, each behind the dashboard's error pages.
    public func addRoutes(to router: Router<SlipwayRequestContext>) {
        let pages = router.group().add(middleware: DashboardErrorMiddleware(renderer: renderer, sessions: sessions))
        let renderer = self.renderer
        pages.get("-/dashboard/:asset") { request, _ in renderer.asset(request) }
        pages.get("login", use: loginPage)
        pages.post("login", use: logIn)
        pages.post("logout", use: logOut)
        pages.post("-/workspace", use: switchWorkspace)
        pages.get("/", use: projectsPage)
        pages.post("projects", use: createProject)
        pages.get("projects/:project", use: projectPage)
        pages.post("projects/:project/deployments", use: deploy)
        pages.get("deployments/:deployment", use: deploymentPage)
        pages.get("deployments/:deployment/log", use: downloadLog)
        pages.post("deployments/:deployment/:action", use: act)
        addSettingsRoutes(to: pages)
        addTeamRoutes(to: pages)
    }

    // MARK: Login

    @Sendable func loginPage(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let next = DashboardSecurity.localPath(request.uri.queryParameters.get("next"))
        if try await sessions.visitor(of: request) != nil { return DashboardRenderer.redirect(to: next) }
        return loginForm(request, next: next, login: "", error: nil, status: .ok)
    }

    func loginForm(_ request: Request, next: String, login: String, error: String?, status: HTTPResponse.Status) -> Response {
        let token = DashboardSecurity.randomToken()
        var content: [String: Any] = ["csrf": token, "next": next, "login": login]
        if let error { content["error"] = error }
        var response = renderer.page("login", title: "Log in", content: content, visitor: nil, status: status)
        response.setCookie(
            Cookie(
                name: DashboardSecurity.loginCSRFCookie, value: token, maxAge: 3_600, path: "/login", secure: SessionCookie.isSecure(request),
                httpOnly: true, sameSite: .strict))
        return response
    }

    @Sendable func logIn(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let form = try await DashboardForm.read(request)
        guard
            DashboardSecurity.tokensMatch(form.fields[DashboardSecurity.csrfField], request.cookies[DashboardSecurity.loginCSRFCookie]?.value)
        else { throw DashboardProblem.csrfRefused }
        let next = DashboardSecurity.localPath(form["next"])
        let login = form["login"] ?? ""
        let address = context.remoteAddress?.ipAddress
        let failures = dependencies.authenticationFailures
        if failures.refusal(.password, address: address) != nil {
            return loginForm(
                request, next: next, login: login, error: "Too many failed logins from your address: wait a minute.", status: .tooManyRequests)
        }
        guard let loggedIn = try await dependencies.accounts.logIn(login: login, password: form.fields["password"] ?? ""),
            let session = loggedIn.caller.session
        else {
            failures.recordFailure(.password, address: address)
            // As the API's login: the audit trail names the user a failed login named, never the text of one that
            // names nobody (it may be a password typed in the wrong field).
            let named = UserLogin.normalize(login)
            if !named.isEmpty, let known = try await dependencies.accounts.identities.credentials(login: named) {
                context.audit.attempted(by: known.user)
            }
            return loginForm(request, next: next, login: login, error: "Wrong login or password.", status: .unauthorized)
        }
        context.audit.authenticated(loggedIn.caller, acting: nil)
        context.audit.target(id: String(session.id))
        var response = DashboardRenderer.redirect(to: next)
        response.setCookie(SessionCookie.make(secret: loggedIn.secret, expiresAt: session.expiresAt, secure: SessionCookie.isSecure(request)))
        response.setCookie(SessionCookie.clearedToken(secure: SessionCookie.isSecure(request)))
        response.setCookie(Cookie(name: DashboardSecurity.loginCSRFCookie, value: "", maxAge: 0, path: "/login", httpOnly: true))
        return response
    }

    @Sendable func logOut(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let visitor = try await sessions.require(request, context: context)
        try visitor.checkCSRF(try await DashboardForm.read(request))
        if let session = visitor.caller.session {
            try await dependencies.accounts.revokeSession(session.id, of: visitor.caller)
            context.audit.target(id: String(session.id))
        }
        var response = DashboardRenderer.redirect(to: "/login")
        response.setCookie(SessionCookie.cleared(secure: SessionCookie.isSecure(request)))
        // A visitor logged in with an API token: the dashboard forgets it (the token itself stays valid).
        response.setCookie(SessionCookie.clearedToken(secure: SessionCookie.isSecure(request)))
        return response
    }

    @Sendable func switchWorkspace(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let visitor = try await sessions.require(request, context: context)
        let form = try await DashboardForm.read(request)
        try visitor.checkCSRF(form)
        let text = form["workspace"] ?? ""
        guard let id = Int64(text), visitor.memberships.contains(where: { $0.workspace.id == id }) else {
            throw SlipwayError.notFound("workspace '\(text.prefix(40))' not found among yours")
        }
        var response = DashboardRenderer.redirect(to: "/")
        response.setCookie(SessionCookie.workspace(id, secure: SessionCookie.isSecure(request)))
        return response
    }

    // MARK: Projects

    @Sendable func projectsPage(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let visitor = try await sessions.require(request, context: context)
        return try await projectsPage(request, visitor: visitor, form: nil, problems: [], status: .ok)
    }

    private func projectsPage(
        _ request: Request, visitor: DashboardVisitor, form: DashboardForm?, problems: [FieldProblem], status: HTTPResponse.Status
    ) async throws -> Response {
        let identity = try visitor.requireIdentity()
        let pageNumber = max(1, min(Int(request.uri.queryParameters.get("page") ?? "") ?? 1, 100_000))
        let page = Page(number: pageNumber, size: Self.projectsPerPage)
        let (projects, total) = try await dependencies.projects.projects(workspaceID: identity.workspace.id, page: page)
        let now = now()
        var rows: [[String: Any]] = []
        for project in projects {
            var row: [String: Any] = [
                "name": project.name, "kind": project.kind.rawValue,
                "url": dependencies.urls.url(for: RouteKey.production(project: project.name)),
            ]
            let latest = try await dependencies.queries.page(
                DeploymentQuery(filter: .compare(QueryAttributes.projectID, .equal(.integer(project.id))), limit: 1),
                workspaceID: identity.workspace.id)
            if let last = latest.items.first { row["last"] = DashboardViews.deployment(last, project: project, urls: dependencies.urls, now: now) }
            rows.append(row)
        }
        var content: [String: Any] = [
            "workspace": identity.workspace.name, "projects": rows, "hasProjects": !rows.isEmpty, "canCreate": visitor.may(.admin),
            "csrf": visitor.csrfToken, "createForm": createFormFields(form, problems: problems),
        ]
        if pageNumber > 1 { content["previousPage"] = String(pageNumber - 1) }
        if pageNumber < page.pageCount(total: total) { content["nextPage"] = String(pageNumber + 1) }
        if let general = problems.first(where: { Self.formFieldNames.contains($0.field.rendered(.snakeCase)) == false }) {
            content["formError"] = "\(general.field.rendered(.snakeCase)): \(general.message)"
        }
        if form?["kind"] == "service" { content["kindService"] = true }
        return renderer.page("projects", title: "Projects", content: content, visitor: visitor, status: status)
    }

    /// The create form's text fields, in order: the API's names, labels, and hints.
    static let formFields: [(name: String, label: String, hint: String)] = [
        ("name", "Name", "a DNS label: lower-case letters, digits and hyphens"),
        ("repository", "Repository", "a git URL (https, ssh, git)"),
        ("production_branch", "Production branch", "default main"),
        ("build_command", "Build command", "run with sh -c; empty for none"),
        ("output_dir", "Output directory", "static sites: the directory published"),
        ("start_command", "Start command", "services: the command that serves"),
    ]
    static let formFieldNames: Set<String> = Set(formFields.map(\.name) + ["kind"])

    private func createFormFields(_ form: DashboardForm?, problems: [FieldProblem]) -> [[String: Any]] {
        Self.formFields.map { field in
            var row: [String: Any] = ["name": field.name, "label": field.label, "hint": field.hint, "value": form?[field.name] ?? ""]
            let messages = problems.filter { $0.field.rendered(.snakeCase) == field.name }.map(\.message)
            if !messages.isEmpty { row["error"] = messages.joined(separator: "; ") }
            return row
        }
    }

    @Sendable func createProject(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let visitor = try await sessions.require(request, context: context)
        let form = try await DashboardForm.read(request)
        try visitor.checkCSRF(form)
        let identity = try visitor.require(.admin)
        let kind = try form.nonEmpty("kind").map { text -> ProjectKind in
            guard let kind = ProjectKind(rawValue: text) else {
                throw SlipwayError.invalid("kind", "must be 'static' or 'service', got '\(text.prefix(40))'")
            }
            return kind
        }
        let settings = ProjectSettings(
            name: form["name"] ?? "", repository: form.nonEmpty("repository"), productionBranch: form.nonEmpty("production_branch"), kind: kind,
            buildCommand: form.nonEmpty("build_command"), outputDir: form.nonEmpty("output_dir"),
            service: ServiceSettings(startCommand: form.nonEmpty("start_command"))
        )
        do {
            let project = try await dependencies.projectSettings.create(settings, workspaceID: identity.workspace.id)
            return DashboardRenderer.redirect(to: "/projects/\(project.name)")
        } catch SlipwayError.invalid(let problems) {
            return try await projectsPage(request, visitor: visitor, form: form, problems: problems, status: .unprocessableContent)
        } catch SlipwayError.conflict(let message) {
            return try await projectsPage(
                request, visitor: visitor, form: form, problems: [FieldProblem(field: "name", message: message)], status: .conflict)
        }
    }

    // MARK: A project

    func project(_ context: SlipwayRequestContext, _ identity: Identity) async throws -> Project {
        let name = context.parameters.get("project") ?? ""
        guard let project = try await dependencies.projects.project(name: name, workspaceID: identity.workspace.id) else {
            throw SlipwayError.notFound("project '\(name.prefix(80))' not found")
        }
        return project
    }

    @Sendable func projectPage(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let visitor = try await sessions.require(request, context: context)
        let identity = try visitor.requireIdentity()
        let project = try await project(context, identity)
        let query = request.uri.queryParameters
        var filters: [QueryFilter] = [.compare(QueryAttributes.projectID, .equal(.integer(project.id)))]
        var filterFields: [String: String] = [:]
        if let text = query.get("state"), !text.isEmpty {
            guard let state = DeploymentState(rawValue: text) else {
                throw SlipwayError.invalid("state", "is not a deployment state: '\(text.prefix(40))'")
            }
            filters.append(.compare(QueryAttributes.state, .equal(.text(state.rawValue))))
            filterFields["state"] = state.rawValue
        }
        if let text = query.get("environment"), !text.isEmpty {
            guard let environment = DeploymentEnvironment(rawValue: text) else {
                throw SlipwayError.invalid("environment", "must be 'production' or 'preview', got '\(text.prefix(40))'")
            }
            filters.append(.compare(QueryAttributes.environment, .equal(.text(environment.rawValue))))
            filterFields["environment"] = environment.rawValue
        }
        if let branch = query.get("branch"), !branch.isEmpty {
            filters.append(.compare(QueryAttributes.gitBranch, .equal(.text(String(branch.prefix(250))))))
            filterFields["branch"] = String(branch.prefix(250))
        }
        var position = QueryPosition.first
        if let after = query.get("after"), !after.isEmpty {
            position = .after(after)
        } else if let before = query.get("before"), !before.isEmpty {
            position = .before(before)
        }
        let page = try await dependencies.queries.page(
            DeploymentQuery(filter: .all(filters), limit: Self.deploymentsPerPage, position: position), workspaceID: identity.workspace.id)
        let now = now()
        let filterQuery = filterFields.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.escapeQuery($0.value))" }.joined(separator: "&")
        let base = "/projects/\(project.name)?" + (filterQuery.isEmpty ? "" : filterQuery + "&")
        var content: [String: Any] = [
            "name": project.name, "kind": project.kind.rawValue, "repository": project.repository, "productionBranch": project.productionBranch,
            "productionURL": dependencies.urls.url(for: RouteKey.production(project: project.name)),
            "deployments": page.items.map { DashboardViews.deployment($0, project: project, urls: dependencies.urls, now: now) },
            "hasDeployments": !page.items.isEmpty, "total": String(page.total), "canDeploy": visitor.may(.deploy), "csrf": visitor.csrfToken,
            "filterBranch": filterFields["branch"] ?? "",
            "states": DeploymentState.allCases.map { state -> [String: Any] in
                ["value": state.rawValue, "selected": filterFields["state"] == state.rawValue]
            },
            "environments": DeploymentEnvironment.allCases.map { environment -> [String: Any] in
                ["value": environment.rawValue, "selected": filterFields["environment"] == environment.rawValue]
            },
            "isFiltered": !filterFields.isEmpty,
        ]
        let aliases = try await projectAliases(project, identity: identity)
        content["aliases"] = aliases
        content["hasAliases"] = !aliases.isEmpty
        if page.hasPreviousPage, let cursor = page.startCursor { content["newerURL"] = base + "before=" + Self.escapeQuery(cursor) }
        if page.hasNextPage, let cursor = page.endCursor { content["olderURL"] = base + "after=" + Self.escapeQuery(cursor) }
        return renderer.page("project", title: project.name, content: content, visitor: visitor)
    }

    @Sendable func deploy(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let visitor = try await sessions.require(request, context: context)
        let form = try await DashboardForm.read(request)
        try visitor.checkCSRF(form)
        let identity = try visitor.require(.deploy)
        let project = try await project(context, identity)
        let deployments = try await dependencies.service.deploy(
            projectIDs: [project.id], request: DeployRequest(gitBranch: form.nonEmpty("branch"), commitID: form.nonEmpty("commit")), by: identity)
        guard let deployment = deployments.first else { return DashboardRenderer.redirect(to: "/projects/\(project.name)") }
        return DashboardRenderer.redirect(to: "/deployments/\(deployment.id)")
    }

    // MARK: A deployment

    func deployment(_ context: SlipwayRequestContext, _ identity: Identity) async throws -> (Deployment, Project) {
        let text = context.parameters.get("deployment") ?? ""
        guard let id = Int64(text), let deployment = try await dependencies.deployments.deployment(id: id, workspaceID: identity.workspace.id),
            let project = try await dependencies.projects.project(id: deployment.projectID, workspaceID: identity.workspace.id)
        else { throw SlipwayError.notFound("deployment '\(text.prefix(40))' not found") }
        return (deployment, project)
    }

    /// The actions the rules allow on `deployment` now (whatever the role).
    func allowedActions(_ deployment: Deployment, project: Project) -> Set<String> {
        let active = project.productionDeploymentID
        var actions: Set<String> = []
        if !deployment.state.isFinished { actions.formUnion(["cancel", "kill"]) }
        if (try? DeploymentRules.checkRerun(of: deployment)) != nil { actions.insert("rerun") }
        if DeploymentRules.isRollbackCandidate(deployment, activeProductionID: active) { actions.insert("rollback") }
        if (try? DeploymentRules.checkPromote(of: deployment, activeProductionID: active)) != nil { actions.insert("promote") }
        if deployment.state.isFinished && deployment.id != active { actions.insert("delete") }
        return actions
    }

    @Sendable func deploymentPage(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let visitor = try await sessions.require(request, context: context)
        let identity = try visitor.requireIdentity()
        let (deployment, project) = try await deployment(context, identity)
        let now = now()
        var content = DashboardViews.deployment(deployment, project: project, urls: dependencies.urls, now: now)
        let ownKey = RouteKey.deployment(shortID: deployment.shortID, project: project.name)
        let aliases = dependencies.routes.keys(pointingAt: deployment.id).filter { $0 != ownKey }.sorted().map { dependencies.urls.url(for: $0) }
        content["project"] = project.name
        content["aliases"] = aliases
        content["stages"] = DashboardViews.stages(deployment, now: now)
        content["finished"] = deployment.state.isFinished
        content["csrf"] = visitor.csrfToken
        content["description"] = deployment.description.isEmpty ? nil : deployment.description
        if let started = deployment.startedAt { content["started"] = DashboardViews.time(started, now: now) }
        let allowed = visitor.may(.deploy) ? allowedActions(deployment, project: project) : []
        let deleteWhat =
            "deployment #\(deployment.sequenceNumber) of \(project.name), its log"
            + (aliases.isEmpty ? "" : " and its aliases (\(aliases.joined(separator: ", ")))")
        let offered: [[String: Any]] = [
            ["action": "cancel", "label": "Cancel", "confirm": "Cancel deployment #\(deployment.sequenceNumber)?"],
            ["action": "kill", "label": "Kill", "confirm": "Kill deployment #\(deployment.sequenceNumber) at once (SIGKILL)?", "danger": true],
            ["action": "rerun", "label": "Rerun", "confirm": ""],
            ["action": "rollback", "label": "Roll back to this", "confirm": "Make deployment #\(deployment.sequenceNumber) production again?"],
            ["action": "promote", "label": "Promote to production", "confirm": "Promote deployment #\(deployment.sequenceNumber) to production?"],
            ["action": "delete", "label": "Delete", "confirm": "Delete \(deleteWhat)?", "danger": true, "force": !aliases.isEmpty],
        ]
        let actions = offered.filter { allowed.contains($0["action"] as? String ?? "") }
        content["actions"] = actions
        content["hasActions"] = !actions.isEmpty
        let candidates = try await rollbackCandidates(of: deployment, project: project, visitor: visitor, identity: identity)
        content["rollbackCandidates"] = candidates
        content["hasRollbackCandidates"] = !candidates.isEmpty
        content["logScriptPath"] = renderer.logScript.path
        return renderer.page("deployment", title: "#\(deployment.sequenceNumber) · \(project.name)", content: content, visitor: visitor)
    }

    @Sendable func act(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let visitor = try await sessions.require(request, context: context)
        let form = try await DashboardForm.read(request)
        try visitor.checkCSRF(form)
        let identity = try visitor.require(.deploy)
        let (deployment, project) = try await deployment(context, identity)
        let reason = "from the dashboard by \(identity.user.login)"
        switch context.parameters.get("action") ?? "" {
        case "cancel":
            _ = try await dependencies.control.cancel(deploymentID: deployment.id, reason: "canceled \(reason)", immediately: false, by: identity)
        case "kill":
            _ = try await dependencies.control.cancel(deploymentID: deployment.id, reason: "killed \(reason)", immediately: true, by: identity)
        case "rerun":
            let rerun = try await dependencies.service.rerun(deploymentID: deployment.id, by: identity)
            return DashboardRenderer.redirect(to: "/deployments/\(rerun.id)")
        case "rollback":
            let rollback = try await dependencies.service.rollback(to: deployment.id, by: identity)
            return DashboardRenderer.redirect(to: "/deployments/\(rollback.id)")
        case "promote":
            let promoted = try await dependencies.service.promote(deployment.id, by: identity)
            return DashboardRenderer.redirect(to: "/deployments/\(promoted.id)")
        case "delete":
            try await dependencies.control.delete(deploymentID: deployment.id, force: form["force"] == "true", by: identity)
            return DashboardRenderer.redirect(to: "/projects/\(project.name)")
        case let other:
            throw SlipwayError.notFound("no action '\(other.prefix(40))' on deployments")
        }
        return DashboardRenderer.redirect(to: "/deployments/\(deployment.id)")
    }

    /// A value for a query string (cursors are base64url; branches may hold `&`, `#`, `+`).
    static func escapeQuery(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~/")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}
