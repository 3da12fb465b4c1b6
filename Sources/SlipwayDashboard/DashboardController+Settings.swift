import Foundation
import HTTPTypes
import Hummingbird
import SlipwayAPI
import SlipwayCore

/// `/projects/{name}/settings` (docs/dashboard.md): the build and source settings, the git webhook, the environment
/// variables of each environment, the custom domains with their certificates, and the service processes with their
/// restarts. Each form calls the Core use case the API's route calls (`ProjectService.update`, `EnvironmentService`,
/// `DomainService`), needs the scope that route needs (`admin` for every change; any member reads), and is shown only
/// to a role that may send it. Secret values are never in a page: the store's masked values are all a page gets.
extension DashboardController {
    /// Adds the settings page and its forms to the dashboard's routes.
    func addSettingsRoutes(to pages: RouterGroup<SlipwayRequestContext>) {
        pages.get("projects/:project/settings", use: settingsPage)
        pages.post("projects/:project/settings", use: updateSettings)
        pages.post("projects/:project/settings/webhook-secret", use: changeWebhookSecret)
        pages.post("projects/:project/env", use: setVariable)
        pages.post("projects/:project/env/delete", use: deleteVariable)
        pages.post("projects/:project/domains", use: addDomain)
        pages.post("projects/:project/domains/:domain/delete", use: removeDomain)
        pages.post("projects/:project/domains/:domain/verify", use: verifyDomain)
    }

    /// What a settings page shows besides the stored state: a form sent back with its problems, a secret shown once.
    struct SettingsForms {
        var settings: DashboardForm?
        var settingsProblems: [FieldProblem] = []
        /// A webhook secret just set or generated: shown on this answer only.
        var newWebhookSecret: String?
        var webhookProblems: [FieldProblem] = []
        var variable: DashboardForm?
        var variableProblems: [FieldProblem] = []
        var domain: DashboardForm?
        var domainProblems: [FieldProblem] = []
    }

    /// What `?saved=` after a form says on the page (never text from the request).
    static let savedNotices: [String: String] = [
        "settings": "Settings saved.", "webhook": "Webhook secret changed.", "env": "Variable saved.", "env-deleted": "Variable removed.",
        "domain": "Domain added.", "domain-removed": "Domain removed.", "domain-verified": "Domain verified.",
    ]

    // MARK: The page

    @Sendable func settingsPage(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let visitor = try await sessions.require(request, context: context)
        let identity = try visitor.requireIdentity()
        let project = try await project(context, identity)
        let notice = request.uri.queryParameters.get("saved").flatMap { Self.savedNotices[String($0)] }
        return try await settingsPage(project, visitor: visitor, identity: identity, forms: SettingsForms(), notice: notice, status: .ok)
    }

    private func settingsPage(
        _ project: Project, visitor: DashboardVisitor, identity: Identity, forms: SettingsForms, notice: String?, status: HTTPResponse.Status
    ) async throws -> Response {
        let canEdit = visitor.may(.admin)
        var content: [String: Any] = [
            "name": project.name, "kind": project.kind.rawValue, "canEdit": canEdit, "csrf": visitor.csrfToken,
            "groups": ProjectSettingsForm.groups(project: project, form: forms.settings, problems: forms.settingsProblems),
            "webhookURL": dependencies.urls.api + "/api/v1/hooks/git/\(project.uid.lowercased)",
            "gitURL": dependencies.urls.api + "/git/\(project.name).git",
        ]
        if let notice { content["notice"] = notice }
        let general = forms.settingsProblems.filter { !ProjectSettingsForm.isFormField($0) }
        if !general.isEmpty { content["settingsError"] = Self.sentence(general) }
        if let secret = forms.newWebhookSecret { content["newWebhookSecret"] = secret }
        if !forms.webhookProblems.isEmpty { content["webhookError"] = forms.webhookProblems.map(\.message).joined(separator: "; ") }
        if let environment = dependencies.environment {
            content["environments"] = try await environmentSections(project, environment: environment, forms: forms)
        }
        if let domains = dependencies.domains {
            content["domainsServed"] = true
            content["domains"] = try await domains.list(of: project).map { domainRow($0, of: project, service: domains) }
            content["domainForm"] = [
                "hostname": forms.domain?["hostname"] ?? "", "branch": forms.domain?["branch"] ?? "",
            ]
            for field in ["hostname", "branch", "certificate", "private_key"] {
                let messages = forms.domainProblems.filter { $0.field.rendered(.snakeCase) == field }.map(\.message)
                if !messages.isEmpty { content["domainError_\(field)"] = messages.joined(separator: "; ") }
            }
            let other = forms.domainProblems.filter { !["hostname", "branch", "certificate", "private_key"].contains($0.field.rendered(.snakeCase)) }
            if !other.isEmpty { content["domainError"] = Self.sentence(other) }
            if forms.domain?.nonEmpty("certificate") != nil
                || forms.domainProblems.contains(where: { $0.field.rendered(.snakeCase) == "certificate" })
            {
                content["domainCertificateOpen"] = true
            }
        }
        content["services"] = try await servicesSection(project, identity: identity)
        return renderer.page("settings", title: "Settings · \(project.name)", content: content, visitor: visitor, status: status)
    }

    /// `field: message; …` for problems that belong to no field of a form.
    static func sentence(_ problems: [FieldProblem]) -> String {
        problems.map { "\($0.field.rendered(.snakeCase)): \($0.message)" }.joined(separator: "; ")
    }

    // MARK: Build and source settings

    @Sendable func updateSettings(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let visitor = try await sessions.require(request, context: context)
        let form = try await DashboardForm.read(request)
        try visitor.checkCSRF(form)
        let identity = try visitor.require(.admin)
        let project = try await project(context, identity)
        do {
            let settings = try ProjectSettingsForm.settings(from: form)
            let updated = try await dependencies.projectSettings.update(project, with: settings)
            return DashboardRenderer.redirect(to: "/projects/\(updated.name)/settings?saved=settings")
        } catch SlipwayError.invalid(let problems) {
            var forms = SettingsForms()
            forms.settings = form
            forms.settingsProblems = problems
            return try await settingsPage(project, visitor: visitor, identity: identity, forms: forms, notice: nil, status: .unprocessableContent)
        } catch SlipwayError.conflict(let message) {
            var forms = SettingsForms()
            forms.settings = form
            forms.settingsProblems = [FieldProblem(field: "name", message: message)]
            return try await settingsPage(project, visitor: visitor, identity: identity, forms: forms, notice: nil, status: .conflict)
        }
    }

    // MARK: Webhook

    /// Sets the webhook secret given, or a new random one when none is, and shows it on this answer only.
    @Sendable func changeWebhookSecret(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let visitor = try await sessions.require(request, context: context)
        let form = try await DashboardForm.read(request)
        try visitor.checkCSRF(form)
        let identity = try visitor.require(.admin)
        let project = try await project(context, identity)
        let secret = form.nonEmpty("webhook_secret") ?? SourceValidation.generateWebhookSecret()
        var forms = SettingsForms()
        do {
            let updated = try await dependencies.projectSettings.update(project, with: ProjectSettings(webhookSecret: secret))
            forms.newWebhookSecret = updated.webhookSecret
            return try await settingsPage(
                updated, visitor: visitor, identity: identity, forms: forms, notice: Self.savedNotices["webhook"], status: .ok)
        } catch SlipwayError.invalid(let problems) {
            forms.webhookProblems = problems
            return try await settingsPage(project, visitor: visitor, identity: identity, forms: forms, notice: nil, status: .unprocessableContent)
        }
    }

    // MARK: Environment variables

    private func environmentSections(_ project: Project, environment: EnvironmentService, forms: SettingsForms) async throws -> [[String: Any]] {
        let masked = try await environment.maskedVariables(of: project)
        let sentTo = forms.variable?["environment"]
        return DeploymentEnvironment.allCases.map { name -> [String: Any] in
            let rows = (masked[name] ?? [:]).sorted { $0.key < $1.key }.map { key, variable -> [String: Any] in
                // A secret's value is `•••` here already; its edit field starts empty, a plain one's with its value.
                ["key": key, "isSecret": variable.secret, "plainValue": variable.secret ? "" : variable.value]
            }
            var section: [String: Any] = [
                "environment": name.rawValue, "variables": rows, "hasVariables": !rows.isEmpty, "addName": "", "addValue": "", "addSecret": false,
            ]
            if sentTo == name.rawValue, let form = forms.variable {
                let isSecret = form["secret"] == "true"
                section["addName"] = form["name"] ?? ""
                // A secret typed into a refused form is not sent back either.
                section["addValue"] = isSecret ? "" : form.fields["value"] ?? ""
                section["addSecret"] = isSecret
                let valueProblems = forms.variableProblems.filter { $0.field.rendered(.snakeCase).hasSuffix(".value") }
                let nameProblems = forms.variableProblems.filter { !$0.field.rendered(.snakeCase).hasSuffix(".value") }
                if !nameProblems.isEmpty { section["nameError"] = nameProblems.map(\.message).joined(separator: "; ") }
                if !valueProblems.isEmpty { section["valueError"] = valueProblems.map(\.message).joined(separator: "; ") }
            }
            return section
        }
    }

    /// The environment named by a form, 422 naming `environment` for any other.
    private static func environment(in form: DashboardForm) throws -> DeploymentEnvironment {
        let text = form["environment"] ?? ""
        guard let environment = DeploymentEnvironment(rawValue: text) else {
            throw SlipwayError.invalid("environment", "must be 'production' or 'preview', got '\(text.prefix(40))'")
        }
        return environment
    }

    private func environmentService() throws -> EnvironmentService {
        guard let environment = dependencies.environment else { throw SlipwayError.notFound("environment variables are not kept on this server") }
        return environment
    }

    /// Adds a variable, or changes one: `environment`, `name`, `value`, `secret` (`true` when checked).
    @Sendable func setVariable(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let visitor = try await sessions.require(request, context: context)
        let form = try await DashboardForm.read(request)
        try visitor.checkCSRF(form)
        let identity = try visitor.require(.admin)
        let project = try await project(context, identity)
        let service = try environmentService()
        let environment = try Self.environment(in: form)
        // The value as typed: surrounding spaces may be part of it.
        let variable = EnvironmentVariable(value: form.fields["value"] ?? "", secret: form["secret"] == "true")
        do {
            try await service.update([environment.rawValue: [form["name"] ?? "": variable]], of: project)
            Self.noteVariable(form["name"] ?? "", in: environment, of: project, context: context)
            return DashboardRenderer.redirect(to: "/projects/\(project.name)/settings?saved=env#env-\(environment.rawValue)")
        } catch SlipwayError.invalid(let problems) {
            var forms = SettingsForms()
            forms.variable = form
            forms.variableProblems = problems
            return try await settingsPage(project, visitor: visitor, identity: identity, forms: forms, notice: nil, status: .unprocessableContent)
        }
    }

    /// The audit trail's detail of a variable change, as the API's: the project, and the variable's name under its
    /// environment (never its value).
    private static func noteVariable(_ name: String, in environment: DeploymentEnvironment, of project: Project, context: SlipwayRequestContext) {
        context.audit.target(id: String(project.id), name: project.name)
        context.audit.detail(environment.rawValue, .names([name]))
    }

    /// Removes a variable: `environment`, `name`.
    @Sendable func deleteVariable(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let visitor = try await sessions.require(request, context: context)
        let form = try await DashboardForm.read(request)
        try visitor.checkCSRF(form)
        let identity = try visitor.require(.admin)
        let project = try await project(context, identity)
        let service = try environmentService()
        let environment = try Self.environment(in: form)
        let removal: [String: EnvironmentVariable?] = [form["name"] ?? "": nil]
        try await service.update([environment.rawValue: removal], of: project)
        Self.noteVariable(form["name"] ?? "", in: environment, of: project, context: context)
        return DashboardRenderer.redirect(to: "/projects/\(project.name)/settings?saved=env-deleted#env-\(environment.rawValue)")
    }

    // MARK: Domains

    private func domainRow(_ domain: Domain, of project: Project, service: DomainService) -> [String: Any] {
        let now = now()
        let certificate = domain.certificate
        let dns = service.dnsRecord(for: domain, of: project)
        var row: [String: Any] = [
            "hostname": domain.hostname, "target": domain.branch.map { "branch \($0)" } ?? "production",
            "verified": domain.verifiedAt != nil, "certificateStatus": certificate.status.rawValue, "certificateSource": certificate.source.rawValue,
            "dnsNote": dns.note, "isWildcard": DomainRules.isWildcard(domain.hostname),
            "url": dependencies.urls.url(forHost: domain.hostname),
        ]
        if let record = service.ownership.record(for: domain.hostname, workspaceID: project.workspaceID), domain.verifiedAt == nil {
            row["ownership"] = "TXT \(record.name) \"\(record.value)\""
        }
        if let notAfter = certificate.notAfter { row["notAfter"] = DashboardViews.time(notAfter, now: now) }
        if let issuer = certificate.issuer { row["issuer"] = issuer }
        if let error = certificate.lastError { row["certificateError"] = error }
        if let next = certificate.nextAttemptAt { row["nextAttempt"] = ["iso": Timestamp.format(next)] }
        return row
    }

    private func domainService() throws -> DomainService {
        guard let domains = dependencies.domains else { throw SlipwayError.notFound("custom domains are not served by this server") }
        return domains
    }

    /// Adds a domain: `hostname`, `branch` (empty: production), and optionally `certificate` and `private_key`.
    @Sendable func addDomain(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let visitor = try await sessions.require(request, context: context)
        let form = try await DashboardForm.read(request)
        try visitor.checkCSRF(form)
        let identity = try visitor.require(.admin)
        let project = try await project(context, identity)
        let domains = try domainService()
        do {
            _ = try await domains.add(
                hostname: form["hostname"] ?? "", branch: form.nonEmpty("branch"), certificatePEM: form.nonEmpty("certificate"),
                privateKeyPEM: form.nonEmpty("private_key"), to: project)
            return DashboardRenderer.redirect(to: "/projects/\(project.name)/settings?saved=domain#domains")
        } catch SlipwayError.invalid(let problems) {
            var forms = SettingsForms()
            forms.domain = form
            forms.domainProblems = problems
            return try await settingsPage(project, visitor: visitor, identity: identity, forms: forms, notice: nil, status: .unprocessableContent)
        } catch SlipwayError.conflict(let message) {
            var forms = SettingsForms()
            forms.domain = form
            forms.domainProblems = [FieldProblem(field: "hostname", message: message)]
            return try await settingsPage(project, visitor: visitor, identity: identity, forms: forms, notice: nil, status: .conflict)
        }
    }

    /// The domain named in the path, its percent-encoding undone (as the API reads it).
    private static func domainReference(_ context: SlipwayRequestContext) -> String {
        let raw = context.parameters.get("domain") ?? ""
        return raw.removingPercentEncoding ?? raw
    }

    @Sendable func removeDomain(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let visitor = try await sessions.require(request, context: context)
        try visitor.checkCSRF(try await DashboardForm.read(request))
        let identity = try visitor.require(.admin)
        let project = try await project(context, identity)
        try await domainService().remove(Self.domainReference(context), of: project)
        return DashboardRenderer.redirect(to: "/projects/\(project.name)/settings?saved=domain-removed#domains")
    }

    @Sendable func verifyDomain(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let visitor = try await sessions.require(request, context: context)
        try visitor.checkCSRF(try await DashboardForm.read(request))
        let identity = try visitor.require(.admin)
        let project = try await project(context, identity)
        _ = try await domainService().verify(Self.domainReference(context), of: project)
        return DashboardRenderer.redirect(to: "/projects/\(project.name)/settings?saved=domain-verified#domains")
    }

    // MARK: Services

    /// The project's processes (warm standbys included) and its latest restarts, as `GET /api/v1/projects/{id}`
    /// shows them under `services`.
    private func servicesSection(_ project: Project, identity: Identity) async throws -> [String: Any] {
        guard project.kind == .service, let runtime = dependencies.runtime else {
            return ["isService": project.kind == .service, "supervised": false]
        }
        let now = now()
        let statuses = runtime.statuses(projectID: project.id).sorted { $0.deploymentID > $1.deploymentID }
        let restarts = try await dependencies.serviceRestarts?.recentRestarts(projectID: project.id, limit: 20) ?? []
        let counts = try await dependencies.serviceRestarts?.restartCounts(projectID: project.id) ?? [:]
        var sequences: [Int64: Int64] = [:]
        for id in Set(statuses.map(\.deploymentID)) {
            if let deployment = try await dependencies.deployments.deployment(id: id, workspaceID: identity.workspace.id) {
                sequences[id] = deployment.sequenceNumber
            }
        }
        let label = { (id: Int64) -> String in sequences[id].map { "#\($0)" } ?? "deployment \(id)" }
        let processes = statuses.map { status -> [String: Any] in
            [
                "deploymentID": String(status.deploymentID), "deployment": label(status.deploymentID), "state": status.state.rawValue,
                "pid": status.processID.map(String.init) ?? "—", "port": String(status.port),
                "started": DashboardViews.time(status.startedAt, now: now),
                "restarts": String(counts[status.deploymentID] ?? 0), "isLive": status.deploymentID == project.productionDeploymentID,
            ]
        }
        let restartRows = restarts.map { restart -> [String: Any] in
            [
                "deploymentID": String(restart.deploymentID), "deployment": label(restart.deploymentID),
                "at": DashboardViews.time(restart.restartedAt, now: now), "exit": restart.exitSummary,
            ]
        }
        return [
            "isService": true, "supervised": true, "processes": processes, "hasProcesses": !processes.isEmpty, "restartRows": restartRows,
            "hasRestarts": !restartRows.isEmpty, "restartCount": String(counts.values.reduce(0, +)),
            "standbyWindow": ServiceConfig.text(seconds: project.service.standbyWindow),
        ]
    }

    // MARK: The project page's aliases

    /// The production URL, the branch aliases and the custom domains serving the project now, each with the
    /// deployment it serves: every route of the project but the deployments' own URLs. A deployment no alias points
    /// at has only its own route, so only deployments with more than one are looked up (one per branch at most).
    func projectAliases(_ project: Project, identity: Identity) async throws -> [[String: Any]] {
        let routes = dependencies.routes.routes(ofProject: project.name)
        let keysByDeployment = Dictionary(grouping: routes.keys, by: { routes[$0]?.deploymentID ?? 0 })
        var rows: [(order: String, row: [String: Any])] = []
        for (deploymentID, keys) in keysByDeployment where keys.count > 1 || keys.contains(project.name) {
            guard let deployment = try await dependencies.deployments.deployment(id: deploymentID, workspaceID: identity.workspace.id) else {
                continue
            }
            let own = RouteKey.deployment(shortID: deployment.shortID, project: project.name)
            let base: [String: Any] = ["id": String(deployment.id), "sequence": String(deployment.sequenceNumber)]
            for key in keys where key != own {
                let isProduction = key == project.name
                var row = base
                row["url"] = dependencies.urls.url(for: key)
                row["what"] = isProduction ? "production" : "branch \(deployment.gitBranch)"
                rows.append((isProduction ? "0" : "1" + key, row))
            }
            for hostname in dependencies.routes.customDomains(pointingAt: deploymentID) {
                var row = base
                row["url"] = dependencies.urls.url(forHost: hostname)
                row["what"] = "custom domain"
                rows.append(("2" + hostname, row))
            }
        }
        return rows.sorted { $0.order < $1.order }.map(\.row)
    }
}
