import Foundation
import NIOHTTP1
import SlipwayClient
import SlipwayCore
import SlipwayTesting
import Testing

/// Every bad input on the endpoints of the foundation answers a 4xx whose message names the problem.
@Suite struct NativeAPIInputTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var method: HTTPMethod
        var path: String
        var body: String?
        var status: Int
        /// Text the message (or the named field) must contain.
        var mentions: String
        var testDescription: String { "\(method) \(path) \(body ?? "") → \(status)" }
    }

    /// Requests made with the admin token of the default workspace, in which project 1 ("site") exists
    /// with one successful deployment (1), and project 2 belongs to another workspace.
    static let cases: [Case] = [
        // Malformed or mistyped bodies.
        Case(method: .POST, path: "/api/v1/projects", body: "{not json", status: 400, mentions: "not valid JSON"),
        Case(method: .POST, path: "/api/v1/projects", body: "[1, 2]", status: 400, mentions: "JSON object"),
        Case(method: .POST, path: "/api/v1/deployments", body: "{\"project_ids\": ", status: 400, mentions: "not valid JSON"),
        Case(method: .POST, path: "/api/v1/tokens", body: "nope", status: 400, mentions: "not valid JSON"),
        // Projects.
        Case(method: .POST, path: "/api/v1/projects", body: "{}", status: 422, mentions: "name"),
        Case(method: .POST, path: "/api/v1/projects", body: #"{"name": "x"}"#, status: 422, mentions: "repository"),
        Case(
            method: .POST, path: "/api/v1/projects", body: #"{"name": 5, "repository": "https://git.invalid/r.git"}"#, status: 422, mentions: "name"),
        Case(
            method: .POST, path: "/api/v1/projects", body: #"{"name": "Not A Label", "repository": "https://git.invalid/r.git"}"#, status: 422,
            mentions: "DNS label"),
        Case(method: .POST, path: "/api/v1/projects", body: #"{"name": "ok", "repository": "relative/dir"}"#, status: 422, mentions: "repository"),
        Case(
            method: .POST, path: "/api/v1/projects", body: #"{"name": "ok", "repository": "https://git.invalid/r.git", "kind": "lambda"}"#,
            status: 422, mentions: "kind"),
        Case(
            method: .POST, path: "/api/v1/projects", body: #"{"name": "ok", "repository": "https://git.invalid/r.git", "root_dir": "../x"}"#,
            status: 422,
            mentions: "root_dir"),
        Case(
            method: .POST, path: "/api/v1/projects", body: #"{"name": "ok", "repository": "https://git.invalid/r.git", "production_branch": "a b"}"#,
            status: 422,
            mentions: "production_branch"),
        Case(
            method: .POST, path: "/api/v1/projects", body: #"{"name": "site", "repository": "https://git.invalid/r.git"}"#, status: 422,
            mentions: "already taken"),
        Case(
            method: .POST, path: "/api/v1/projects", body: #"{"name": "other-site", "repository": "https://git.invalid/r.git"}"#, status: 422,
            mentions: "already taken"),
        Case(method: .PATCH, path: "/api/v1/projects/site", body: #"{"output_dir": "/etc"}"#, status: 422, mentions: "output_dir"),
        Case(method: .GET, path: "/api/v1/projects/999", body: nil, status: 404, mentions: "999"),
        Case(method: .GET, path: "/api/v1/projects/2", body: nil, status: 404, mentions: "not found"),
        Case(method: .GET, path: "/api/v1/projects/other-site", body: nil, status: 404, mentions: "not found"),
        Case(method: .PATCH, path: "/api/v1/projects/2", body: #"{"name": "mine"}"#, status: 404, mentions: "not found"),
        Case(method: .DELETE, path: "/api/v1/projects/2", body: nil, status: 404, mentions: "not found"),
        Case(method: .GET, path: "/api/v1/projects?per_page=0", body: nil, status: 422, mentions: "per_page"),
        // Deployments.
        Case(method: .POST, path: "/api/v1/deployments", body: "{}", status: 422, mentions: "project_ids"),
        Case(method: .POST, path: "/api/v1/deployments", body: #"{"project_ids": 1}"#, status: 422, mentions: "project_ids"),
        Case(method: .POST, path: "/api/v1/deployments", body: #"{"project_ids": []}"#, status: 422, mentions: "project_ids"),
        Case(method: .POST, path: "/api/v1/deployments", body: #"{"project_ids": ["one"]}"#, status: 422, mentions: "project_ids.0"),
        Case(method: .POST, path: "/api/v1/deployments", body: #"{"project_ids": [1, 999]}"#, status: 422, mentions: "project_ids.1"),
        Case(method: .POST, path: "/api/v1/deployments", body: #"{"project_ids": [2]}"#, status: 422, mentions: "project 2 does not exist"),
        Case(method: .POST, path: "/api/v1/deployments", body: #"{"project_ids": [1], "commit_id": "xyz"}"#, status: 422, mentions: "commit_id"),
        Case(method: .POST, path: "/api/v1/deployments", body: #"{"project_ids": [1], "git_branch": "a..b"}"#, status: 422, mentions: "git_branch"),
        Case(
            method: .POST, path: "/api/v1/deployments", body: #"{"project_ids": [1], "environment": "staging"}"#, status: 422, mentions: "environment"
        ),
        Case(method: .GET, path: "/api/v1/projects/1/deployments?page=abc", body: nil, status: 422, mentions: "page"),
        Case(method: .GET, path: "/api/v1/projects/1/deployments?per_page=101", body: nil, status: 422, mentions: "per_page"),
        Case(method: .GET, path: "/api/v1/projects/2/deployments", body: nil, status: 404, mentions: "not found"),
        Case(method: .GET, path: "/api/v1/deployments/999", body: nil, status: 404, mentions: "999"),
        Case(method: .GET, path: "/api/v1/deployments/abc", body: nil, status: 404, mentions: "abc"),
        Case(method: .GET, path: "/api/v1/deployments/2", body: nil, status: 404, mentions: "not found"),
        Case(method: .POST, path: "/api/v1/deployments/2/rerun", body: nil, status: 404, mentions: "not found"),
        Case(method: .POST, path: "/api/v1/deployments/2/rollback", body: nil, status: 404, mentions: "not found"),
        Case(method: .POST, path: "/api/v1/deployments/999/rerun", body: nil, status: 404, mentions: "999"),
        Case(method: .POST, path: "/api/v1/deployments/1/rerun", body: nil, status: 409, mentions: "only failed deployments"),
        Case(method: .POST, path: "/api/v1/deployments/1/rollback", body: nil, status: 409, mentions: "already the active"),
        Case(method: .GET, path: "/api/v1/projects/2/rollback-candidates", body: nil, status: 404, mentions: "not found"),
        Case(method: .GET, path: "/api/v1/deployments/1/logs?after=-5", body: nil, status: 422, mentions: "after"),
        // Tokens.
        Case(method: .POST, path: "/api/v1/tokens", body: "{}", status: 422, mentions: "name"),
        Case(method: .POST, path: "/api/v1/tokens", body: #"{"name": "ci", "scopes": ["root"]}"#, status: 422, mentions: "scopes.0"),
        Case(
            method: .POST, path: "/api/v1/tokens", body: #"{"name": "ci", "expires_at": "2020-01-01T00:00:00Z"}"#, status: 422,
            mentions: "expires_at"),
        Case(method: .POST, path: "/api/v1/tokens", body: #"{"name": "ci", "expires_at": "soon"}"#, status: 422, mentions: "expires_at"),
        Case(
            method: .POST, path: "/api/v1/tokens", body: #"{"name": "ci", "expires_at": "2999-01-01T00:00:00Z"}"#, status: 422,
            mentions: "ten years"),
        Case(method: .DELETE, path: "/api/v1/tokens/999", body: nil, status: 404, mentions: "999"),
        // Unknown endpoints.
        Case(method: .GET, path: "/api/v1/nothing-here", body: nil, status: 404, mentions: "no such endpoint"),
    ]

    @Test func badInputAnswersAFourHundredThatNamesTheProblem() async throws {
        let site = try TemporaryGitRepository()
        try site.write("index.html", "hi")
        try site.commit("one")
        try await TestServer.withServer { server in
            let api = server.client
            _ = try await api.createProject(NewProjectRequest(name: "site", repository: site.path))
            let first = try await api.waitForDeployment(try await api.deploy(projectIDs: [1]).deploymentIds[0])
            #expect(first.id == 1 && first.state == "success")

            // Another workspace owns project 2 and deployment 2.
            let otherToken = try await server.createWorkspace("other")
            let other = server.client(token: otherToken)
            let otherProject = try await other.createProject(NewProjectRequest(name: "other-site", repository: site.path))
            #expect(otherProject.id == 2)
            let otherDeployment = try await other.waitForDeployment(try await other.deploy(projectIDs: [2]).deploymentIds[0])
            #expect(otherDeployment.id == 2)

            for testCase in Self.cases {
                let (status, data) = try await api.raw(testCase.method, testCase.path, body: testCase.body.map { Data($0.utf8) })
                let text = String(decoding: data, as: UTF8.self)
                #expect(status == testCase.status, "\(testCase.testDescription): got \(status) \(text)")
                #expect(text.contains(testCase.mentions), "\(testCase.testDescription): \(text)")
                let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
                #expect(json?["status"] as? String == "error", "\(testCase.testDescription): \(text)")
            }
            // The other workspace still sees its own.
            #expect(try await other.project("2").name == "other-site")
        }
    }

    @Test func tokensAuthenticateAndScopesLimitWhatTheyMayDo() async throws {
        try await TestServer.withServer { server in
            let api = server.client
            for header in [nil, "Bearer", "Bearer wrong", "Basic YWRtaW46YWRtaW4=", "Bearer \(server.adminToken)x"] {
                var request = [(String, String)]()
                if let header { request.append(("Authorization", header)) }
                let unauthenticated = server.client(token: "")
                let (status, data) = try await unauthenticated.raw(
                    .GET, "/api/v1/me", headers: request + (header == nil ? [("Authorization", "")] : []))
                #expect(status == 401, "\(header ?? "no header"): \(String(decoding: data, as: UTF8.self))")
            }
            #expect(try await server.client(token: "").raw(.GET, "/health").0 == 200)

            struct Created: Decodable {
                var id: Int64
                var token: String
                var scopes: [String]
            }
            let read: Created = try await api.send(.POST, "/api/v1/tokens", body: ["name": "reader", "scopes": ["read"]] as [String: AnyCodable])
            #expect(read.scopes == ["read"])
            // A token with an expiry shows it, and works until then.
            struct Expiring: Decodable {
                var token: String
                var expiresAt: String?
            }
            let inAWeek = Timestamp.format(Date().addingTimeInterval(7 * 24 * 3600))
            let expiring: Expiring = try await api.send(
                .POST, "/api/v1/tokens", body: ["name": "week", "expires_at": .string(inAWeek)] as [String: AnyCodable])
            #expect(expiring.expiresAt == inAWeek)
            #expect(try await server.client(token: expiring.token).raw(.GET, "/api/v1/me").0 == 200)
            let reader = server.client(token: read.token)
            let me = try await reader.me()
            #expect(me.scopes == ["read"])
            #expect(me.workspace?.name == "default")
            #expect(me.workspace?.cloudflareAccountId.count == 32)
            #expect(
                try await reader.raw(.POST, "/api/v1/projects", body: Data(#"{"name":"x","repository":"https://git.invalid/r.git"}"#.utf8)).0 == 403)
            #expect(try await reader.raw(.POST, "/api/v1/deployments", body: Data(#"{"project_ids":[1]}"#.utf8)).0 == 403)
            #expect(try await reader.raw(.GET, "/api/v1/tokens").0 == 403)

            let deploy: Created = try await api.send(
                .POST, "/api/v1/tokens", body: ["name": "deployer", "scopes": ["deploy"]] as [String: AnyCodable])
            let deployer = server.client(token: deploy.token)
            #expect(
                try await deployer.raw(.POST, "/api/v1/projects", body: Data(#"{"name":"x","repository":"https://git.invalid/r.git"}"#.utf8)).0 == 403
            )
            #expect(try await deployer.raw(.POST, "/api/v1/deployments", body: Data(#"{"project_ids":[77]}"#.utf8)).0 == 422)

            // The list never shows secrets; a revoked token stops working at once.
            let (_, listData) = try await api.raw(.GET, "/api/v1/tokens")
            #expect(!String(decoding: listData, as: UTF8.self).contains(read.token))
            #expect(try await api.raw(.DELETE, "/api/v1/tokens/\(read.id)").0 == 200)
            #expect(try await reader.raw(.GET, "/api/v1/me").0 == 401)
        }
    }

    @Test func projectsCanBeListedChangedAndDeleted() async throws {
        let site = try TemporaryGitRepository()
        try site.write("index.html", "v1")
        try site.commit("one")
        try await TestServer.withServer { server in
            let api = server.client
            _ = try await api.createProject(NewProjectRequest(name: "alpha", repository: site.path))
            _ = try await api.createProject(NewProjectRequest(name: "beta", repository: site.path))
            let page: PageInfo<ProjectInfo> = try await api.send(.GET, "/api/v1/projects?per_page=1&page=2")
            #expect(page.data.map(\.name) == ["beta"])
            #expect(page.totalItems == 2 && page.totalPages == 2)

            let deployment = try await api.waitForDeployment(try await api.deploy(projectIDs: [1]).deploymentIds[0])
            #expect(try await server.edge("alpha").body == "v1")
            let renamed: ProjectInfo = try await api.send(.PATCH, "/api/v1/projects/alpha", body: ["name": "gamma"] as [String: AnyCodable])
            #expect(renamed.name == "gamma")
            #expect(try await server.edge("gamma").body == "v1")
            #expect(try await server.edge("\(deployment.shortId).gamma").body == "v1")
            #expect(try await server.edge("alpha").status == 404)

            #expect(try await api.raw(.DELETE, "/api/v1/projects/gamma").0 == 200)
            #expect(try await server.edge("gamma").status == 404)
            #expect(try await api.raw(.GET, "/api/v1/deployments/\(deployment.id)").0 == 404)
            #expect(!FileManager.default.fileExists(atPath: server.dataDirectory + "/builds/\(try #require(deployment.buildId))"))
            #expect(!FileManager.default.fileExists(atPath: server.dataDirectory + "/logs/\(deployment.uid).log"))
        }
    }
}

/// A JSON value for ad-hoc request bodies in tests.
enum AnyCodable: Encodable, ExpressibleByStringLiteral, ExpressibleByArrayLiteral {
    case string(String)
    case array([String])

    init(stringLiteral value: String) { self = .string(value) }
    init(arrayLiteral elements: String...) { self = .array(elements) }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        }
    }
}
