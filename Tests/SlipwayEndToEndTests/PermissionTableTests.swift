import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SlipwayClient
import SlipwayServer
import SlipwayTesting
import Synchronization
import Testing

/// docs/tenancy.md's permission table, cell by cell: the routes come from the router itself, every route × every
/// caller is sent to a real server over loopback, and each answer must be what its cell says. The legend above the
/// table says who the callers are and what each request names.
@Suite struct PermissionTableTests {
    typealias Column = PermissionTable.Column

    @Test func everyRouteOfTheRouterHasARowAndEveryRowARoute() async throws {
        let differences = try PermissionTable.fromDocument().differences(from: try await apiRouteList().map(\.description))
        #expect(differences.withoutRow.isEmpty, "routes without a row in docs/tenancy.md's permission table: \(differences.withoutRow)")
        #expect(differences.withoutRoute.isEmpty, "rows of docs/tenancy.md's permission table that name no route: \(differences.withoutRoute)")
    }

    @Test func aRouteWithoutARowAndARowWithoutARouteAreReported() async throws {
        let table = try PermissionTable.fromDocument()
        var routed = try await apiRouteList().map(\.description).filter { $0 != "POST /api/deploys/{deploy}/cancel" }
        routed.append("GET /api/v1/projects/{project}/secrets")
        let differences = table.differences(from: routed)
        #expect(differences.withoutRow == ["GET /api/v1/projects/{project}/secrets"])
        #expect(differences.withoutRoute == ["POST /api/deploys/{deploy}/cancel"])
    }

    @Test func theTableIsReadStrictly() throws {
        let header =
            "## Permission table\n\n| route | none | viewer | developer | admin | owner | install admin | other |\n|---|---|---|---|---|---|---|---|\n"
        let good = try PermissionTable(markdown: "# T\n" + header + "| `GET /a` | 401 | ok | ok | ok | ok | 404 | 403 |\n\nAfter.\n| not | a row |\n")
        #expect(good.routes == ["GET /a"])
        #expect(good.rows["GET /a"]?[.installAdmin] == .notFound && good.rows["GET /a"]?[.other] == .forbidden)
        #expect(good.takesACredential("GET /a"))
        #expect(good.knownDifferences.isEmpty)
        let differences = "\n### Where the server differs today\n\n| route | caller | the server answers |\n|---|---|---|\n"
        let known = try PermissionTable(
            markdown: "# T\n" + header + "| `GET /a` | 401 | ok | ok | ok | ok | 404 | 403 |\n" + differences + "| `GET /a` | other | 404 today |\n")
        #expect(known.knownDifferences == ["GET /a": [.other: "404 today"]])
        #expect(throws: PermissionTable.Unreadable.self) {
            try PermissionTable(
                markdown: "# T\n" + header + "| `GET /a` | 401 | ok | ok | ok | ok | 404 | 403 |\n" + differences + "| `GET /b` | other | 404 |\n")
        }
        for broken in [
            "| `GET /a` | 401 | ok | ok | ok | ok | 404 | maybe |\n",  // an unknown cell
            "| `GET /a` | 401 | ok | ok | ok | ok | 404 |\n",  // a cell missing
            "| `GET /a` | 401 | ok | ok | ok | ok | 404 | 404 |\n| `GET /a` | 401 | ok | ok | ok | ok | 404 | 404 |\n",  // two rows
            "",  // no rows
        ] {
            #expect(throws: PermissionTable.Unreadable.self, "\(broken)") { try PermissionTable(markdown: "# T\n" + header + broken) }
        }
        #expect(throws: PermissionTable.Unreadable.self) {
            try PermissionTable(markdown: "# T\n## Permission table\n| route | none | viewer |\n|---|---|---|\n| `GET /a` | 401 | ok |\n")
        }
    }

    @Test func everyRouteAnswersEveryCallerAsTheTableSays() async throws {
        let table = try PermissionTable.fromDocument()
        let routes = try await apiRouteList().map(\.description)
        let site = try Self.makeSite()
        try await TestServer.withServer(
            configure: {
                $0.adminPassword = Install.adminPassword
                // Hundreds of requests from one address, some with deliberately wrong signatures; deployments pile up.
                $0.authFailureLimit = 100_000
                $0.queueCap = 100_000
                // A fresh notification destination for each probe that deletes, tests or reads one.
                $0.notifications.maximumDestinationsPerWorkspace = 1000
            }
        ) { server in
            let install = try await Install.make(server, repository: site.path)
            try await install.checkWhereEachCallerActs()
            var checked = 0
            for route in routes {
                guard let row = table.rows[route] else {
                    Issue.record("\(route) has no row in docs/tenancy.md's permission table")
                    continue
                }
                for column in Column.allCases {
                    let probe = try #require(try await install.probe(route, as: column), "the test does not know how to call \(route)")
                    let answer = try await install.send(probe)
                    try await probe.undo?(answer.status)
                    let cell = try #require(row[column])
                    let check = {
                        #expect(
                            cell.admits(answer.status),
                            "\(route) as \(column): the table says \(cell), the server answered \(answer.status) to \(probe): \(answer.clipped)")
                    }
                    if let known = table.knownDifferences[route]?[column] {
                        // Listed in docs/tenancy.md: expected to differ, and reported once it no longer does.
                        withKnownIssue("docs/tenancy.md says the server answers \(known) here today", check)
                    } else {
                        check()
                    }
                    if column == .none || column == .other, !probe.showsWorkspaceA {
                        let leaked = install.leaks(in: answer, to: probe)
                        #expect(leaked.isEmpty, "\(route) as \(column): the answer (\(answer.status)) shows A's \(leaked): \(answer.clipped)")
                    }
                    checked += 1
                }
            }
            #expect(checked == routes.count * Column.allCases.count)

            // Naming A in X-Slipway-Workspace without being a member of A: 404, on every route that takes a credential.
            var named = 0
            for route in routes where table.takesACredential(route) {
                for column in [Column.other, .installAdmin] {
                    for selector in [String(install.workspaceA.id), install.workspaceA.name] {
                        var probe = try #require(try await install.probe(route, as: column))
                        probe.headers.append(("X-Slipway-Workspace", selector))
                        let answer = try await install.send(probe)
                        try await probe.undo?(answer.status)
                        #expect(
                            answer.status == 404,
                            "\(route) as \(column) naming workspace '\(selector)': expected 404, the server answered \(answer.status): \(answer.clipped)"
                        )
                        let leaked = install.leaks(in: answer, to: probe)
                        #expect(leaked.isEmpty, "\(route) as \(column) naming workspace '\(selector)' shows A's \(leaked): \(answer.clipped)")
                        named += 1
                    }
                }
            }
            #expect(named > 200)
        }
    }

    /// A site whose build writes `dist/index.html`.
    static func makeSite() throws -> TemporaryGitRepository {
        let repository = try TemporaryGitRepository()
        try repository.write("build.sh", "mkdir -p dist\necho '<p>alpha</p>' > dist/index.html\n")
        _ = try repository.commit("site")
        return repository
    }
}

extension PermissionTableTests {
    /// How a probe authenticates.
    enum Credential: Sendable {
        case none
        case bearer(String)
        /// HTTP Basic with the token as the password, as git sends it.
        case basic(String)
    }

    /// One request of the table: a route called by one caller.
    struct Probe: Sendable, CustomStringConvertible {
        var method: HTTPMethod
        var path: String
        var body: String?
        var contentType = "application/json"
        var credential: Credential
        var headers: [(String, String)] = []
        /// The answer may show workspace A: the caller was invited into it.
        var showsWorkspaceA = false
        /// Undoes, given the answer's status, what a let-through request changed that later requests must not see.
        var undo: (@Sendable (Int) async throws -> Void)?

        var description: String { "\(method) \(path)" + (body.map { " \($0)" } ?? "") }
    }

    /// An answer.
    struct Answer: Sendable {
        var status: Int
        var body: String

        /// The body, cut short for a message.
        var clipped: String { body.count > 400 ? String(body.prefix(400)) + "…" : body }
    }

    /// A JSON value of a setup answer.
    struct JSON: @unchecked Sendable {
        let value: Any?

        init(_ text: String) throws { value = try JSONSerialization.jsonObject(with: Data(text.utf8)) }
        init(value: Any?) { self.value = value }

        subscript(key: String) -> JSON { JSON(value: (value as? [String: Any])?[key]) }
        subscript(index: Int) -> JSON {
            guard let array = value as? [Any], array.indices.contains(index) else { return JSON(value: nil) }
            return JSON(value: array[index])
        }
        var int: Int64? { (value as? NSNumber)?.int64Value }
        var array: [JSON] { (value as? [Any] ?? []).map { JSON(value: $0) } }
        var string: String? { value as? String }
    }

    /// A user of the test install and a session of theirs.
    struct Account: Sendable {
        var login: String
        var password: String
        var userID: Int64
        var token: String
        var sessionID: Int64
    }

    /// The install the table is checked on: the install administrator, workspace A with one member of each role and
    /// its fixtures (a project with a successful deployment, a token, a pending invitation), workspace B with its owner.
    struct Install: Sendable {
        static let adminPassword = "the install administrator's passphrase"
        /// Deployments made only to be stopped or deleted build a branch that does not exist: they fail at once.
        static let missingBranch = "tbl-no-such-branch"

        struct Workspace: Sendable {
            var id: Int64
            var name: String
            var accountID: String
        }

        let server: TestServer
        let repository: String
        /// Every caller but `none`.
        let accounts: [PermissionTable.Column: Account]
        /// A user of no workspace: who `none` logs in as.
        let loner: Account
        /// A user of no workspace whose password the install administrator resets.
        let resetTargetID: Int64
        /// A viewer of A whose role the owner sets (to viewer again).
        let spareMemberID: Int64
        /// A user whom requests remove from A (`removableMemberID()`).
        let removable: Account
        let workspaceA: Workspace
        let projectID: Int64
        let projectUID: String
        let projectName = "tbl-site-alpha"
        /// A's compose project (build type `compose`): Dokploy's `composeId`.
        let composeUID: String
        let deploymentID: Int64
        let deploymentUID: String
        /// What only A's people may see.
        let markers: [String]
        let counter = Counter()

        var owner: Account { accounts[.owner]! }

        // MARK: Setting up, through the API only

        static func make(_ server: TestServer, repository: String) async throws -> Install {
            let installAdmin = try await logIn(server, login: "admin", password: adminPassword)
            func user(_ login: String) async throws -> Account {
                let password = "\(login) passphrase"
                let created = try await call(
                    server, .POST, "/api/v1/users", as: installAdmin.token, body: json(["login": login, "password": password]))
                _ = try #require(created["id"].int)
                return try await logIn(server, login: login, password: password)
            }
            let ownerA = try await user("tbl-owner-a")
            let ownerB = try await user("tbl-owner-b")
            let loner = try await user("tbl-loner")
            let resetTarget = try await user("tbl-reset-target")
            let removable = try await user("tbl-removable-a")
            func workspace(_ name: String, owner: Account) async throws -> Workspace {
                let created = try await call(
                    server, .POST, "/api/v1/workspaces", as: installAdmin.token, body: json(["name": name, "owner_login": owner.login]))
                return Workspace(
                    id: try #require(created["workspace"]["id"].int), name: name,
                    accountID: try #require(created["workspace"]["cloudflare_account_id"].string))
            }
            let workspaceA = try await workspace("tbl-alpha", owner: ownerA)
            _ = try await workspace("tbl-bravo", owner: ownerB)
            // A's owner invites one member of each role; each accepts with a session of their own.
            var members: [PermissionTable.Column: Account] = [:]
            for (column, login) in [(PermissionTable.Column.admin, "tbl-admin-a"), (.developer, "tbl-developer-a"), (.viewer, "tbl-viewer-a")] {
                let member = try await user(login)
                try await invite(server, member, role: column.rawValue, by: ownerA)
                members[column] = member
            }
            let spare = try await user("tbl-spare-a")
            try await invite(server, spare, role: "viewer", by: ownerA)

            let project = try await call(
                server, .POST, "/api/v1/projects", as: ownerA.token,
                body: json(["name": "tbl-site-alpha", "repository": repository, "build_command": "sh build.sh", "output_dir": "dist"]))
            let projectID = try #require(project["id"].int)
            let compose = try await call(
                server, .POST, "/api/v1/projects", as: ownerA.token,
                body:
                    #"{"name": "tbl-compose-alpha", "repository": "\#(repository)", "kind": "service", "build_type": "compose", "expose_service": "web", "expose_port": 8080}"#
            )
            let composeUID = try #require(compose["uid"].string)
            let deployed = try await call(server, .POST, "/api/v1/deployments", as: ownerA.token, body: #"{"project_ids": [\#(projectID)]}"#)
            let deploymentID = try #require(deployed["deployments"][0]["id"].int)
            let finished = try await server.client(token: ownerA.token).waitForDeployment(deploymentID)
            #expect(finished.state == "success", "A's first deployment: \(finished.error ?? "")")
            _ = try await call(server, .POST, "/api/v1/tokens", as: ownerA.token, body: #"{"name": "tbl-token-alpha", "scopes": ["read"]}"#)
            _ = try await call(server, .POST, "/api/v1/invitations", as: ownerA.token, body: #"{"login": "tbl-invitee-alpha", "role": "viewer"}"#)

            members[.owner] = ownerA
            members[.installAdmin] = installAdmin
            members[.other] = ownerB
            let projectUID = try #require(project["uid"].string)
            let deploymentUID = try #require(deployed["deployments"][0]["uid"].string)
            return Install(
                server: server, repository: repository, accounts: members, loner: loner, resetTargetID: resetTarget.userID,
                spareMemberID: spare.userID, removable: removable, workspaceA: workspaceA, projectID: projectID, projectUID: projectUID,
                composeUID: composeUID, deploymentID: deploymentID, deploymentUID: deploymentUID,
                markers: [
                    workspaceA.name, workspaceA.accountID, "tbl-site-alpha", projectUID, "tbl-compose-alpha", composeUID, deploymentUID,
                    "tbl-owner-a", "tbl-admin-a",
                    "tbl-developer-a",
                    "tbl-viewer-a", "tbl-spare-a", "tbl-token-alpha", "tbl-invitee-alpha",
                ]
            )
        }

        /// Each caller acts where its column says, with the role it says: else the table would check nothing.
        func checkWhereEachCallerActs() async throws {
            for (column, account) in accounts {
                let me = try await Self.call(server, .GET, "/api/v1/me", as: account.token)
                switch column {
                case .viewer, .developer, .admin, .owner:
                    #expect(me["workspace"]["id"].int == workspaceA.id && me["role"].string == column.rawValue, "\(column): \(me.value ?? "")")
                case .installAdmin:
                    #expect(me["workspace"]["name"].string == "default" && me["user"]["is_install_admin"].value as? Bool == true)
                case .other:
                    #expect(me["workspace"]["name"].string == "tbl-bravo" && me["role"].string == "owner")
                case .none:
                    Issue.record("no account for none")
                }
            }
        }

        static func logIn(_ server: TestServer, login: String, password: String) async throws -> Account {
            let answer = try await call(server, .POST, "/api/v1/sessions", as: nil, body: json(["login": login, "password": password]))
            return Account(
                login: login, password: password, userID: try #require(answer["user"]["id"].int), token: try #require(answer["token"].string),
                sessionID: try #require(answer["session"]["id"].int))
        }

        /// `owner` invites `member` to their workspace with `role`; the member accepts.
        static func invite(_ server: TestServer, _ member: Account, role: String, by owner: Account) async throws {
            let invitation = try await call(server, .POST, "/api/v1/invitations", as: owner.token, body: json(["login": member.login, "role": role]))
            let code = try #require(invitation["code"].string)
            _ = try await call(server, .POST, "/api/v1/invitations/\(code)/accept", as: member.token)
        }

        /// A setup request that must succeed; its JSON answer.
        static func call(_ server: TestServer, _ method: HTTPMethod, _ path: String, as token: String?, body: String? = nil) async throws -> JSON {
            let answer = try await send(server, Probe(method: method, path: path, body: body, credential: token.map(Credential.bearer) ?? .none))
            guard (200..<300).contains(answer.status) else {
                throw TestSupportError("setting up: \(method) \(path) answered \(answer.status): \(answer.clipped)")
            }
            return try JSON(answer.body)
        }

        func call(_ method: HTTPMethod, _ path: String, as account: Account, body: String? = nil) async throws -> JSON {
            try await Self.call(server, method, path, as: account.token, body: body)
        }

        static func json(_ fields: [String: String]) -> String {
            String(decoding: try! JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]), as: UTF8.self)
        }

        // MARK: Sending

        static func send(_ server: TestServer, _ probe: Probe) async throws -> Answer {
            var request = HTTPClientRequest(url: server.baseURL + probe.path)
            request.method = probe.method
            request.headers.add(name: "Accept", value: "application/json")
            switch probe.credential {
            case .none: break
            case .bearer(let token): request.headers.add(name: "Authorization", value: "Bearer \(token)")
            case .basic(let token): request.headers.add(name: "Authorization", value: "Basic " + Data("git:\(token)".utf8).base64EncodedString())
            }
            for (name, value) in probe.headers { request.headers.add(name: name, value: value) }
            if let body = probe.body {
                request.headers.add(name: "Content-Type", value: probe.contentType)
                request.body = .bytes(ByteBuffer(string: body))
            }
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
            let body = try await response.body.collect(upTo: 16 << 20)
            return Answer(status: Int(response.status.code), body: String(buffer: body))
        }

        func send(_ probe: Probe) async throws -> Answer { try await Self.send(server, probe) }

        /// What of A's the answer shows that the request did not send itself.
        func leaks(in answer: Answer, to probe: Probe) -> [String] {
            let sent = probe.path + (probe.body ?? "") + probe.headers.map(\.1).joined()
            return markers.filter { answer.body.contains($0) && !sent.contains($0) }
        }

        // MARK: Fresh fixtures of A, made by its owner, for requests that change or remove what they name

        func freshName(_ prefix: String) -> String { "\(prefix)-\(counter.next())" }

        func freshDeployment() async throws -> (id: Int64, uid: String) {
            let created = try await call(
                .POST, "/api/v1/deployments", as: owner, body: #"{"project_ids": [\#(projectID)], "git_branch": "\#(Self.missingBranch)"}"#)
            return (try #require(created["deployments"][0]["id"].int), try #require(created["deployments"][0]["uid"].string))
        }

        func freshProjectID() async throws -> Int64 {
            let created = try await call(
                .POST, "/api/v1/projects", as: owner, body: Self.json(["name": freshName("tbl-doomed"), "repository": repository]))
            return try #require(created["id"].int)
        }

        /// A new custom domain of A's project, by its hostname.
        func freshDomain() async throws -> String {
            let body = Self.json(["hostname": freshName("tbl-domain") + ".example.test"])
            return try #require(try await call(.POST, "/api/v1/projects/\(projectID)/domains", as: owner, body: body)["hostname"].string)
        }

        /// A destination of workspace A on a closed loopback port (nothing leaves the machine).
        func freshDestinationID() async throws -> Int64 {
            let body = #"{"kind": "webhook", "url": "http://127.0.0.1:9/", "events": ["deployment.failed"]}"#
            return try #require(try await call(.POST, "/api/v1/notifications", as: owner, body: body)["id"].int)
        }

        /// Gives project A commit statuses, to a closed loopback port.
        func setCommitStatus() async throws {
            let body = #"{"forge": "github", "repository": "a/b", "token": "t", "api_url": "http://127.0.0.1:9"}"#
            _ = try await call(.PUT, "/api/v1/projects/\(projectID)/commit-status", as: owner, body: body)
        }

        func freshTokenID() async throws -> Int64 {
            try #require(try await call(.POST, "/api/v1/tokens", as: owner, body: Self.json(["name": freshName("tbl-doomed")]))["id"].int)
        }

        func freshInvitationCode(for login: String) async throws -> String {
            try #require(try await call(.POST, "/api/v1/invitations", as: owner, body: Self.json(["login": login, "role": "viewer"]))["code"].string)
        }

        /// The user id of `removable`, made a viewer of A again when a request has removed them. Removing them ended
        /// their session there, so they accept with a new one (a new user each time would cost a password hash more).
        func removableMemberID() async throws -> Int64 {
            let members = try await call(.GET, "/api/v1/members", as: owner)["data"].array
            if !members.contains(where: { $0["user"]["id"].int == removable.userID }) {
                let again = try await Self.logIn(server, login: removable.login, password: removable.password)
                try await Self.invite(server, again, role: "viewer", by: owner)
            }
            return removable.userID
        }

        // MARK: The request of each route

        /// The request `column` sends to `route` (docs/tenancy.md's legend); nil for a route this test does not know.
        func probe(_ route: String, as column: PermissionTable.Column) async throws -> Probe? {
            let account = accounts[column]
            let credential = account.map { Credential.bearer($0.token) } ?? .none
            func make(_ method: HTTPMethod, _ path: String, _ body: String? = nil) -> Probe {
                Probe(method: method, path: path, body: body, credential: credential)
            }
            let deployment = "/api/v1/deployments/\(deploymentID)"
            let cloudflare = "/client/v4/accounts/\(workspaceA.accountID)/pages/projects/\(projectName)/deployments"
            let hex = { (uid: String) in uid.replacingOccurrences(of: "-", with: "") }
            switch route {
            case "GET /health": return make(.GET, "/health")
            case "GET /openapi.yaml": return make(.GET, "/openapi.yaml")
            case "GET /metrics": return make(.GET, "/metrics")
            case "POST /api/v1/sessions":
                let user = account ?? loner
                return make(.POST, "/api/v1/sessions", Self.json(["login": user.login, "password": user.password]))
            case "POST /api/v1/hooks/git/{project_uid}":
                var probe = make(.POST, "/api/v1/hooks/git/\(projectUID)", #"{"ref": "refs/heads/main"}"#)
                probe.headers.append(("X-GitHub-Event", "push"))
                return probe

            case "GET /api/v1/me": return make(.GET, "/api/v1/me")
            case "PUT /api/v1/me/password":
                return make(.PUT, "/api/v1/me/password", Self.json(["current_password": account?.password ?? "", "new_password": "short"]))
            case "GET /api/v1/sessions": return make(.GET, "/api/v1/sessions")
            case "DELETE /api/v1/sessions/current":
                var probe = make(.DELETE, "/api/v1/sessions/current")
                if let account { probe.credential = .bearer(try await Self.logIn(server, login: account.login, password: account.password).token) }
                return probe
            case "DELETE /api/v1/sessions/{id}":
                let holder = column == .other ? owner : account ?? owner
                return make(.DELETE, "/api/v1/sessions/\(try await Self.logIn(server, login: holder.login, password: holder.password).sessionID)")

            case "GET /api/v1/users": return make(.GET, "/api/v1/users")
            case "POST /api/v1/users":
                return make(.POST, "/api/v1/users", Self.json(["login": freshName("tbl-user"), "password": "a long enough passphrase"]))
            case "PUT /api/v1/users/{id}/password":
                return make(.PUT, "/api/v1/users/\(resetTargetID)/password", Self.json(["password": "another long passphrase"]))
            case "GET /api/v1/workspaces": return make(.GET, "/api/v1/workspaces")
            case "POST /api/v1/workspaces": return make(.POST, "/api/v1/workspaces", Self.json(["name": freshName("tbl-made")]))
            case "PATCH /api/v1/workspaces/{id}":
                return make(.PATCH, "/api/v1/workspaces/\(workspaceA.id)", Self.json(["name": workspaceA.name]))
            case "DELETE /api/v1/workspaces/{id}": return make(.DELETE, "/api/v1/workspaces/\(workspaceA.id)")

            case "GET /api/v1/admin/limits": return make(.GET, "/api/v1/admin/limits")
            // Every limit unset, as they are: the answer changes nothing.
            case "PUT /api/v1/admin/limits": return make(.PUT, "/api/v1/admin/limits", "{}")
            case "GET /api/v1/members": return make(.GET, "/api/v1/members")
            case "PATCH /api/v1/members/{user_id}": return make(.PATCH, "/api/v1/members/\(spareMemberID)", #"{"role": "viewer"}"#)
            case "DELETE /api/v1/members/{user_id}": return make(.DELETE, "/api/v1/members/\(try await removableMemberID())")
            case "POST /api/v1/invitations":
                return make(.POST, "/api/v1/invitations", Self.json(["login": freshName("tbl-invitee"), "role": "viewer"]))
            case "GET /api/v1/invitations": return make(.GET, "/api/v1/invitations")
            case "DELETE /api/v1/invitations/{code}":
                return make(.DELETE, "/api/v1/invitations/\(try await freshInvitationCode(for: freshName("tbl-invitee")))")
            case "POST /api/v1/invitations/{code}/accept":
                let invitee = account ?? loner
                var probe = make(.POST, "/api/v1/invitations/\(try await freshInvitationCode(for: invitee.login))/accept")
                probe.showsWorkspaceA = true
                let owner = owner
                let server = server
                probe.undo = { status in
                    // Whoever joined A here leaves it again.
                    if (200..<300).contains(status) {
                        _ = try await Self.call(server, .DELETE, "/api/v1/members/\(invitee.userID)", as: owner.token)
                    }
                }
                return probe

            case "GET /api/v1/tokens": return make(.GET, "/api/v1/tokens")
            case "POST /api/v1/tokens": return make(.POST, "/api/v1/tokens", Self.json(["name": freshName("tbl-token")]))
            case "DELETE /api/v1/tokens/{id}": return make(.DELETE, "/api/v1/tokens/\(try await freshTokenID())")

            case "GET /api/v1/notifications": return make(.GET, "/api/v1/notifications")
            case "POST /api/v1/notifications":
                return make(.POST, "/api/v1/notifications", #"{"kind": "slack", "url": "http://127.0.0.1:9/x", "events": ["deployment.failed"]}"#)
            case "DELETE /api/v1/notifications/{id}": return make(.DELETE, "/api/v1/notifications/\(try await freshDestinationID())")
            case "POST /api/v1/notifications/{id}/test": return make(.POST, "/api/v1/notifications/\(try await freshDestinationID())/test")
            case "GET /api/v1/notifications/{id}/deliveries":
                return make(.GET, "/api/v1/notifications/\(try await freshDestinationID())/deliveries")
            case "GET /api/v1/projects/{project}/commit-status":
                try await setCommitStatus()
                return make(.GET, "/api/v1/projects/\(projectID)/commit-status")
            case "PUT /api/v1/projects/{project}/commit-status":
                return make(
                    .PUT, "/api/v1/projects/\(projectID)/commit-status",
                    #"{"forge": "gitlab", "repository": "1", "token": "t", "api_url": "http://127.0.0.1:9"}"#)
            case "DELETE /api/v1/projects/{project}/commit-status":
                try await setCommitStatus()
                return make(.DELETE, "/api/v1/projects/\(projectID)/commit-status")

            case "GET /api/v1/projects": return make(.GET, "/api/v1/projects")
            case "POST /api/v1/projects":
                return make(.POST, "/api/v1/projects", Self.json(["name": freshName("tbl-made"), "repository": repository]))
            case "GET /api/v1/projects/{project}": return make(.GET, "/api/v1/projects/\(projectID)")
            case "PATCH /api/v1/projects/{project}": return make(.PATCH, "/api/v1/projects/\(projectID)", "{}")
            case "DELETE /api/v1/projects/{project}": return make(.DELETE, "/api/v1/projects/\(try await freshProjectID())")
            case "GET /api/v1/projects/{project}/deployments": return make(.GET, "/api/v1/projects/\(projectID)/deployments")
            case "GET /api/v1/projects/{project}/rollback-candidates": return make(.GET, "/api/v1/projects/\(projectID)/rollback-candidates")
            case "GET /api/v1/projects/{project}/env": return make(.GET, "/api/v1/projects/\(projectID)/env")
            case "PUT /api/v1/projects/{project}/env": return make(.PUT, "/api/v1/projects/\(projectID)/env", "{}")
            case "PATCH /api/v1/projects/{project}/env": return make(.PATCH, "/api/v1/projects/\(projectID)/env", "{}")
            case "POST /api/v1/projects/{project}/unpin": return make(.POST, "/api/v1/projects/\(projectID)/unpin")
            case "GET /api/v1/projects/{project}/domains": return make(.GET, "/api/v1/projects/\(projectID)/domains")
            case "POST /api/v1/projects/{project}/domains":
                return make(.POST, "/api/v1/projects/\(projectID)/domains", Self.json(["hostname": freshName("tbl-made") + ".example.test"]))
            case "GET /api/v1/projects/{project}/domains/{domain}":
                return make(.GET, "/api/v1/projects/\(projectID)/domains/\(try await freshDomain())")
            case "DELETE /api/v1/projects/{project}/domains/{domain}":
                return make(.DELETE, "/api/v1/projects/\(projectID)/domains/\(try await freshDomain())")
            case "PUT /api/v1/projects/{project}/domains/{domain}/certificate":
                // A chain that is no PEM: let through, the answer is the 422 naming `certificate`.
                let body = Self.json(["certificate": "not a certificate", "private_key": "not a key"])
                return make(.PUT, "/api/v1/projects/\(projectID)/domains/\(try await freshDomain())/certificate", body)
            case "POST /api/v1/projects/{project}/domains/{domain}/verify":
                // Verification is off on this server: every domain is verified already, and the answer is it.
                return make(.POST, "/api/v1/projects/\(projectID)/domains/\(try await freshDomain())/verify")

            case "GET /api/v1/audit": return make(.GET, "/api/v1/audit")
            case "GET /api/v1/deployments": return make(.GET, "/api/v1/deployments")
            case "POST /api/v1/deployments":
                return make(.POST, "/api/v1/deployments", #"{"project_ids": [\#(projectID)], "git_branch": "\#(Self.missingBranch)"}"#)
            case "GET /api/v1/deployments/{deployment}": return make(.GET, deployment)
            case "DELETE /api/v1/deployments/{deployment}": return make(.DELETE, "/api/v1/deployments/\(try await freshDeployment().id)")
            case "GET /api/v1/deployments/{deployment}/logs": return make(.GET, deployment + "/logs")
            case "POST /api/v1/deployments/{deployment}/rerun": return make(.POST, deployment + "/rerun")
            case "POST /api/v1/deployments/{deployment}/rollback": return make(.POST, deployment + "/rollback")
            case "POST /api/v1/deployments/{deployment}/promote": return make(.POST, deployment + "/promote")
            case "POST /api/v1/deployments/{deployment}/cancel":
                return make(.POST, "/api/v1/deployments/\(try await freshDeployment().id)/cancel", "{}")
            case "POST /api/v1/deployments/{deployment}/kill": return make(.POST, "/api/v1/deployments/\(try await freshDeployment().id)/kill", "{}")
            case "GET /api/v1/queue": return make(.GET, "/api/v1/queue")

            case "GET /api/deploys": return make(.GET, "/api/deploys")
            case "POST /api/deploys": return make(.POST, "/api/deploys", Self.json(["appId": "app_" + hex(projectUID)]))
            case "GET /api/deploys/{deploy}": return make(.GET, "/api/deploys/dep_" + hex(deploymentUID))
            case "POST /api/deploys/{deploy}/cancel": return make(.POST, "/api/deploys/dep_\(hex(try await freshDeployment().uid))/cancel", "{}")

            case "GET /api/deployment.all": return make(.GET, "/api/deployment.all?applicationId=\(projectUID)")
            case "GET /api/deployment.allByCompose": return make(.GET, "/api/deployment.allByCompose?composeId=\(composeUID)")
            case "GET /api/deployment.allByServer": return make(.GET, "/api/deployment.allByServer?serverId=local")
            case "GET /api/deployment.allCentralized": return make(.GET, "/api/deployment.allCentralized")
            case "GET /api/deployment.queueList": return make(.GET, "/api/deployment.queueList")
            case "GET /api/deployment.allByType": return make(.GET, "/api/deployment.allByType?type=application&id=\(projectUID)")
            case "GET /api/settings.health": return make(.GET, "/api/settings.health")
            case "GET /api/settings.getOpenApiDocument": return make(.GET, "/api/settings.getOpenApiDocument")
            // Without an upgrade: 426 once the caller and the deployment have passed (docs/dokploy.md).
            case "GET /listen-deployment": return make(.GET, "/listen-deployment?logPath=/api/v1/deployments/\(deploymentID)/logs")
            case "POST /api/deployment.killProcess":
                return make(.POST, "/api/deployment.killProcess", Self.json(["deploymentId": try await freshDeployment().uid]))
            case "POST /api/deployment.removeDeployment":
                return make(.POST, "/api/deployment.removeDeployment", Self.json(["deploymentId": try await freshDeployment().uid]))

            case "GET /client/v4/accounts/{account_id}/pages/projects/{project_name}/deployments": return make(.GET, cloudflare)
            case "POST /client/v4/accounts/{account_id}/pages/projects/{project_name}/deployments":
                return make(.POST, cloudflare, Self.json(["branch": Self.missingBranch]))
            case "GET /client/v4/accounts/{account_id}/pages/projects/{project_name}/deployments/{deployment_id}":
                return make(.GET, "\(cloudflare)/\(deploymentUID)")
            case "DELETE /client/v4/accounts/{account_id}/pages/projects/{project_name}/deployments/{deployment_id}":
                return make(.DELETE, "\(cloudflare)/\(try await freshDeployment().uid)")
            case "GET /client/v4/accounts/{account_id}/pages/projects/{project_name}/deployments/{deployment_id}/history/logs":
                return make(.GET, "\(cloudflare)/\(deploymentUID)/history/logs")
            case "POST /client/v4/accounts/{account_id}/pages/projects/{project_name}/deployments/{deployment_id}/retry":
                return make(.POST, "\(cloudflare)/\(deploymentUID)/retry")
            case "POST /client/v4/accounts/{account_id}/pages/projects/{project_name}/deployments/{deployment_id}/rollback":
                return make(.POST, "\(cloudflare)/\(deploymentUID)/rollback")
            case "POST /client/v4/accounts/{account_id}/pages/projects/{project_name}/deployments/{deployment_id}/cancel":
                return make(.POST, "\(cloudflare)/\(try await freshDeployment().uid)/cancel")

            case "GET /git/{repository}/info/refs", "POST /git/{repository}/git-upload-pack", "POST /git/{repository}/git-receive-pack":
                let service = route.hasSuffix("receive-pack") ? "git-receive-pack" : "git-upload-pack"
                var probe =
                    route.hasPrefix("GET")
                    ? make(.GET, "/git/\(projectName).git/info/refs?service=\(service)")
                    : make(.POST, "/git/\(projectName).git/\(service)", "")
                probe.contentType = "application/x-\(service)-request"
                probe.credential = account.map { .basic($0.token) } ?? .none
                return probe
            default:
                return nil
            }
        }
    }

    /// Numbers for fresh names.
    final class Counter: Sendable {
        private let value = Mutex(0)

        func next() -> Int {
            value.withLock {
                $0 += 1
                return $0
            }
        }
    }
}
