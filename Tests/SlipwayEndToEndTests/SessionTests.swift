import Foundation
import NIOHTTP1
import SlipwayClient
import SlipwayCore
import SlipwayServer
import SlipwayTesting
import Testing

/// Users with passwords and login sessions on a real server over loopback (docs/tenancy.md). Every answer of
/// `server.client(…)` is checked against the OpenAPI document.
@Suite struct SessionTests {
    static let adminPassword = "the admin's long passphrase"

    /// A server whose install administrator's password is `adminPassword`, allowing `failures` failed
    /// authentications a minute per address.
    func withServer(failures: Int = 10, _ body: @Sendable @escaping (TestServer) async throws -> Void) async throws {
        try await TestServer.withServer(
            configure: {
                $0.adminPassword = Self.adminPassword
                $0.authFailureLimit = failures
            }, body)
    }

    func anonymous(_ server: TestServer) -> SlipwayClient { server.client(token: "") }

    /// `2026-01-17T13:55:31.000000Z` as a date.
    static func date(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }

    @Test func theAdministratorLogsInAndTheSessionWorksLikeAnAdminTokenUntilLoggedOut() async throws {
        try await withServer { server in
            let login = try await anonymous(server).logIn(login: "  ADMIN ", password: Self.adminPassword)
            #expect(login.token.hasPrefix("slws_"))
            #expect(login.user.login == "admin" && login.user.isInstallAdmin)
            #expect(login.workspace?.name == "default" && login.workspace?.role == "owner")
            #expect(login.session.current)
            let expiry = try #require(Self.date(login.expiresAt))
            #expect(abs(expiry.timeIntervalSinceNow - 30 * 86_400) < 3_600, "sessions last 30 days by default")

            let session = server.client(token: login.token)
            let me = try await session.me()
            #expect(me.user.login == "admin" && me.token == nil && me.session?.id == login.session.id)
            #expect(me.scopes == ["admin"])
            // Everything an admin token may do: create a project, mint a token, list tokens.
            let project = try await session.createProject(NewProjectRequest(name: "from-a-session", repository: "https://example.com/x.git"))
            #expect(project.name == "from-a-session")
            #expect(try await session.createToken(name: "ci", scopes: ["deploy"]).token != nil)

            // A second login, listed beside the first; the list shows no secrets.
            let second = try await anonymous(server).logIn(login: "admin", password: Self.adminPassword)
            let listed = try await session.sessions()
            #expect(listed.map(\.id) == [login.session.id, second.session.id])
            #expect(listed.map(\.current) == [true, false])
            let (_, raw) = try await session.raw(.GET, "/api/v1/sessions")
            #expect(!String(decoding: raw, as: UTF8.self).contains("slws_"))

            // Revoking the second: it stops working at once; the first goes on.
            _ = try await session.revokeSession(second.session.id)
            #expect(try await server.client(token: second.token).raw(.GET, "/api/v1/me").0 == 401)
            await #expect(throws: ClientError.self) { try await session.revokeSession(second.session.id) }
            // Logging out ends the first.
            _ = try await session.logOut()
            #expect(try await session.raw(.GET, "/api/v1/me").0 == 401)
            // An API token has no current session to end.
            let (status, _) = try await server.client.raw(.DELETE, "/api/v1/sessions/current")
            #expect(status == 404)
        }
    }

    @Test func anExpiredSessionAnswers401() async throws {
        // A lifetime of zero: every session has expired by the time it is first used, whatever the clock says.
        try await TestServer.withServer(
            configure: {
                $0.adminPassword = Self.adminPassword
                $0.sessionLifetime = .zero
            }
        ) { server in
            let login = try await server.client(token: "").logIn(login: "admin", password: Self.adminPassword)
            #expect(login.expiresAt == login.session.createdAt)
            #expect(try await server.client(token: login.token).raw(.GET, "/api/v1/me").0 == 401)
            #expect(try await server.client.sessions().isEmpty)
        }
    }

    @Test func aWrongLoginAndAWrongPasswordGetTheSame401AndCountTowardTheLimit() async throws {
        try await withServer(failures: 3) { server in
            let anonymous = anonymous(server)
            func attempt(_ login: String, _ password: String) async throws -> (Int, String) {
                let body = try JSONEncoder().encode(["login": login, "password": password])
                let (status, data) = try await anonymous.raw(.POST, "/api/v1/sessions", body: body)
                return (status, String(decoding: data, as: UTF8.self))
            }
            let wrongPassword = try await attempt("admin", "not the password at all")
            let unknownLogin = try await attempt("nobody", Self.adminPassword)
            #expect(wrongPassword.0 == 401 && unknownLogin.0 == 401)
            // The same answer, key for key (JSON objects have no order).
            let decode = { (text: String) in try JSONDecoder().decode([String: String].self, from: Data(text.utf8)) }
            #expect(try decode(wrongPassword.1) == decode(unknownLogin.1))
            #expect(wrongPassword.1.contains("wrong login or password"))
            #expect(try await attempt("admin", "third wrong password").0 == 401)
            // The budget is used up: even the right password waits now.
            let refused = try await attempt("admin", Self.adminPassword)
            #expect(refused.0 == 429 && refused.1.contains("too many failed authentication attempts"))
        }
    }

    @Test func passwordRulesAnswer422NamingTheField() async throws {
        try await withServer { server in
            for (password, message) in [
                ("short", "must be at least 12 characters long"),
                (String(repeating: "a", count: 1025), "must be at most 1024 characters long"),
                (String(repeating: "z", count: 16), "must not be one character repeated"),
                ("Grace.Hopper.1906", "must not be the login"),
            ] {
                let error = try await #require(throws: ClientError.self) {
                    try await server.client.createUser(login: "grace.hopper.1906", password: password)
                }
                #expect(error.status == 422)
                #expect(error.errors == ["password": [message]], "\(password.prefix(20))")
            }
            let invalid = try await #require(throws: ClientError.self) {
                try await server.client.createUser(login: "has space", password: "a fine long password", email: "nope")
            }
            #expect(invalid.status == 422 && Set(invalid.errors.keys) == ["login", "email"])

            let session = server.client(token: try await anonymous(server).logIn(login: "admin", password: Self.adminPassword).token)
            let change = try await #require(throws: ClientError.self) {
                try await session.changePassword(current: Self.adminPassword, new: "short")
            }
            #expect(change.status == 422 && change.errors == ["new_password": ["must be at least 12 characters long"]])
            let wrongCurrent = try await #require(throws: ClientError.self) {
                try await session.changePassword(current: "not my password", new: "a brand new passphrase")
            }
            #expect(wrongCurrent.status == 422 && wrongCurrent.errors.keys.contains("current_password"))
        }
    }

    @Test func anAdministratorCreatesAUserWhoLogsInButCannotManageUsers() async throws {
        try await withServer { server in
            let created = try await server.client.createUser(login: "Ada@Example.com", password: "analytical engine", email: "ada@example.com")
            #expect(created.login == "ada@example.com" && !created.isInstallAdmin && created.email == "ada@example.com")
            let taken = try await #require(throws: ClientError.self) {
                try await server.client.createUser(login: "ADA@example.com", password: "analytical engine")
            }
            #expect(taken.status == 422 && taken.errors == ["login": ["is taken"]])
            #expect(try await server.client.users().map(\.login) == ["admin", "ada@example.com"])

            let ada = server.client(token: try await anonymous(server).logIn(login: "ada@example.com", password: "analytical engine").token)
            let me = try await ada.me()
            // A new user belongs to no workspace until invited: they act nowhere yet.
            #expect(me.user.id == created.id && me.workspace == nil && me.workspaces.isEmpty && me.scopes.isEmpty)
            // Not an install administrator: 403 on every users route.
            for (method, path, body) in [
                ("GET", "/api/v1/users", "{}"), ("POST", "/api/v1/users", #"{"login":"eve","password":"a fine long password"}"#),
                ("PUT", "/api/v1/users/\(created.id)/password", #"{"password":"a fine long password"}"#),
            ] {
                let (status, _) = try await ada.raw(.init(rawValue: method), path, body: Data(body.utf8))
                #expect(status == 403, "\(method) \(path)")
            }
            // Nor is an admin token of another workspace's user.
            let other = server.client(token: try await server.createWorkspace("other"))
            #expect(try await other.raw(.GET, "/api/v1/users").0 == 403)

            // Ada changes her password: her other sessions end, this one goes on, the new password works.
            let adaElsewhere = server.client(token: try await anonymous(server).logIn(login: "ada@example.com", password: "analytical engine").token)
            _ = try await ada.changePassword(current: "analytical engine", new: "difference engine")
            #expect(try await adaElsewhere.raw(.GET, "/api/v1/me").0 == 401)
            #expect(try await ada.me().user.id == created.id)
            _ = try await anonymous(server).logIn(login: "ada@example.com", password: "difference engine")

            // The administrator resets it: every session of hers ends, the reset password works.
            _ = try await server.client.resetPassword(ofUser: created.id, to: "a reset passphrase")
            #expect(try await ada.raw(.GET, "/api/v1/me").0 == 401)
            _ = try await anonymous(server).logIn(login: "ada@example.com", password: "a reset passphrase")
            #expect(
                try await server.client.raw(.PUT, "/api/v1/users/999999/password", body: Data(#"{"password":"a reset passphrase"}"#.utf8)).0 == 404)
        }
    }

    @Test func noPasswordIsInTheDatabaseInClear() async throws {
        try await withServer { server in
            let passwords = ["ada's own passphrase", "another secret phrase"]
            let user = try await server.client.createUser(login: "ada", password: passwords[0])
            _ = try await server.client.resetPassword(ofUser: user.id, to: passwords[1])
            let login = try await anonymous(server).logIn(login: "ada", password: passwords[1])
            let database = DataLayout(root: server.dataDirectory).database
            var stored = Data()
            for path in [database, database + "-wal", database + "-journal"] {
                stored += FileManager.default.contents(atPath: path) ?? Data()
            }
            #expect(stored.count > 0)
            for secret in passwords + [Self.adminPassword, login.token] {
                #expect(stored.range(of: Data(secret.utf8)) == nil, "\(secret.prefix(6))… is in the database")
            }
            #expect(stored.range(of: Data("$scrypt$ln=10,r=8,p=1$".utf8)) != nil)
        }
    }

    @Test func theDashboardsCookieAuthenticatesOnlyFromSlipwaysOwnPagesUntilLogout() async throws {
        try await withServer { server in
            let body = Data(#"{"login": "admin", "password": "\#(Self.adminPassword)"}"#.utf8)
            let login = try await server.send(.POST, "/api/v1/sessions", body: body)
            #expect(login.status == 201)
            let setCookie = try #require(login.headers["Set-Cookie"].first)
            #expect(setCookie.hasPrefix("slipway_session=slws_") && setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Lax"))
            let secret = try #require(setCookie.split(separator: ";").first?.split(separator: "=").last.map(String.init))
            let cookie = ("Cookie", "slipway_session=\(secret)")
            let own = "http://127.0.0.1:\(server.port)"

            // Reading with the cookie alone works.
            #expect(try await server.send(.GET, "/api/v1/me", headers: [cookie]).status == 200)
            // Changing something: only from Slipway's own origin.
            let project = Data(#"{"name": "cookie-site", "repository": "https://example.com/cookie.git"}"#.utf8)
            let forged = try await server.send(.POST, "/api/v1/projects", headers: [cookie, ("Origin", "https://evil.example")], body: project)
            #expect(forged.status == 403)
            let crossSite = try await server.send(.POST, "/api/v1/projects", headers: [cookie, ("Sec-Fetch-Site", "cross-site")], body: project)
            #expect(crossSite.status == 403)
            let sameOrigin = try await server.send(
                .POST, "/api/v1/projects", headers: [cookie, ("Origin", own), ("Sec-Fetch-Site", "same-origin")], body: project)
            #expect(sameOrigin.status == 201)
            // An API token is never taken from a cookie.
            #expect(try await server.send(.GET, "/api/v1/me", headers: [("Cookie", "slipway_session=\(server.adminToken)")]).status == 401)

            // Logging out clears the cookie and ends the session.
            let logout = try await server.send(.DELETE, "/api/v1/sessions/current", headers: [cookie, ("Origin", own)])
            #expect(logout.status == 200 && logout.headers["Set-Cookie"].first?.contains("Max-Age=0") == true)
            #expect(try await server.send(.GET, "/api/v1/me", headers: [cookie]).status == 401)
        }
    }
}
