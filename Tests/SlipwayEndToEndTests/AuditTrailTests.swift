import Foundation
import Logging
import NIOHTTP1
import SlipwayCertificates
import SlipwayClient
import SlipwayCore
import SlipwayServer
import SlipwayStore
import SlipwayTesting
import Testing

@testable import SlipwayAPI

/// The audit trail over real HTTP (docs/audit.md): every change a person or token makes through the four dialects is
/// recorded with who, which token, from where and the result (refused ones too), with no secret value anywhere;
/// only owners and admins read it, through the query language; the retention deletes old entries.
@Suite struct AuditTrailTests {
    static let adminPassword = "the admin's long passphrase"

    struct Answer {
        var status: Int
        var text: String
        var json: [String: Any]
    }

    static func call(_ server: TestServer, _ method: HTTPMethod, _ path: String, token: String, body: String? = nil) async throws -> Answer {
        let (status, data) = try await server.client(token: token).raw(method, path, body: body.map { Data($0.utf8) })
        let text = String(decoding: data, as: UTF8.self)
        return Answer(status: status, text: text, json: (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:])
    }

    /// Every entry `token` may read, newest first, following the cursors; and the text of every page.
    static func entries(_ server: TestServer, token: String, filter: String? = nil) async throws -> ([[String: Any]], String) {
        var entries: [[String: Any]] = []
        var text = ""
        var after: String?
        repeat {
            var items = [URLQueryItem(name: "limit", value: "7")]
            if let filter { items.append(URLQueryItem(name: "filter", value: filter)) }
            if let after { items.append(URLQueryItem(name: "after", value: after)) }
            var components = URLComponents()
            components.queryItems = items
            let answer = try await call(server, .GET, "/api/v1/audit?" + components.percentEncodedQuery!, token: token)
            try #require(answer.status == 200, "\(answer.text)")
            text += answer.text
            entries += try #require(answer.json["data"] as? [[String: Any]])
            let info = try #require(answer.json["page_info"] as? [String: Any])
            after = info["has_next_page"] as? Bool == true ? info["end_cursor"] as? String : nil
        } while after != nil
        return (entries, text)
    }

    /// The entries of `action`, newest first.
    static func of(_ action: String, in entries: [[String: Any]]) -> [[String: Any]] {
        entries.filter { $0["action"] as? String == action }
    }

    static func status(_ entry: [String: Any]) -> Int? { (entry["result"] as? [String: Any])?["status"] as? Int }
    static func actor(_ entry: [String: Any]) -> String? { (entry["actor"] as? [String: Any])?["login"] as? String }
    static func tokenID(_ entry: [String: Any]) -> Int64? { (entry["token_id"] as? NSNumber)?.int64Value }

    @Test func everyChangeIsRecordedWithWhoWhichTokenWhereFromAndTheResultAndNoSecretValue() async throws {
        let site = try TemporaryGitRepository()
        try site.write("index.html", "<p>audited</p>\n")
        try site.commit("site")
        try await TestServer.withServer(configure: { $0.adminPassword = Self.adminPassword }) { server in
            let anonymous = server.client(token: "")
            let admin = server.client
            var secrets: [String] = [Self.adminPassword, server.adminToken]

            // Logins: a wrong password for a real user, and a login that names nobody (its text is never kept).
            let strayText = "hunter2-" + UUID().uuidString
            secrets.append(strayText)
            let wrongPassword = "wrong password " + UUID().uuidString
            secrets.append(wrongPassword)
            for body in [#"{"login": "admin", "password": "\#(wrongPassword)"}"#, #"{"login": "\#(strayText)", "password": "x"}"#] {
                #expect(try await Self.call(server, .POST, "/api/v1/sessions", token: "", body: body).status == 401)
            }
            let adminLogin = try await anonymous.logIn(login: "admin", password: Self.adminPassword)
            secrets.append(adminLogin.token)
            let adminSession = server.client(token: adminLogin.token)

            // A user, a project with a secret variable, tokens.
            let danaPassword = "dana's password " + UUID().uuidString
            secrets.append(danaPassword)
            let dana = try await adminSession.createUser(login: "dana", password: danaPassword)
            let project = try await admin.createProject(NewProjectRequest(name: "audited", repository: site.path, buildCommand: "sleep 30"))
            let envSecret = "env-secret-" + UUID().uuidString
            secrets.append(envSecret)
            _ = try await admin.replaceEnvironmentVariables(
                project: "audited", ["production": ["API_KEY": .init(value: envSecret, secret: true), "GREETING": .init(value: "hello")]])
            let ci = try await admin.createToken(name: "ci", scopes: ["deploy"])
            let ciSecret = try #require(ci.token)
            let reader = try await admin.createToken(name: "reader", scopes: ["read"])
            let readerSecret = try #require(reader.token)
            secrets += [ciSecret, readerSecret]

            // The ci token deploys and cancels; the reader is refused; a deployment that does not exist is a 404.
            let deployed = try await server.client(token: ciSecret).deploy(projectIDs: [project.id])
            let deploymentID = try #require(deployed.deploymentIds.first)
            let canceled = try await Self.call(server, .POST, "/api/v1/deployments/\(deploymentID)/cancel", token: ciSecret)
            let refused = try await Self.call(server, .POST, "/api/v1/projects", token: readerSecret, body: #"{"name": "nope", "repository": "x"}"#)
            #expect(refused.status == 403)
            let missing = try await Self.call(server, .POST, "/api/v1/deployments/987654/kill", token: ciSecret)
            #expect(missing.status == 404)

            // The other dialects: refused attempts, with the status each answered.
            let deploysCancel = try await Self.call(server, .POST, "/api/deploys/dep_\(String(repeating: "0", count: 32))/cancel", token: ciSecret)
            let dokployRemove = try await Self.call(
                server, .POST, "/api/deployment.removeDeployment", token: ciSecret, body: #"{"deploymentId": "missing-one"}"#)
            let cloudflareDelete = try await Self.call(
                server, .DELETE, "/client/v4/accounts/any/pages/projects/audited/deployments/missing-one", token: ciSecret)

            // A domain with an uploaded certificate and its private key.
            let certificate = try SelfSignedCertificate.make(names: ["www.audit.test"], validity: 30 * 24 * 3600)
            let keyLines = certificate.privateKeyPEM.split(separator: "\n").filter { !$0.hasPrefix("-----") }
            secrets += keyLines.filter { $0.count > 20 }.map(String.init)
            _ = try await admin.addDomain(
                project: "audited", hostname: "www.audit.test",
                certificate: CertificateFiles(chainPEM: certificate.certificatePEM, privateKeyPEM: certificate.privateKeyPEM))
            _ = try await admin.removeDomain(project: "audited", hostname: "www.audit.test")

            // Members: an invitation accepted, a role changed, a member removed.
            let invitation = try await admin.invite(login: "dana", role: "developer")
            secrets.append(try #require(invitation.code))
            let danaLogin = try await anonymous.logIn(login: "dana", password: danaPassword)
            secrets.append(danaLogin.token)
            _ = try await server.client(token: danaLogin.token).acceptInvitation(code: try #require(invitation.code))
            _ = try await admin.setRole("viewer", ofMember: dana.id)
            _ = try await admin.removeMember(dana.id)

            _ = try await admin.revokeToken(ci.id)
            _ = try await adminSession.setInstallLimits(InstallLimitsValues(projectsPerWorkspace: 50))
            let deleted = try await Self.call(server, .DELETE, "/api/v1/projects/audited", token: server.adminToken)

            let (entries, text) = try await Self.entries(server, token: adminLogin.token)
            func one(_ action: String, _ check: ([String: Any]) -> Bool = { _ in true }) -> [String: Any]? {
                Self.of(action, in: entries).first(where: check)
            }
            let me = try await admin.me()
            let workspaceID = me.workspace?.id

            // Logins: the failed one names the real user; the stray text names nobody; the good one is a session.
            let logins = Self.of("session.create", in: entries)
            #expect(logins.contains { Self.actor($0) == "admin" && Self.status($0) == 401 && $0["via"] as? String == "none" })
            #expect(logins.contains { Self.actor($0) == nil && Self.status($0) == 401 })
            #expect(logins.contains { Self.actor($0) == "admin" && Self.status($0) == 201 && $0["via"] as? String == "session" })
            #expect(logins.contains { Self.actor($0) == "dana" && Self.status($0) == 201 })
            #expect(one("user.create") { Self.actor($0) == "admin" && $0["via"] as? String == "session" && $0["workspace_id"] is NSNull } != nil)

            let created = try #require(one("project.create") { Self.status($0) == 201 })
            #expect(Self.actor(created) == "admin" && created["via"] as? String == "token" && Self.status(created) == 201)
            #expect((created["target"] as? [String: Any])?["name"] as? String == "audited")
            #expect((created["workspace_id"] as? NSNumber)?.int64Value == workspaceID)
            let env = try #require(one("env.replace"))
            #expect((env["detail"] as? [String: Any])?["production"] as? [String] == ["API_KEY", "GREETING"])
            #expect(one("token.create") { ($0["target"] as? [String: Any])?["name"] as? String == "ci" } != nil)
            #expect(one("token.revoke") { ($0["target"] as? [String: Any])?["id"] as? String == String(ci.id) } != nil)

            let deployment = try #require(one("deployment.create") { Self.tokenID($0) == ci.id })
            #expect(Self.status(deployment) == 200 && deployment["via"] as? String == "token")
            #expect((deployment["target"] as? [String: Any])?["id"] as? String == String(deploymentID))
            #expect(one("deployment.cancel") { Self.tokenID($0) == ci.id && Self.status($0) == canceled.status } != nil)
            let refusal = try #require(one("project.create") { Self.tokenID($0) == reader.id })
            #expect(Self.status(refusal) == 403 && (refusal["result"] as? [String: Any])?["outcome"] as? String == "failed")
            #expect((refusal["result"] as? [String: Any])?["error"] as? String == "forbidden")
            let notFound = try #require(one("deployment.kill") { ($0["target"] as? [String: Any])?["id"] as? String == "987654" })
            #expect(Self.status(notFound) == 404 && (notFound["result"] as? [String: Any])?["error"] as? String == "not_found")
            #expect(one("deployment.cancel") { Self.status($0) == deploysCancel.status && Self.status($0) != canceled.status } != nil)
            // Dokploy's remove and Cloudflare's delete, each refused and recorded with its own status.
            let deletes = Self.of("deployment.delete", in: entries).filter { ($0["target"] as? [String: Any])?["id"] as? String == "missing-one" }
            #expect(deletes.compactMap(Self.status).sorted() == [dokployRemove.status, cloudflareDelete.status].sorted())
            #expect(dokployRemove.status >= 400 && cloudflareDelete.status >= 400 && deploysCancel.status >= 400)
            #expect(Self.of("deployment.delete", in: entries).count == 2)

            #expect(one("domain.add") { ($0["target"] as? [String: Any])?["name"] as? String == "www.audit.test" && Self.status($0) == 201 } != nil)
            #expect(one("domain.remove") { ($0["target"] as? [String: Any])?["id"] as? String == "www.audit.test" } != nil)
            #expect(one("invitation.create") { ($0["target"] as? [String: Any])?["name"] as? String == "dana" } != nil)
            #expect(one("invitation.accept") { Self.actor($0) == "dana" && ($0["workspace_id"] as? NSNumber)?.int64Value == workspaceID } != nil)
            #expect(one("member.role_change") { ($0["target"] as? [String: Any])?["id"] as? String == String(dana.id) } != nil)
            #expect(one("member.remove") { Self.status($0) == 200 } != nil)
            #expect(one("limits.update") { $0["workspace_id"] is NSNull && Self.actor($0) == "admin" } != nil)
            #expect(one("project.delete") { Self.status($0) == deleted.status } != nil)

            // Every entry came from this test's address; no secret value is anywhere in the trail.
            #expect(entries.allSatisfy { $0["address"] as? String == "127.0.0.1" })
            for secret in secrets { #expect(!text.contains(secret), "a secret is in the audit trail") }

            // Reads are not recorded.
            let before = entries.count
            _ = try await admin.projects()
            _ = try await admin.tokens()
            #expect(try await Self.entries(server, token: adminLogin.token).0.count == before)
        }
    }

    @Test func onlyOwnersAndAdminsReadTheTrailThroughTheQueryLanguage() async throws {
        try await TestServer.withServer(configure: { $0.adminPassword = Self.adminPassword }) { server in
            let admin = server.client
            let adminSession = server.client(token: try await server.client(token: "").logIn(login: "admin", password: Self.adminPassword).token)
            for index in 0..<5 { _ = try await admin.createToken(name: "token-\(index)", scopes: ["read"]) }
            let reader = try #require(try await admin.createToken(name: "reader", scopes: ["read"]).token)
            let deployer = try #require(try await admin.createToken(name: "deployer", scopes: ["deploy"]).token)
            for token in [reader, deployer] {
                let answer = try await Self.call(server, .GET, "/api/v1/audit", token: token)
                #expect(answer.status == 403 && answer.text.contains("admin"), "\(answer.text)")
            }
            // A developer and a viewer, by their sessions.
            for (login, role) in [("devi", "developer"), ("vic", "viewer")] {
                let password = "password of \(login), long enough"
                _ = try await adminSession.createUser(login: login, password: password)
                let code = try #require(try await admin.invite(login: login, role: role).code)
                let session = try await server.client(token: "").logIn(login: login, password: password)
                _ = try await server.client(token: session.token).acceptInvitation(code: code)
                #expect(try await Self.call(server, .GET, "/api/v1/audit", token: session.token).status == 403, "\(role)")
            }

            // The owner of another workspace, not an install administrator, sees that workspace's entries only.
            _ = try await adminSession.createUser(login: "olga", password: "password of olga, long enough")
            let other = try await adminSession.createWorkspace(name: "other", ownerLogin: "olga")
            let olga = try await server.client(token: "").logIn(login: "olga", password: "password of olga, long enough")
            _ = try await server.client(token: olga.token).acting(in: "other").createToken(name: "olga-token", scopes: ["read"])
            let (olgaEntries, _) = try await Self.entries(server, token: olga.token)
            #expect(olgaEntries.map { $0["action"] as? String } == ["token.create"])
            #expect(olgaEntries.allSatisfy { ($0["workspace_id"] as? NSNumber)?.int64Value == other.workspace.id })

            // Filters, order and cursors.
            let (tokenEntries, _) = try await Self.entries(server, token: server.adminToken, filter: #"{"action": {"eq": "token.create"}}"#)
            #expect(tokenEntries.count == 7 && tokenEntries.allSatisfy { $0["action"] as? String == "token.create" })
            let ascending = try await Self.call(
                server, .GET, "/api/v1/audit?limit=3&orderBy=%5B%7B%22created_at%22%3A%22asc%22%7D%5D", token: server.adminToken)
            let firstPage = try #require(ascending.json["data"] as? [[String: Any]])
            let ids = firstPage.compactMap { ($0["id"] as? NSNumber)?.int64Value }
            #expect(ids == ids.sorted() && ids.count == 3)
            let info = try #require(ascending.json["page_info"] as? [String: Any])
            let cursor = try #require(info["end_cursor"] as? String)
            let next = try await Self.call(
                server, .GET, "/api/v1/audit?limit=3&orderBy=%5B%7B%22created_at%22%3A%22asc%22%7D%5D&after=\(cursor)", token: server.adminToken)
            let nextIDs = (next.json["data"] as? [[String: Any]] ?? []).compactMap { ($0["id"] as? NSNumber)?.int64Value }
            #expect(nextIDs.count == 3 && nextIDs.min()! > ids.max()!)

            // Bad input is a 400 naming the part, never a 500.
            for (query, part) in [
                ("filter=%7B%22secret%22%3A%7B%22eq%22%3A1%7D%7D", "filter.secret"), ("limit=0", "limit"), ("after=garbage", "after"),
                ("orderBy=%5B%7B%22action%22%3A%22asc%22%7D%5D", "orderBy[0].action"), ("filter=%7Bnot%20json", "filter"),
            ] {
                let answer = try await Self.call(server, .GET, "/api/v1/audit?\(query)", token: server.adminToken)
                #expect(answer.status == 400 && (answer.json["errors"] as? [String: Any])?[part] != nil, "\(query): \(answer.text)")
            }
        }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: CommandLineTests.executable)))
    func slipwayAuditPrintsTheTrailAsATableAndAsJSON() async throws {
        try await TestServer.withServer { server in
            _ = try await server.client.createToken(name: "cli-made", scopes: ["read"])
            let environment = ["SLIPWAY_URL": server.baseURL, "SLIPWAY_TOKEN": server.adminToken]
            let (status, table) = try await CommandLineTests.slipway(
                ["audit", "--filter", #"{"action": {"eq": "token.create"}}"#], environment: environment)
            #expect(status == 0, "\(table)")
            #expect(table.contains("ACTION") && table.contains("token.create") && table.contains("token cli-made"), "\(table)")
            let (jsonStatus, json) = try await CommandLineTests.slipway(["audit", "--json", "--limit", "5"], environment: environment)
            #expect(jsonStatus == 0, "\(json)")
            let entries = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
            #expect(entries.first?["action"] as? String == "token.create")
            #expect((entries.first?["result"] as? [String: Any])?["status"] as? Int == 201)
            let (badStatus, bad) = try await CommandLineTests.slipway(["audit", "--filter", #"{"nope": {"eq": 1}}"#], environment: environment)
            #expect(badStatus != 0 && bad.contains("filter.nope"), "\(bad)")
        }
    }

    @Test func everyRouteThatChangesSomethingHasAnAuditAction() async throws {
        let routes = try await apiRouteList()
        let unaudited = Set(AuditedRoutes.unaudited.map { "\($0.method) /\($0.path)" })
        for route in routes where !["GET", "HEAD"].contains(route.method) {
            let segments = route.path.split(separator: "/").map { $0.hasPrefix("{") ? ":" + $0.dropFirst().dropLast() : $0 }
            let pattern = "/" + segments.joined(separator: "/")
            if unaudited.contains("\(route.method) \(pattern)") { continue }
            #expect(AuditedRoutes.route(method: route.method, path: route.path) != nil, "\(route) has no audit action")
        }
    }

    @Test func theRetentionDeletesEntriesOlderThanItsDaysByTheInjectedClock() async throws {
        try await SQLStore.withStore(.sqliteInMemory) { store in
            let now = Timestamp.date(microseconds: 1_800_000_000_000_000)
            let day: TimeInterval = 24 * 3600
            for age in [31.0, 30.5, 29, 1] {
                try await store.audit.record(
                    AuditEvent(
                        workspaceID: 1, actorUserID: 1, actorLogin: "admin", tokenID: nil, via: .session, address: "127.0.0.1",
                        createdAt: now.addingTimeInterval(-age * day), action: "project.update", targetType: "project", targetID: String(age),
                        targetName: nil, detail: [:], status: 200, outcome: .succeeded, errorCode: nil))
            }
            let retention = AuditRetention(audit: store.audit, days: 30, now: { now }, logger: Logger(label: "audit-retention-test"))
            #expect(try await retention.prune() == 2)
            let left = try await store.audit.page(
                try DeploymentQueryParser(catalog: .audit).parse([:]), scope: AuditScope(workspaceID: 1, includesInstallEvents: false))
            #expect(left.items.compactMap(\.targetID) == ["1.0", "29.0"])
            // A day later, the next one goes.
            let later = AuditRetention(audit: store.audit, days: 30, now: { now.addingTimeInterval(1.5 * day) }, logger: Logger(label: "t"))
            #expect(try await later.prune() == 1)
        }
    }
}
