import Foundation
import NIOHTTP1
import SlipwayClient
import SlipwayCore
import SlipwayTesting
import Testing

/// The settings page of a project over plain HTTP on loopback (docs/dashboard.md): each form saves through the use
/// case the API calls, answers the API's validation messages beside their fields, refuses a form without the session's
/// token and a viewer's forged one; secrets never come back in a page.
@Suite struct DashboardSettingsTests {
    typealias Visitor = DashboardTests.Visitor

    /// A static site's repository.
    static func site() throws -> TemporaryGitRepository {
        let site = try TemporaryGitRepository()
        try site.write("build.sh", "mkdir -p dist\necho hello > dist/index.html\n")
        _ = try site.commit("a site")
        return site
    }

    /// The project as `GET /api/v1/projects/{name}` shows it to an admin token.
    static func projectJSON(_ server: TestServer, _ name: String) async throws -> [String: Any] {
        let (status, data) = try await server.client.raw(.GET, "/api/v1/projects/\(name)")
        #expect(status == 200)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// Logs alice (admin) and victor (viewer) in; `web` is a static site.
    static func withTeam(_ body: @Sendable (TestServer, Visitor, Visitor) async throws -> Void) async throws {
        let site = try Self.site()
        try await TestServer.withServer { server in
            let adminPassword = try await DashboardTests.member(server, "alice", role: "admin")
            let viewerPassword = try await DashboardTests.member(server, "victor", role: "viewer")
            _ = try await server.client.createProject(
                NewProjectRequest(name: "web", repository: site.path, buildCommand: "sh build.sh", outputDir: "dist"))
            try await DashboardTests.withClient { client in
                let alice = Visitor(server, client)
                #expect(try await alice.logIn("alice", adminPassword).status == 303)
                let victor = Visitor(server, client)
                #expect(try await victor.logIn("victor", viewerPassword).status == 303)
                try await body(server, alice, victor)
            }
        }
    }

    @Test func buildAndSourceSettingsAreSavedWithTheAPIsMessagesBesideTheirFields() async throws {
        try await Self.withTeam { server, alice, victor in
            let project = try await alice.send(.GET, "/projects/web")
            #expect(project.body.contains("href=\"/projects/web/settings\""))
            let page = try await alice.send(.GET, "/projects/web/settings")
            #expect(page.status == 200 && page.body.contains("id=\"settings-form\""))
            #expect(page.body.contains("name=\"build_command\" value=\"sh build.sh\""))
            let csrf = try #require(page.csrf)

            // The whole form, as the browser sends it: an unchecked box sends only its hidden `false`.
            let repository = try #require(try await Self.projectJSON(server, "web")["repository"] as? String)
            var form = [
                "csrf": csrf, "name": "web", "repository": repository,
                "production_branch": "main", "root_dir": "", "kind": "static", "build_type": "command", "build_command": "sh build.sh --fast",
                "output_dir": "dist", "source.deployments_enabled": "false", "source.production_deployments_enabled": "true",
                "source.preview_deployment_setting": "custom", "source.preview_branch_includes": "feature/*\r\nfix/*\r\n",
                "source.path_includes": "site/**", "standby_window": "120", "port": "", "health_check_path": "/ready",
            ]
            let saved = try await alice.send(.POST, "/projects/web/settings", form: form)
            #expect(saved.status == 303 && saved.location == "/projects/web/settings?saved=settings", "\(saved.status) \(saved.body)")
            let stored = try await Self.projectJSON(server, "web")
            #expect(stored["build_command"] as? String == "sh build.sh --fast" && stored["standby_window"] as? Double == 120)
            #expect(stored["health_check_path"] as? String == "/ready")
            let source = try #require(stored["source"] as? [String: Any])
            #expect(source["deployments_enabled"] as? Bool == false && source["production_deployments_enabled"] as? Bool == true)
            #expect(source["preview_branch_includes"] as? [String] == ["feature/*", "fix/*"] && source["path_includes"] as? [String] == ["site/**"])
            let shown = try await alice.send(.GET, "/projects/web/settings?saved=settings")
            #expect(shown.body.contains("Settings saved.") && shown.body.contains("feature/*\nfix/*</textarea>"))

            // The API's messages, beside their fields; nothing is stored.
            form["port"] = "eighty"
            let notANumber = try await alice.send(.POST, "/projects/web/settings", form: form)
            #expect(notANumber.status == 422 && notANumber.body.contains("id=\"error-port\""), "\(notANumber.body)")
            form["port"] = "70000"
            form["health_check_path"] = "no-slash"
            form["source.path_excludes"] = "ok/**\n" + String(repeating: "x", count: 300)
            form["build_command"] = "sh build.sh --changed"
            let invalid = try await alice.send(.POST, "/projects/web/settings", form: form)
            #expect(invalid.status == 422)
            for field in ["port", "health_check_path", "source-path_excludes"] {
                #expect(invalid.body.contains("id=\"error-\(field)\""), "\(field)")
            }
            #expect(invalid.body.contains("must be a TCP port") && invalid.body.contains("line 2 must be at most 255 characters"))
            // The form comes back as it was sent.
            #expect(invalid.body.contains("value=\"sh build.sh --changed\""))
            #expect(try await Self.projectJSON(server, "web")["build_command"] as? String == "sh build.sh --fast")

            // Without the token, or with another's, refused before anything else.
            form = ["build_command": "echo forged"]
            #expect(try await alice.send(.POST, "/projects/web/settings", form: form).status == 403)
            form["csrf"] = "wrong"
            #expect(try await alice.send(.POST, "/projects/web/settings", form: form).status == 403)

            // A viewer reads the settings, is offered no form, and a forged one with their own token is refused.
            let seen = try await victor.send(.GET, "/projects/web/settings")
            #expect(
                seen.status == 200 && seen.body.contains("sh build.sh --fast") && !seen.body.contains("<form method=\"post\" action=\"/projects/web"))
            let viewerCSRF = try #require(seen.csrf)
            form["csrf"] = viewerCSRF
            #expect(try await victor.send(.POST, "/projects/web/settings", form: form).status == 403)
            #expect(try await Self.projectJSON(server, "web")["build_command"] as? String == "sh build.sh --fast")

            // What changed from the page is in the audit trail as a project update, by whom.
            let trail = try await server.client.audit(limit: 100).data
            #expect(trail.contains { $0.action == "project.update" && $0.actor.login == "alice" && $0.result.status == 303 })
            #expect(trail.contains { $0.action == "project.update" && $0.actor.login == "victor" && $0.result.status == 403 })
        }
    }

    @Test func theWebhookSecretIsShownOnceToAdminsAndNeverToOthers() async throws {
        try await Self.withTeam { server, alice, victor in
            let stored = try #require(try await Self.projectJSON(server, "web")["webhook_secret"] as? String)
            let uid = try #require(try await Self.projectJSON(server, "web")["uid"] as? String)
            let page = try await alice.send(.GET, "/projects/web/settings")
            #expect(page.body.contains("/api/v1/hooks/git/\(uid)") && page.body.contains("id=\"webhook-secret-masked\""))
            #expect(!page.body.contains(stored))
            let csrf = try #require(page.csrf)

            let generated = try await alice.send(.POST, "/projects/web/settings/webhook-secret", form: ["csrf": csrf])
            let now = try #require(try await Self.projectJSON(server, "web")["webhook_secret"] as? String)
            #expect(generated.status == 200 && now != stored && generated.body.contains("<code id=\"webhook-secret\">\(now)</code>"))
            #expect(!(try await alice.send(.GET, "/projects/web/settings").body.contains(now)))

            let own = "my-own-secret-0123456789"
            let set = try await alice.send(.POST, "/projects/web/settings/webhook-secret", form: ["csrf": csrf, "webhook_secret": own])
            #expect(set.status == 200 && set.body.contains(own))
            #expect(try await Self.projectJSON(server, "web")["webhook_secret"] as? String == own)
            let short = try await alice.send(.POST, "/projects/web/settings/webhook-secret", form: ["csrf": csrf, "webhook_secret": "short"])
            #expect(short.status == 422 && short.body.contains("id=\"webhook-error\"") && short.body.contains("at least 16 characters"))
            #expect(try await Self.projectJSON(server, "web")["webhook_secret"] as? String == own)
            #expect(try await alice.send(.POST, "/projects/web/settings/webhook-secret", form: [:]).status == 403)

            let seen = try await victor.send(.GET, "/projects/web/settings")
            #expect(seen.body.contains("/api/v1/hooks/git/\(uid)") && !seen.body.contains(own) && !seen.body.contains("webhook-secret"))
            let forged = try await victor.send(.POST, "/projects/web/settings/webhook-secret", form: ["csrf": try #require(seen.csrf)])
            #expect(forged.status == 403 && !forged.body.contains(own))
            #expect(try await Self.projectJSON(server, "web")["webhook_secret"] as? String == own)
        }
    }

    @Test func variablesAreAddedChangedAndRemovedAndASecretNeverComesBack() async throws {
        try await Self.withTeam { server, alice, victor in
            let secret = "hunter2-\(UUID().uuidString)"
            let csrf = try #require(try await alice.send(.GET, "/projects/web/settings").csrf)
            let plain = try await alice.send(
                .POST, "/projects/web/env", form: ["csrf": csrf, "environment": "production", "name": "API_URL", "value": "https://api.example"])
            #expect(plain.status == 303 && plain.location == "/projects/web/settings?saved=env#env-production")
            let added = try await alice.send(
                .POST, "/projects/web/env", form: ["csrf": csrf, "environment": "preview", "name": "API_TOKEN", "value": secret, "secret": "true"])
            #expect(added.status == 303)
            let environments = try await server.client.environmentVariables(project: "web")
            #expect(environments["production"]?["API_URL"] == EnvironmentVariableInfo(value: "https://api.example"))
            #expect(environments["preview"]?["API_TOKEN"] == EnvironmentVariableInfo(value: "•••", secret: true))

            var bodies: [String] = []
            let page = try await alice.send(.GET, "/projects/web/settings?saved=env")
            bodies.append(page.body)
            #expect(page.body.contains("Variable saved.") && page.body.contains("<code class=\"value\">https://api.example</code>"))
            #expect(page.body.contains("data-variable=\"API_TOKEN\"") && page.body.contains("aria-label=\"New value of API_TOKEN (write-only)\""))

            // A refused secret is not sent back either: the name is, beside the API's message.
            let refused = try await alice.send(
                .POST, "/projects/web/env", form: ["csrf": csrf, "environment": "preview", "name": "SLIPWAY_X", "value": secret, "secret": "true"])
            bodies.append(refused.body)
            #expect(refused.status == 422 && refused.body.contains("id=\"env-name-error-preview\"") && refused.body.contains("is reserved"))
            #expect(refused.body.contains("value=\"SLIPWAY_X\""))
            let badEnvironment = try await alice.send(
                .POST, "/projects/web/env", form: ["csrf": csrf, "environment": "staging", "name": "A", "value": "1"])
            #expect(badEnvironment.status == 422 && badEnvironment.body.contains("environment"))

            // Changing: the secret gets a new value (still masked), the plain one a new value; then one is removed.
            let newSecret = "rotated-\(UUID().uuidString)"
            let changed = try await alice.send(
                .POST, "/projects/web/env", form: ["csrf": csrf, "environment": "preview", "name": "API_TOKEN", "value": newSecret, "secret": "true"])
            #expect(changed.status == 303)
            _ = try await alice.send(.POST, "/projects/web/env", form: ["csrf": csrf, "environment": "production", "name": "API_URL", "value": "v2"])
            let removed = try await alice.send(
                .POST, "/projects/web/env/delete", form: ["csrf": csrf, "environment": "production", "name": "API_URL"])
            #expect(removed.status == 303 && removed.location == "/projects/web/settings?saved=env-deleted#env-production")
            let after = try await server.client.environmentVariables(project: "web")
            #expect(after["production"]?["API_URL"] == nil && after["preview"]?["API_TOKEN"]?.secret == true)
            // The audit trail names the project and the variable, as for the API's changes, never a value.
            let audited = try await server.client.audit(filter: #"{"action":{"eq":"env.update"}}"#).data
            #expect(audited.contains { $0.target.name == "web" && $0.detail["preview"] == .names(["API_TOKEN"]) })
            #expect(audited.contains { $0.detail["production"] == .names(["API_URL"]) })
            #expect(!String(describing: audited).contains(secret) && !String(describing: audited).contains(newSecret))
            bodies.append(try await alice.send(.GET, "/projects/web/settings").body)
            bodies.append(try await alice.send(.GET, "/projects/web").body)

            // Without the token: refused, nothing changed.
            #expect(try await alice.send(.POST, "/projects/web/env", form: ["environment": "preview", "name": "B", "value": "1"]).status == 403)
            #expect(try await alice.send(.POST, "/projects/web/env/delete", form: ["environment": "preview", "name": "API_TOKEN"]).status == 403)

            // A viewer sees the names and `•••`, no form; their forged forms are refused.
            let seen = try await victor.send(.GET, "/projects/web/settings")
            bodies.append(seen.body)
            #expect(
                seen.body.contains("data-variable=\"API_TOKEN\"") && !seen.body.contains("env-add-")
                    && !seen.body.contains("action=\"/projects/web/env"))
            let viewerCSRF = try #require(seen.csrf)
            let forgedSet = try await victor.send(
                .POST, "/projects/web/env", form: ["csrf": viewerCSRF, "environment": "preview", "name": "API_TOKEN", "value": "x"])
            let forgedDelete = try await victor.send(
                .POST, "/projects/web/env/delete", form: ["csrf": viewerCSRF, "environment": "preview", "name": "API_TOKEN"])
            #expect(forgedSet.status == 403 && forgedDelete.status == 403)
            #expect(try await server.client.environmentVariables(project: "web")["preview"]?["API_TOKEN"]?.secret == true)

            for body in bodies {
                #expect(!body.contains(secret) && !body.contains(newSecret))
                #expect(!body.contains(String(secret.prefix(12))))
            }
        }
    }

    @Test func domainsAreAddedWithTheirCertificateStateAndRemoved() async throws {
        let other = try Self.site()
        try await Self.withTeam { server, alice, victor in
            _ = try await server.client.createProject(NewProjectRequest(name: "other", repository: other.path))
            _ = try await server.client.addDomain(project: "other", hostname: "taken.example.com")
            let csrf = try #require(try await alice.send(.GET, "/projects/web/settings").csrf)

            let added = try await alice.send(.POST, "/projects/web/domains", form: ["csrf": csrf, "hostname": "Shop.Example.com", "branch": ""])
            #expect(added.status == 303 && added.location == "/projects/web/settings?saved=domain#domains", "\(added.status) \(added.body)")
            let page = try await alice.send(.GET, "/projects/web/settings")
            #expect(page.body.contains("data-domain=\"shop.example.com\"") && page.body.contains("data-certificate=\"pending\""))
            #expect(page.body.contains("create a CNAME record from shop.example.com"))
            #expect(try await server.client.domains(project: "web").map(\.hostname) == ["shop.example.com"])

            let invalid = try await alice.send(.POST, "/projects/web/domains", form: ["csrf": csrf, "hostname": "not a host", "branch": ""])
            #expect(invalid.status == 422 && invalid.body.contains("id=\"error-hostname\"") && invalid.body.contains("value=\"not a host\""))
            let wildcard = try await alice.send(.POST, "/projects/web/domains", form: ["csrf": csrf, "hostname": "*.example.org"])
            #expect(wildcard.status == 422 && wildcard.body.contains("id=\"error-certificate\""))
            let taken = try await alice.send(.POST, "/projects/web/domains", form: ["csrf": csrf, "hostname": "taken.example.com"])
            #expect(taken.status == 409 && taken.body.contains("id=\"error-hostname\""))
            #expect(try await alice.send(.POST, "/projects/web/domains", form: ["hostname": "x.example.com"]).status == 403)

            let seen = try await victor.send(.GET, "/projects/web/settings")
            #expect(seen.body.contains("data-domain=\"shop.example.com\"") && !seen.body.contains("domain-add") && !seen.body.contains("/delete\""))
            let viewerCSRF = try #require(seen.csrf)
            #expect(try await victor.send(.POST, "/projects/web/domains", form: ["csrf": viewerCSRF, "hostname": "v.example.com"]).status == 403)
            #expect(try await victor.send(.POST, "/projects/web/domains/shop.example.com/delete", form: ["csrf": viewerCSRF]).status == 403)
            #expect(try await server.client.domains(project: "web").map(\.hostname) == ["shop.example.com"])

            #expect(try await alice.send(.POST, "/projects/web/domains/shop.example.com/delete", form: [:]).status == 403)
            let removed = try await alice.send(.POST, "/projects/web/domains/shop.example.com/delete", form: ["csrf": csrf])
            #expect(removed.status == 303 && removed.location == "/projects/web/settings?saved=domain-removed#domains")
            #expect(try await server.client.domains(project: "web").isEmpty)
            #expect(try await alice.send(.POST, "/projects/web/domains/shop.example.com/delete", form: ["csrf": csrf]).status == 404)
        }
    }

    @Test func theServicesSectionShowsProcessesRestartsAndTheWarmStandby() async throws {
        let app = try ServiceDeploymentTests.makeApp()
        try await TestServer.withServer { server in
            let password = try await DashboardTests.member(server, "alice", role: "admin")
            let api = server.client
            let project = try await ServiceDeploymentTests.createService(api, name: "crashy", repository: app.path)
            let first = try await ServiceDeploymentTests.deploy(api, project.id)
            #expect(first.state == "success", "\(first.error ?? "")")
            _ = try? await server.edge("crashy", "/crash")
            let restarted = await ProcessTable.eventually(timeout: .seconds(20)) {
                guard let shown = try? await api.project("crashy"), shown.services?.restartCount == 1 else { return false }
                return shown.services?.processes.first?.state == "running"
            }
            #expect(restarted)
            try await DashboardTests.withClient { client in
                let alice = Visitor(server, client)
                _ = try await alice.logIn("alice", password)
                let process = try #require(try await api.project("crashy").services?.processes.first)
                let page = try await alice.send(.GET, "/projects/crashy/settings")
                #expect(page.body.contains("id=\"processes\"") && page.body.contains("data-process-state=\"running\""))
                let pid = try #require(process.pid)
                #expect(page.body.contains("<code>\(process.port)</code>") && page.body.contains("<code>\(pid)</code>"))
                #expect(page.body.contains("1 restarts in all"))
                let restarts = try #require(page.body.range(of: "id=\"restarts\"").map { String(page.body[$0.upperBound...].prefix(600)) })
                #expect(restarts.contains("exited with status") || restarts.contains("killed by signal"), "\(restarts)")

                // The project page: production and the branch alias, each with the deployment it serves.
                let projectPage = try await alice.send(.GET, "/projects/crashy")
                let aliases = try #require(
                    projectPage.body.range(of: "id=\"aliases\"").map { String(projectPage.body[$0.upperBound...].prefix(800)) })
                #expect(aliases.contains("http://crashy.\(server.domain):\(server.port)") && aliases.contains("production"), "\(aliases)")
                #expect(aliases.contains("http://main.crashy.\(server.domain):\(server.port)") && aliases.contains("branch main"), "\(aliases)")
                #expect(!aliases.contains(first.shortId))

                // A second version: the first stays running out of the route as the warm standby, and is listed so.
                let second = try await ServiceDeploymentTests.deploy(api, project.id)
                #expect(second.state == "success")
                let withStandby = try await alice.send(.GET, "/projects/crashy/settings")
                #expect(withStandby.body.contains("data-process-state=\"standby\""), "\(withStandby.body)")
                #expect(withStandby.body.contains("href=\"/deployments/\(first.id)\">#1</a>"))
            }
        }
    }
}
