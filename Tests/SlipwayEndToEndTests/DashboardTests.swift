import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SlipwayClient
import SlipwayTesting
import Testing

/// The dashboard over plain HTTP on loopback (docs/dashboard.md): redirects to the login page, `next=` kept local,
/// the session cookie's attributes, CSRF tokens on every form, roles refused server-side, the assets' caching.
@Suite struct DashboardTests {
    /// One answer, with the cookies it set.
    struct Answer {
        var status: Int
        var headers: HTTPHeaders
        var body: String
        var location: String? { headers.first(name: "Location") }
        /// name → value of every `Set-Cookie`.
        var cookies: [String: String] {
            var cookies: [String: String] = [:]
            for line in headers["Set-Cookie"] {
                let pair = line.split(separator: ";", maxSplits: 1)[0].split(separator: "=", maxSplits: 1)
                cookies[String(pair[0])] = pair.count > 1 ? String(pair[1]) : ""
            }
            return cookies
        }
        /// The CSRF token the page's forms carry.
        var csrf: String? {
            guard let range = body.range(of: #"name="csrf" value="([^"]+)""#, options: .regularExpression) else { return nil }
            return String(body[range].dropFirst(#"name="csrf" value=""#.count).dropLast())
        }
    }

    /// A browser of one: sends requests without following redirects and keeps the cookies it is given.
    final class Visitor: @unchecked Sendable {
        let server: TestServer
        let client: HTTPClient
        var cookies: [String: String] = [:]

        init(_ server: TestServer, _ client: HTTPClient) {
            self.server = server
            self.client = client
        }

        func send(_ method: HTTPMethod, _ path: String, form: [String: String]? = nil, headers: [(String, String)] = []) async throws -> Answer {
            var request = HTTPClientRequest(url: server.baseURL + path)
            request.method = method
            if !cookies.isEmpty { request.headers.add(name: "Cookie", value: cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")) }
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            if let form {
                var allowed = CharacterSet.alphanumerics
                allowed.insert(charactersIn: "-._~")
                let text = form.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&")
                request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
                request.body = .bytes(ByteBuffer(string: text))
            }
            let response = try await client.execute(request, timeout: .seconds(120))
            let body = try await response.body.collect(upTo: 16 * 1024 * 1024)
            let answer = Answer(status: Int(response.status.code), headers: response.headers, body: String(buffer: body))
            for (name, value) in answer.cookies { cookies[name] = value.isEmpty ? nil : value }
            return answer
        }

        /// Logs in through the login form, as a new session; returns the answer to the form.
        func logIn(_ login: String, _ password: String, next: String = "/") async throws -> Answer {
            cookies["slipway_session"] = nil
            let page = try await send(.GET, "/login")
            return try await send(.POST, "/login", form: ["login": login, "password": password, "next": next, "csrf": page.csrf ?? ""])
        }
    }

    /// A user with a password who joined the default workspace with `role`.
    static func member(_ server: TestServer, _ login: String, role: String) async throws -> String {
        let password = "password of \(login), long enough"
        _ = try await server.client.createUser(login: login, password: password)
        let invitation = try await server.client.invite(login: login, role: role)
        let session = try await server.client(token: "").logIn(login: login, password: password)
        _ = try await server.client(token: session.token).acceptInvitation(code: try #require(invitation.code))
        return password
    }

    static func withClient<T>(_ body: (HTTPClient) async throws -> T) async throws -> T {
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        do {
            let result = try await body(client)
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    @Test func pagesNeedASessionAndTheLoginComesBackOnlyToALocalPath() async throws {
        try await TestServer.withServer { server in
            let password = try await Self.member(server, "alice", role: "admin")
            try await Self.withClient { client in
                let visitor = Visitor(server, client)
                let root = try await visitor.send(.GET, "/")
                #expect(root.status == 303 && root.location == "/login")
                let deep = try await visitor.send(.GET, "/projects/web?state=failed")
                #expect(deep.status == 303 && deep.location == "/login?next=/projects/web%3Fstate%3Dfailed", "\(deep.headers)")
                // The API keeps its meaning beside the pages.
                #expect(try await visitor.send(.GET, "/health").status == 200)
                #expect(try await visitor.send(.GET, "/api/v1/projects").status == 401)

                // The login form's own token: missing, the form is refused.
                let page = try await visitor.send(.GET, "/login")
                #expect(page.status == 200 && page.csrf != nil && page.csrf == visitor.cookies["slipway_login_csrf"])
                let forged = try await visitor.send(.POST, "/login", form: ["login": "alice", "password": password])
                #expect(forged.status == 403 && visitor.cookies["slipway_session"] == nil)
                let wrong = try await visitor.logIn("alice", "not the password")
                #expect(wrong.status == 401 && wrong.body.contains("Wrong login or password") && visitor.cookies["slipway_session"] == nil)

                // Another host is never where a login goes on to.
                for next in ["//evil.example/", "https://evil.example/", "/\\evil.example", "evil.example"] {
                    let answer = try await visitor.logIn("alice", password, next: next)
                    #expect(answer.status == 303 && answer.location == "/", "\(next): \(answer.location ?? "none")")
                }
                let answer = try await visitor.logIn("alice", password, next: "/projects/web?state=failed")
                #expect(answer.location == "/projects/web?state=failed")
                // Logged in, the login page goes on to `next` at once.
                let again = try await visitor.send(.GET, "/login?next=/projects/web")
                #expect(again.status == 303 && again.location == "/projects/web")
                let setCookie = answer.headers["Set-Cookie"].first { $0.hasPrefix("slipway_session=") } ?? ""
                #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Lax") && setCookie.contains("Path=/"), "\(setCookie)")

                // Logged in: the pages answer; logging out needs the token, then ends the session.
                let projects = try await visitor.send(.GET, "/")
                #expect(projects.status == 200 && projects.body.contains("Projects") && projects.body.contains("alice"))
                #expect(projects.headers.first(name: "Content-Security-Policy")?.contains("default-src 'self'") == true)
                let session = try #require(visitor.cookies["slipway_session"])
                #expect(try await visitor.send(.POST, "/logout", form: ["csrf": "wrong"]).status == 403)
                let loggedOut = try await visitor.send(.POST, "/logout", form: ["csrf": try #require(projects.csrf)])
                #expect(loggedOut.status == 303 && loggedOut.location == "/login" && visitor.cookies["slipway_session"] == nil)
                visitor.cookies["slipway_session"] = session
                #expect(try await visitor.send(.GET, "/").status == 303)
            }
        }
    }

    @Test func formsCarryTheSessionsTokenAndRolesAreRefusedOnTheServer() async throws {
        let site = try TemporaryGitRepository()
        try site.write("build.sh", "mkdir -p dist\necho hello > dist/index.html\nprintf '\\033[32mgreen\\033[0m done\\n'\n")
        _ = try site.commit("a site")
        try await TestServer.withServer { server in
            let adminPassword = try await Self.member(server, "alice", role: "admin")
            let viewerPassword = try await Self.member(server, "victor", role: "viewer")
            try await Self.withClient { client in
                let alice = Visitor(server, client)
                _ = try await alice.logIn("alice", adminPassword)
                let csrf = try #require(try await alice.send(.GET, "/").csrf)

                // The API's validation errors, inline beside their fields.
                let invalid = try await alice.send(.POST, "/projects", form: ["csrf": csrf, "name": "Not A Label!", "repository": site.path])
                #expect(invalid.status == 422 && invalid.body.contains("id=\"error-name\""), "\(invalid.body)")
                #expect(try await alice.send(.POST, "/projects", form: ["name": "web", "repository": site.path]).status == 403)
                #expect(try await alice.send(.POST, "/projects", form: ["csrf": csrf + "x", "name": "web", "repository": site.path]).status == 403)
                let created = try await alice.send(
                    .POST, "/projects",
                    form: [
                        "csrf": csrf, "name": "web", "repository": site.path, "build_command": "sh build.sh", "output_dir": "dist", "kind": "static",
                    ])
                #expect(created.status == 303 && created.location == "/projects/web", "\(created.status) \(created.body)")

                #expect(try await alice.send(.POST, "/projects/web/deployments", form: ["branch": "main"]).status == 403)
                #expect(
                    try await alice.send(.POST, "/projects/web/deployments", form: ["branch": "main", "csrf": "A" + csrf.dropFirst()]).status == 403)
                let deployed = try await alice.send(.POST, "/projects/web/deployments", form: ["branch": "main", "csrf": csrf])
                let location = try #require(deployed.location)
                #expect(deployed.status == 303 && location.hasPrefix("/deployments/"))
                let id = try #require(Int64(location.dropFirst("/deployments/".count)))
                let deployment = try await server.client.waitForDeployment(id)
                #expect(deployment.state == "success")
                let page = try await alice.send(.GET, location)
                #expect(page.status == 200 && page.body.contains("data-state=\"success\"") && page.body.contains("id=\"action-rerun\"") == false)
                #expect(page.body.contains("data-follow=\"/api/v1/deployments/\(id)/logs\""))
                let project = try await alice.send(.GET, "/projects/web?state=success")
                #expect(project.status == 200 && project.body.contains("href=\"/deployments/\(id)\""))
                #expect(try await alice.send(.GET, "/projects/web?state=nonsense").status == 422)
                #expect(try await alice.send(.GET, "/projects/web?after=not-a-cursor").status == 400)
                #expect(try await alice.send(.GET, "/projects/nothing-here").status == 404)

                // A viewer is offered nothing, and a forged form of theirs, with their own valid token, is refused.
                let victor = Visitor(server, client)
                _ = try await victor.logIn("victor", viewerPassword)
                let seen = try await victor.send(.GET, location)
                let viewerCSRF = try #require(seen.csrf)
                #expect(seen.status == 200 && !seen.body.contains("action-") && !seen.body.contains("deploy-form"))
                #expect(!(try await victor.send(.GET, "/").body.contains("create-project")))
                for action in ["rerun", "delete", "promote", "cancel"] {
                    let refused = try await victor.send(.POST, "\(location)/\(action)", form: ["csrf": viewerCSRF])
                    #expect(refused.status == 403, "\(action): \(refused.status)")
                }
                #expect(try await victor.send(.POST, "/projects/web/deployments", form: ["csrf": viewerCSRF]).status == 403)
                // One session's token is not another's.
                #expect(try await victor.send(.POST, "/logout", form: ["csrf": csrf]).status == 403)
                #expect(viewerCSRF != csrf)

                // What is changed from the pages is in the audit trail, by whom and with what result, refusals too.
                let trail = try await server.client.audit(limit: 100).data
                let createdEntry = trail.first { $0.action == "project.create" && $0.result.status == 303 }
                #expect(createdEntry?.actor.login == "alice" && createdEntry?.via == "session" && createdEntry?.address == "127.0.0.1")
                let deploy = trail.first { $0.action == "deployment.create" && $0.result.status == 303 }
                #expect(deploy?.actor.login == "alice" && (deploy?.target.id == "web" || deploy?.target.name == "web"))
                let refusedCancel = trail.first { $0.action == "deployment.cancel" && $0.actor.login == "victor" }
                #expect(refusedCancel?.result.status == 403 && refusedCancel?.target.id == String(id))

                // The assets: hashed names, cached for a year, revalidated by ETag.
                let cssPath = try #require(
                    page.body.range(of: #"/-/dashboard/dashboard\.[0-9a-f]+\.css"#, options: .regularExpression).map { String(page.body[$0]) })
                let css = try await alice.send(.GET, cssPath)
                #expect(css.status == 200 && css.headers.first(name: "Cache-Control")?.contains("immutable") == true)
                #expect(css.body.contains("prefers-color-scheme: dark"))
                let etag = try #require(css.headers.first(name: "ETag"))
                #expect(try await alice.send(.GET, cssPath, headers: [("If-None-Match", etag)]).status == 304)
                #expect(try await alice.send(.GET, "/-/dashboard/dashboard.000000000000.css").status == 404)
            }
        }
    }

    @Test func theWorkspaceSwitcherChoosesWhereThePagesAndTheCookieAuthenticatedAPIAct() async throws {
        try await TestServer.withServer { server in
            let password = try await Self.member(server, "alice", role: "developer")
            let created = try await server.client.raw(
                .POST, "/api/v1/workspaces", body: try JSONSerialization.data(withJSONObject: ["name": "second", "owner_login": "alice"]))
            #expect(created.0 == 201, "\(String(decoding: created.1, as: UTF8.self))")
            let workspace = try #require((try JSONSerialization.jsonObject(with: created.1) as? [String: Any])?["workspace"] as? [String: Any])
            let secondID = try #require(workspace["id"] as? Int64)
            try await Self.withClient { client in
                let alice = Visitor(server, client)
                _ = try await alice.logIn("alice", password)
                let first = try await alice.send(.GET, "/")
                #expect(first.body.contains("in default") && first.body.contains("second (owner)"))
                // A developer in `default`: no create form there.
                #expect(!first.body.contains("create-project"))
                let csrf = try #require(first.csrf)
                #expect(try await alice.send(.POST, "/-/workspace", form: ["workspace": String(secondID)]).status == 403)
                #expect(try await alice.send(.POST, "/-/workspace", form: ["workspace": "999999", "csrf": csrf]).status == 404)
                let switched = try await alice.send(.POST, "/-/workspace", form: ["workspace": String(secondID), "csrf": csrf])
                #expect(switched.status == 303 && alice.cookies["slipway_workspace"] == String(secondID))
                let second = try await alice.send(.GET, "/")
                #expect(second.body.contains("in second") && second.body.contains("create-project"))
                // The API, authenticated by the same cookie, acts there too; the header still wins.
                let me = try await alice.send(.GET, "/api/v1/me")
                #expect(me.status == 200 && me.body.contains("\"name\":\"second\""), "\(me.body)")
                let named = try await alice.send(.GET, "/api/v1/me", headers: [("X-Slipway-Workspace", "default")])
                #expect(named.status == 200 && named.body.contains("\"name\":\"default\""), "\(named.body)")
            }
        }
    }
}
