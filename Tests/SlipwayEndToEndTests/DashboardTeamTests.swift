import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SlipwayClient
import SlipwayTesting
import Testing

/// The dashboard's team pages over plain HTTP on loopback (docs/dashboard.md): the queue, API tokens (shown once),
/// members and invitations, the install administrators' page, logging in with an API token, and the host the
/// dashboard answers at. Roles are refused on the server, forged and token-less forms too.
@Suite struct DashboardTeamTests {
    typealias Visitor = DashboardTests.Visitor

    /// The first text in `body` matching `pattern`.
    static func first(_ pattern: String, in body: String) -> String? {
        body.range(of: pattern, options: .regularExpression).map { String(body[$0]) }
    }

    /// The user id of the member `login` on a members page.
    static func memberID(_ login: String, in body: String) -> String? {
        first(#"data-member="\#(login)" data-role="[a-z]+" data-id="[0-9]+""#, in: body).flatMap { first("[0-9]+(?=\"$)", in: $0) }
    }

    /// Logs `visitor` in with a pasted API token through the login page's token form.
    static func logIn(_ visitor: Visitor, token: String, next: String = "/") async throws -> DashboardTests.Answer {
        visitor.cookies = [:]
        let page = try await visitor.send(.GET, "/login")
        return try await visitor.send(.POST, "/login/token", form: ["token": token, "next": next, "csrf": page.csrf ?? ""])
    }

    @Test func theQueueShowsPositionsAndWhyEachWaits() async throws {
        let site = try TemporaryGitRepository()
        try site.write("build.sh", "echo building; sleep 120\n")
        _ = try site.commit("a slow build")
        try await TestServer.withServer { server in
            let password = try await DashboardTests.member(server, "victor", role: "viewer")
            let project = try await server.client.createProject(NewProjectRequest(name: "slow", repository: site.path, buildCommand: "sh build.sh"))
            let first = try #require(try await server.client.deploy(projectIDs: [project.id]).deploymentIds.first)
            let second = try #require(try await server.client.deploy(projectIDs: [project.id]).deploymentIds.first)
            try await DashboardTests.withClient { client in
                let victor = Visitor(server, client)
                let away = try await victor.send(.GET, "/queue")
                #expect(away.status == 303 && away.location == "/login?next=/queue")
                _ = try await victor.logIn("victor", password)
                let page = try await victor.send(.GET, "/queue")
                #expect(page.status == 200 && page.body.contains("href=\"/queue\""))
                #expect(page.body.contains("data-refresh="), "the list follows by itself")
                #expect(page.body.contains("href=\"/deployments/\(first)\""))
                // The second waits behind the first of its project, whatever the first is doing now.
                let row = try #require(Self.first(#"<tr data-deployment="\#(second)"[^>]*>"#, in: page.body))
                #expect(row.contains("data-reason=\"project busy\""), "\(row)")
                #expect(page.body.contains("a project builds one at a time"))
            }
            for id in [second, first] { _ = try await server.client.raw(.POST, "/api/v1/deployments/\(id)/kill") }
            #expect(try await server.client.waitForDeployment(first).state == "canceled")
        }
    }

    @Test func tokensAreMadeByAdminsAndTheSecretIsShownOnce() async throws {
        try await TestServer.withServer { server in
            let adminPassword = try await DashboardTests.member(server, "alice", role: "admin")
            let developerPassword = try await DashboardTests.member(server, "dave", role: "developer")
            try await DashboardTests.withClient { client in
                // A developer is not offered tokens, and is refused when forging.
                let dave = Visitor(server, client)
                _ = try await dave.logIn("dave", developerPassword)
                let home = try await dave.send(.GET, "/")
                #expect(home.status == 200 && !home.body.contains("href=\"/tokens\"") && home.body.contains("href=\"/members\""))
                #expect(try await dave.send(.GET, "/tokens").status == 403)
                let daveCSRF = try #require(home.csrf)
                #expect(try await dave.send(.POST, "/tokens", form: ["csrf": daveCSRF, "name": "mine", "scope-admin": "on"]).status == 403)

                let alice = Visitor(server, client)
                _ = try await alice.logIn("alice", adminPassword)
                let page = try await alice.send(.GET, "/tokens")
                let csrf = try #require(page.csrf)
                #expect(page.status == 200 && page.body.contains("href=\"/tokens\"") && page.body.contains("id=\"scope-admin\""))
                #expect(!page.body.contains("scope-metrics"), "metrics is for install administrators")
                #expect(try await alice.send(.POST, "/tokens", form: ["name": "ci", "scope-read": "on"]).status == 403)
                #expect(try await alice.send(.POST, "/tokens", form: ["csrf": "x" + csrf, "name": "ci", "scope-read": "on"]).status == 403)
                let unnamed = try await alice.send(.POST, "/tokens", form: ["csrf": csrf, "name": " ", "scope-read": "on"])
                #expect(unnamed.status == 422 && unnamed.body.contains("name: is required"), "\(unnamed.body)")
                let metrics = try await alice.send(.POST, "/tokens", form: ["csrf": csrf, "name": "m", "scope-metrics": "on"])
                #expect(metrics.status == 422 && metrics.body.contains("install administrators only"))
                let past = try await alice.send(.POST, "/tokens", form: ["csrf": csrf, "name": "old", "scope-read": "on", "expires": "2001-01-01"])
                #expect(past.status == 422 && past.body.contains("expires_at:"))

                let created = try await alice.send(
                    .POST, "/tokens", form: ["csrf": csrf, "name": "ci", "scope-read": "on", "scope-deploy": "on", "expires": "2031-06-30"])
                #expect(created.status == 201 && created.body.contains("id=\"new-token\""))
                let secret = try #require(Self.first("slw_[0-9a-f]{40}", in: created.body))
                let tokens = try await server.client(token: secret).me()
                #expect(tokens.user.login == "alice" && Set(tokens.scopes) == ["read", "deploy"], "\(tokens.scopes)")
                // Never again: not on the list, not on any later page.
                let later = try await alice.send(.GET, "/tokens")
                #expect(later.status == 200 && !later.body.contains(secret) && !later.body.contains("id=\"new-token\""))
                #expect(later.body.contains(">2031-06-30<") && later.body.contains("read, deploy"))
                let listed = try #require(try await server.client.tokens().first { $0.name == "ci" })
                #expect(listed.expiresAt?.hasPrefix("2031-06-30T00:00:00") == true)

                // Revoked: the API no longer knows it; a developer's forged revoke was refused before.
                #expect(try await dave.send(.POST, "/tokens/\(listed.id)/revoke", form: ["csrf": daveCSRF]).status == 403)
                let revoked = try await alice.send(.POST, "/tokens/\(listed.id)/revoke", form: ["csrf": csrf])
                #expect(revoked.status == 303 && revoked.location == "/tokens")
                #expect(try await server.client(token: secret).raw(.GET, "/api/v1/me").0 == 401)
                #expect(try await alice.send(.POST, "/tokens/\(listed.id)/revoke", form: ["csrf": csrf]).status == 404)
            }
        }
    }

    @Test func ownersManageMembersAndAnInvitationIsAcceptedByAnotherUser() async throws {
        try await TestServer.withServer { server in
            let ownerPassword = try await DashboardTests.member(server, "olga", role: "owner")
            let viewerPassword = try await DashboardTests.member(server, "victor", role: "viewer")
            let newcomerPassword = "password of newcomer, long enough"
            _ = try await server.client.createUser(login: "newcomer", password: newcomerPassword)
            try await DashboardTests.withClient { client in
                // A viewer reads the members and is offered nothing else; forging is refused.
                let victor = Visitor(server, client)
                _ = try await victor.logIn("victor", viewerPassword)
                let seen = try await victor.send(.GET, "/members")
                let victorCSRF = try #require(seen.csrf)
                #expect(seen.status == 200 && seen.body.contains("data-member=\"olga\"") && !seen.body.contains("invite-form"))
                #expect(!seen.body.contains("set-role-") && !seen.body.contains("id=\"remove-") && seen.body.contains("id=\"leave\""))
                #expect(try await victor.send(.POST, "/invitations", form: ["csrf": victorCSRF, "login": "x", "role": "owner"]).status == 403)

                let olga = Visitor(server, client)
                _ = try await olga.logIn("olga", ownerPassword)
                let members = try await olga.send(.GET, "/members")
                let csrf = try #require(members.csrf)
                #expect(members.body.contains("invite-form"))
                let victorID = try #require(Self.memberID("victor", in: members.body))
                #expect(try await victor.send(.POST, "/members/\(victorID)/role", form: ["csrf": victorCSRF, "role": "owner"]).status == 403)
                #expect(try await olga.send(.POST, "/invitations", form: ["login": "newcomer", "role": "developer"]).status == 403)

                // An invitation: the code and link once, then only the pending line.
                let badRole = try await olga.send(.POST, "/invitations", form: ["csrf": csrf, "login": "newcomer", "role": "king"])
                #expect(badRole.status == 422 && badRole.body.contains("role: must be one of"))
                let invited = try await olga.send(.POST, "/invitations", form: ["csrf": csrf, "login": "newcomer", "role": "developer"])
                #expect(invited.status == 201 && invited.body.contains("id=\"new-invitation\""))
                let code = try #require(Self.first("slwi_[0-9a-f]{32}", in: invited.body))
                #expect(invited.body.contains("/invitations/\(code)"))
                let pending = try await olga.send(.GET, "/members")
                #expect(!pending.body.contains(code) && pending.body.contains("id=\"invitations\"") && pending.body.contains(">newcomer<"))

                // The second user follows the link, logs in, accepts, and is a developer of the workspace.
                let newcomer = Visitor(server, client)
                let link = try await newcomer.send(.GET, "/invitations/\(code)")
                #expect(link.status == 303 && link.location == "/login?next=/invitations/\(code)")
                let loggedIn = try await newcomer.logIn("newcomer", newcomerPassword, next: "/invitations/\(code)")
                #expect(loggedIn.location == "/invitations/\(code)")
                let form = try await newcomer.send(.GET, "/invitations/\(code)")
                #expect(form.status == 200 && form.body.contains("value=\"\(code)\""))
                #expect(try await newcomer.send(.POST, "/invitations/accept", form: ["code": code]).status == 403)
                let accepted = try await newcomer.send(.POST, "/invitations/accept", form: ["code": code, "csrf": try #require(form.csrf)])
                #expect(accepted.status == 303 && accepted.location == "/")
                let home = try await newcomer.send(.GET, "/")
                #expect(home.status == 200 && home.body.contains("in default"))
                let joined = try await olga.send(.GET, "/members")
                #expect(joined.body.contains("data-member=\"newcomer\" data-role=\"developer\"") && !joined.body.contains("id=\"invitations\""))
                #expect(try await newcomer.send(.POST, "/invitations/accept", form: ["code": code, "csrf": try #require(form.csrf)]).status == 404)

                // Roles change; a withdrawn invitation goes.
                let changed = try await olga.send(.POST, "/members/\(victorID)/role", form: ["csrf": csrf, "role": "developer"])
                #expect(changed.status == 303 && changed.location == "/members")
                #expect(try await olga.send(.GET, "/members").body.contains("data-member=\"victor\" data-role=\"developer\""))
                _ = try await olga.send(.POST, "/invitations", form: ["csrf": csrf, "login": "someone", "role": "viewer"])
                let withOne = try await olga.send(.GET, "/members")
                let invitationID = try #require(Self.first(#"data-invitation="[0-9]+""#, in: withOne.body).flatMap { Self.first("[0-9]+", in: $0) })
                #expect(try await olga.send(.POST, "/invitations/\(invitationID)/withdraw", form: ["csrf": csrf]).status == 303)
                #expect(!(try await olga.send(.GET, "/members").body.contains(">someone<")))

                // The last owner of a workspace stays: a message on the page, not a crash.
                let created = try await server.client.raw(
                    .POST, "/api/v1/workspaces", body: try JSONSerialization.data(withJSONObject: ["name": "solo", "owner_login": "olga"]))
                let solo = try #require(
                    ((try JSONSerialization.jsonObject(with: created.1) as? [String: Any])?["workspace"] as? [String: Any])?["id"] as? Int64)
                _ = try await olga.send(.POST, "/-/workspace", form: ["csrf": csrf, "workspace": String(solo)])
                let soloMembers = try await olga.send(.GET, "/members")
                let ownID = try #require(Self.memberID("olga", in: soloMembers.body))
                let leave = try await olga.send(.POST, "/members/\(ownID)/remove", form: ["csrf": csrf])
                #expect(leave.status == 409 && leave.body.contains("keeps at least one owner") && leave.body.contains("id=\"members\""))
                let demote = try await olga.send(.POST, "/members/\(ownID)/role", form: ["csrf": csrf, "role": "viewer"])
                #expect(demote.status == 409 && demote.body.contains("id=\"members-error\""))

                // Removed, a member's session there ends; anyone may leave.
                _ = try await olga.send(.POST, "/-/workspace", form: ["csrf": csrf, "workspace": "1"])
                #expect(try await olga.send(.POST, "/members/\(victorID)/remove", form: ["csrf": csrf]).status == 303)
                #expect(try await victor.send(.GET, "/members").status != 200)
                let newcomerPage = try await newcomer.send(.GET, "/members")
                let newcomerID = try #require(Self.memberID("newcomer", in: newcomerPage.body))
                let left = try await newcomer.send(.POST, "/members/\(newcomerID)/remove", form: ["csrf": try #require(newcomerPage.csrf)])
                #expect(left.status == 303)
                #expect(!(try await olga.send(.GET, "/members").body.contains("data-member=\"newcomer\"")))
            }
        }
    }

    @Test func aPastedTokenLogsInWithItsScopesAndLoggingOutForgetsIt() async throws {
        try await TestServer.withServer { server in
            let password = try await DashboardTests.member(server, "alice", role: "admin")
            let session = try await server.client(token: "").logIn(login: "alice", password: password)
            let readOnly = try #require(try await server.client(token: session.token).createToken(name: "read-only", scopes: ["read"]).token)
            try await DashboardTests.withClient { client in
                let visitor = Visitor(server, client)
                // The login page's own token is needed; a wrong API token is refused with a message.
                let page = try await visitor.send(.GET, "/login")
                #expect(page.body.contains("action=\"/login/token\""))
                #expect(try await visitor.send(.POST, "/login/token", form: ["token": readOnly]).status == 403)
                let wrong = try await Self.logIn(visitor, token: "slw_" + String(repeating: "0", count: 40))
                #expect(wrong.status == 401 && wrong.body.contains("unknown, revoked or expired") && visitor.cookies["slipway_token"] == nil)

                let answer = try await Self.logIn(visitor, token: readOnly, next: "/queue")
                #expect(answer.status == 303 && answer.location == "/queue")
                let setCookie = answer.headers["Set-Cookie"].first { $0.hasPrefix("slipway_token=") } ?? ""
                #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Lax") && setCookie.contains("Path=/"), "\(setCookie)")
                #expect(!setCookie.contains("Max-Age"), "forgotten when the browser closes")
                #expect(visitor.cookies["slipway_token"] == readOnly && visitor.cookies["slipway_session"] == nil)

                // The pages act with the token's scope: read only, whatever alice's role.
                let home = try await visitor.send(.GET, "/")
                #expect(home.status == 200 && home.body.contains("token read-only") && !home.body.contains("create-project"))
                #expect(!home.body.contains("href=\"/tokens\"") && !home.body.contains("href=\"/admin\""))
                #expect(try await visitor.send(.GET, "/tokens").status == 403)
                let csrf = try #require(home.csrf)
                #expect(try await visitor.send(.POST, "/projects", form: ["csrf": csrf, "name": "web", "repository": "/tmp"]).status == 403)
                #expect(try await visitor.send(.POST, "/logout", form: [:]).status == 403)
                // The API reads the same cookie, under the same origin rule as the session's.
                let me = try await visitor.send(.GET, "/api/v1/me")
                #expect(me.status == 200 && me.body.contains("\"read-only\""), "\(me.body)")
                let crossSite = try await visitor.send(.POST, "/api/v1/projects", headers: [("Origin", "http://evil.example")])
                #expect(crossSite.status == 403)

                // Logging out forgets the token (it stays valid for the API); the pages then ask to log in.
                let out = try await visitor.send(.POST, "/logout", form: ["csrf": csrf])
                #expect(out.status == 303 && out.location == "/login" && visitor.cookies["slipway_token"] == nil)
                #expect(out.headers["Set-Cookie"].contains { $0.hasPrefix("slipway_token=") && $0.contains("Max-Age=0") })
                #expect(try await visitor.send(.GET, "/").status == 303)
                #expect(try await server.client(token: readOnly).me().user.login == "alice")

                // A password login drops a token cookie the browser still sends.
                let loginPage = try await visitor.send(.GET, "/login")
                visitor.cookies["slipway_token"] = readOnly
                let again = try await visitor.send(
                    .POST, "/login", form: ["login": "alice", "password": password, "csrf": try #require(loginPage.csrf)])
                #expect(again.status == 303)
                #expect(again.headers["Set-Cookie"].contains { $0.hasPrefix("slipway_token=") && $0.contains("Max-Age=0") })
            }
        }
    }

    @Test func theAdministrationIsForInstallAdministratorsOnly() async throws {
        try await TestServer.withServer { server in
            let ownerPassword = try await DashboardTests.member(server, "olga", role: "owner")
            try await DashboardTests.withClient { client in
                let olga = Visitor(server, client)
                _ = try await olga.logIn("olga", ownerPassword)
                let home = try await olga.send(.GET, "/")
                #expect(!home.body.contains("href=\"/admin\""))
                #expect(try await olga.send(.GET, "/admin").status == 403)
                let olgaCSRF = try #require(home.csrf)
                #expect(try await olga.send(.POST, "/admin/limits", form: ["csrf": olgaCSRF, "projects_per_workspace": "1"]).status == 403)
                #expect(
                    try await olga.send(.POST, "/admin/users", form: ["csrf": olgaCSRF, "login": "x", "password": "long enough password"]).status
                        == 403)

                // The install administrator, logged in with their token.
                let admin = Visitor(server, client)
                _ = try await Self.logIn(admin, token: server.adminToken)
                let page = try await admin.send(.GET, "/admin")
                let csrf = try #require(page.csrf)
                #expect(page.status == 200 && page.body.contains("href=\"/admin\"") && page.body.contains("data-user=\"olga\""))
                #expect(page.body.contains("data-workspace=\"default\"") && page.body.contains("id=\"limits\""))
                #expect(try await admin.send(.POST, "/admin/users", form: ["login": "bob", "password": "long enough password"]).status == 403)

                let short = try await admin.send(.POST, "/admin/users", form: ["csrf": csrf, "login": "bob", "password": "short"])
                #expect(short.status == 422 && short.body.contains("password: must be at least 12 characters long"), "\(short.body)")
                #expect(
                    try await admin.send(.POST, "/admin/users", form: ["csrf": csrf, "login": "bob", "password": "long enough password"]).status
                        == 303)
                let withBob = try await admin.send(.GET, "/admin")
                #expect(withBob.body.contains("data-user=\"bob\""))
                let bobID = try #require(
                    Self.first(#"<option value="[0-9]+">bob<"#, in: withBob.body).flatMap { Self.first("[0-9]+", in: $0) })
                #expect(
                    try await admin.send(.POST, "/admin/users/password", form: ["csrf": csrf, "user_id": bobID, "password": "another long password"])
                        .status == 303)
                #expect(try await server.client(token: "").logIn(login: "bob", password: "another long password").user.login == "bob")

                let workspace = try await admin.send(.POST, "/admin/workspaces", form: ["csrf": csrf, "name": "team-b", "owner_login": "bob"])
                #expect(workspace.status == 303)
                let withTeam = try await admin.send(.GET, "/admin")
                let teamRow = try #require(Self.first(#"<tr data-workspace="team-b"><td>[0-9]+"#, in: withTeam.body))
                let teamID = try #require(Self.first("[0-9]+(?=$)", in: teamRow))
                let taken = try await admin.send(.POST, "/admin/workspaces/\(teamID)/rename", form: ["csrf": csrf, "name": "default"])
                #expect(taken.status == 422 && taken.body.contains("id=\"admin-error\""))
                #expect(try await admin.send(.POST, "/admin/workspaces/\(teamID)/rename", form: ["csrf": csrf, "name": "team-c"]).status == 303)
                #expect(try await admin.send(.GET, "/admin").body.contains("data-workspace=\"team-c\""))

                let notANumber = try await admin.send(.POST, "/admin/limits", form: ["csrf": csrf, "projects_per_workspace": "many"])
                #expect(notANumber.status == 422 && notANumber.body.contains("projects_per_workspace"), "\(notANumber.body)")
                #expect(try await admin.send(.POST, "/admin/limits", form: ["csrf": csrf, "projects_per_workspace": "0"]).status == 422)
                #expect(try await admin.send(.POST, "/admin/limits", form: ["csrf": csrf, "projects_per_workspace": "5"]).status == 303)
                #expect(try await admin.send(.GET, "/admin").body.contains("name=\"projects_per_workspace\" value=\"5\""))
                let limits = try await server.client.raw(.GET, "/api/v1/admin/limits")
                #expect(String(decoding: limits.1, as: UTF8.self).contains("\"projects_per_workspace\":5"))

                #expect(try await admin.send(.POST, "/admin/workspaces/\(teamID)/delete", form: ["csrf": csrf]).status == 303)
                #expect(!(try await admin.send(.GET, "/admin").body.contains("data-workspace=\"team-c\"")))

                // The same administrator with a token that lacks `admin`: refused, as the API refuses it.
                let readToken = try #require(try await server.client.createToken(name: "admin-read", scopes: ["read"]).token)
                let limited = Visitor(server, client)
                _ = try await Self.logIn(limited, token: readToken)
                #expect(try await limited.send(.GET, "/admin").status == 403)
            }
        }
    }

    /// The dashboard's logins and logouts are in the audit trail as the API's are: a failed login by the user it
    /// named (never the text of one that names nobody), a login, a token login and a logout by whom they were.
    @Test func loginsTokenLoginsAndLogoutsAreAudited() async throws {
        try await TestServer.withServer { server in
            let password = try await DashboardTests.member(server, "victor", role: "developer")
            let token = try await server.client.createToken(name: "ci", scopes: ["read"])
            let stray = "not-a-user-\(UUID().uuidString)"
            try await DashboardTests.withClient { client in
                let victor = Visitor(server, client)
                #expect(try await victor.logIn("victor", "a wrong password, long enough").status == 401)
                #expect(try await victor.logIn(stray, "x").status == 401)
                #expect(try await victor.logIn("victor", password).status == 303)
                let csrf = try #require(try await victor.send(.GET, "/").csrf)
                #expect(try await victor.send(.POST, "/logout", form: ["csrf": csrf]).status == 303)
                #expect(try await Self.logIn(victor, token: try #require(token.token)).status == 303)
            }
            let entries = try await server.client.audit(filter: #"{"action":{"in":["session.create","session.delete","session.token_login"]}}"#).data
            let logins = entries.filter { $0.action == "session.create" && $0.actor.login == "victor" }
            #expect(logins.contains { $0.result.outcome == "failed" && $0.result.status == 401 })
            #expect(logins.contains { $0.result.outcome == "succeeded" && $0.result.status == 303 && $0.via == "session" })
            #expect(entries.contains { $0.action == "session.delete" && $0.actor.login == "victor" && $0.result.outcome == "succeeded" })
            #expect(entries.contains { $0.action == "session.token_login" && $0.target.name == "ci" && $0.via == "token" })
            #expect(!String(describing: entries).contains(stray) && !String(describing: entries).contains(password))
        }
    }

    /// DESIGN.md §4: the API and dashboard answer at the bare domain, at any IP and at an unknown host (a server
    /// reached by a name of its own); a name under the domain that routes nowhere is a deployment URL with nothing
    /// published, and gets the edge's 404, never the dashboard.
    @Test func anUnknownHostReachesTheDashboardAndAnUnroutedSubdomainDoesNot() async throws {
        try await TestServer.withServer { server in
            func fetch(_ host: String, _ path: String) async throws -> (status: Int, location: String?, body: String) {
                var request = HTTPClientRequest(url: server.baseURL + path)
                request.headers.replaceOrAdd(name: "Host", value: "\(host):\(server.port)")
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
                let body = try await response.body.collect(upTo: 1 << 20)
                return (Int(response.status.code), response.headers.first(name: "Location"), String(buffer: body))
            }
            for host in [server.domain, "127.0.0.1", "elsewhere.example"] {
                #expect(try await fetch(host, "/login").body.contains("Log in to Slipway"), "\(host)")
            }
            for path in ["/", "/login", "/queue"] {
                let answer = try await fetch("nothing-here.\(server.domain)", path)
                #expect(answer.status == 404 && answer.location == nil, "\(path): \(answer.status)")
                #expect(!answer.body.contains("Log in"), "\(path)")
            }
        }
    }
}
