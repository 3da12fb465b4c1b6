import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SlipwayClient
import SlipwayServer
import SlipwayTesting
import Testing

/// Custom domains end to end over real HTTP on loopback: added through the API, served by the edge for requests
/// whose `Host` is the domain (sent to 127.0.0.1, never resolved), shown in aliases, removed again.
@Suite struct CustomDomainTests {
    /// A static site whose build writes `dist/index.html` from `message.txt`.
    static func makeSite() throws -> TemporaryGitRepository {
        let site = try TemporaryGitRepository()
        try site.write("build.sh", "mkdir -p dist\necho \"<h1>$(cat message.txt)</h1>\" > dist/index.html\n")
        try site.write("message.txt", "production")
        _ = try site.commit("production")
        try site.checkoutNewBranch("staging")
        try site.write("message.txt", "staging")
        _ = try site.commit("staging")
        try site.checkout("main")
        return site
    }

    /// A request to the edge with `Host: host` (and the server's port), whatever the name.
    static func fetch(_ server: TestServer, host: String, _ path: String = "/") async throws -> (status: Int, body: String) {
        var request = HTTPClientRequest(url: server.baseURL + path)
        request.headers.replaceOrAdd(name: "Host", value: "\(host):\(server.port)")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), String(buffer: body))
    }

    /// An API request with the admin token, checked against the OpenAPI document.
    static func call(_ server: TestServer, _ method: HTTPMethod, _ path: String, token: String? = nil, body: String? = nil) async throws -> APIAnswer
    {
        try await server.send(method, path, headers: [("Authorization", "Bearer \(token ?? server.adminToken)")], body: body.map { Data($0.utf8) })
    }

    static func deploy(_ api: SlipwayClient, _ projectID: Int64, branch: String? = nil) async throws -> DeploymentInfo {
        try await api.waitForDeployment(try await api.deploy(projectIDs: [projectID], branch: branch).deploymentIds[0], timeout: .seconds(120))
    }

    @Test func aStaticSiteIsServedOnItsDomainAndABranchDomainOnItsBranchUntilRemoved() async throws {
        let site = try Self.makeSite()
        try await TestServer.withServer { server in
            let api = server.client
            let project = try await api.createProject(
                NewProjectRequest(name: "shop", repository: site.path, buildCommand: "sh build.sh", outputDir: "dist"))
            // Before any domain, the name is no route: the request goes to the API.
            #expect(try await Self.fetch(server, host: "shop.example.test").body.contains("<h1>") == false)

            let added = try await Self.call(server, .POST, "/api/v1/projects/shop/domains", body: #"{"hostname": " Shop.Example.TEST. "}"#)
            #expect(added.status == 201)
            let domain = try #require(JSONValue(json: added.body))
            #expect(domain["hostname"] == .string("shop.example.test"))
            #expect(domain["project_id"] == .number(Double(project.id)))
            #expect(domain["branch"] == .null)
            #expect(domain["dns"]?["type"] == .string("CNAME"))
            #expect(domain["dns"]?["value"] == .string("shop.localhost"))
            #expect(domain["certificate"]?["status"] == .string("pending"))
            #expect(domain["certificate"]?["source"] == .string("acme"))
            #expect(domain["certificate"]?["not_after"] == .null)

            // Added before the first deployment: served as soon as production exists.
            let production = try await Self.deploy(api, project.id)
            #expect(production.state == "success")
            #expect(try await Self.fetch(server, host: "shop.example.test").body == "<h1>production</h1>\n")
            #expect(try await Self.fetch(server, host: "SHOP.example.test.").body == "<h1>production</h1>\n")
            #expect(try await api.deployment(production.id).aliases.contains("http://shop.example.test:\(server.port)"))
            let account = try await api.me().workspace?.cloudflareAccountId ?? ""
            let cloudflare = try await Self.call(server, .GET, "/client/v4/accounts/\(account)/pages/projects/shop/deployments/\(production.uid)")
            let aliases = try #require(JSONValue(json: cloudflare.body))["result"]?["aliases"]
            #expect(aliases?.arrayValue?.contains(.string("http://shop.example.test:\(server.port)")) == true, "\(String(describing: aliases))")

            // A branch domain serves the branch's latest deployment, and only it shows the domain as an alias.
            _ = try await api.addDomain(project: "shop", hostname: "staging.example.test", branch: "staging")
            let staging = try await Self.deploy(api, project.id, branch: "staging")
            #expect(staging.state == "success")
            #expect(try await Self.fetch(server, host: "staging.example.test").body == "<h1>staging</h1>\n")
            #expect(try await Self.fetch(server, host: "shop.example.test").body == "<h1>production</h1>\n")
            #expect(try await api.deployment(staging.id).aliases.contains("http://staging.example.test:\(server.port)"))
            #expect(try await api.deployment(production.id).aliases.contains("http://staging.example.test:\(server.port)") == false)

            let listed = try await Self.call(server, .GET, "/api/v1/projects/\(project.id)/domains")
            #expect(listed.status == 200)
            #expect(try await api.domains(project: "shop").map(\.hostname) == ["shop.example.test", "staging.example.test"])
            let shown = try await Self.call(server, .GET, "/api/v1/projects/shop/domains/Staging.Example.Test")
            #expect(shown.status == 200)
            #expect(try #require(JSONValue(json: shown.body))["branch"] == .string("staging"))

            // Removed: the name stops being served at once and is no alias any more.
            let removed = try await Self.call(server, .DELETE, "/api/v1/projects/shop/domains/staging.example.test")
            #expect(removed.status == 200)
            #expect(try await Self.fetch(server, host: "staging.example.test").body.contains("<h1>") == false)
            #expect(try await api.deployment(staging.id).aliases.contains("http://staging.example.test:\(server.port)") == false)
            #expect(try await Self.call(server, .GET, "/api/v1/projects/shop/domains/staging.example.test").status == 404)
            #expect(try await Self.call(server, .DELETE, "/api/v1/projects/shop/domains/staging.example.test").status == 404)
            #expect(try await Self.fetch(server, host: "shop.example.test").body == "<h1>production</h1>\n")

            // Deleting the project takes its domains with it: the name is free again.
            _ = try await api.deleteProject("shop")
            #expect(try await Self.fetch(server, host: "shop.example.test").body.contains("<h1>") == false)
            let other = try await api.createProject(
                NewProjectRequest(name: "other", repository: site.path, buildCommand: "sh build.sh", outputDir: "dist"))
            #expect(try await api.addDomain(project: "\(other.id)", hostname: "shop.example.test").hostname == "shop.example.test")
        }
    }

    @Test func aServiceIsProxiedOnItsDomainAndTheDomainSurvivesARestart() async throws {
        let app = try ServiceDeploymentTests.makeApp()
        let dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("slipway-domains-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        try await TestServer.withServer(configure: { $0.dataDirectory = dataDirectory }) { server in
            let api = server.client
            let project = try await ServiceDeploymentTests.createService(api, name: "api", repository: app.path)
            #expect(try await ServiceDeploymentTests.deploy(api, project.id).state == "success")
            _ = try await api.addDomain(project: "api", hostname: "api.example.test")
            let answer = try await Self.fetch(server, host: "api.example.test", "/anything")
            #expect(answer.status == 200)
            #expect(answer.body == "v1\n")
        }
        // A new server on the same data directory routes the domain from the store before it takes traffic.
        try await TestServer.withServer(configure: { $0.dataDirectory = dataDirectory }) { server in
            let answer = try await Self.fetch(server, host: "api.example.test", "/again")
            #expect(answer.status == 200)
            #expect(answer.body == "v1\n")
        }
    }

    @Test func badInputIsRefusedNamingTheFieldAndOtherWorkspacesProjectsAreNotFound() async throws {
        try await TestServer.withServer(configure: { $0.domain = "slipway.example.test" }) { server in
            let api = server.client
            _ = try await api.createProject(NewProjectRequest(name: "shop", repository: "https://git.example.com/shop.git"))
            let path = "/api/v1/projects/shop/domains"
            let refused: [(String, String, String)] = [
                (#"{"hostname": "bad_name.example.test"}"#, "hostname", "'bad_name' must hold only letters, digits and hyphens"),
                (#"{"hostname": "192.0.2.10"}"#, "hostname", "must be a host name, not an IP address"),
                (#"{"hostname": "*.example.test"}"#, "hostname", "wildcards need an uploaded certificate"),
                (#"{"hostname": "slipway.example.test"}"#, "hostname", "slipway.example.test is this server's own domain"),
                (
                    #"{"hostname": "shop.Slipway.example.test"}"#, "hostname",
                    "shop.slipway.example.test is under this server's own domain slipway.example.test, where projects are served already"
                ),
                (#"{"hostname": "localhost"}"#, "hostname", "localhost is a loopback name, not a public one"),
                (#"{"hostname": "shop.example.test", "branch": "a..b"}"#, "branch", "is not a valid git branch name"),
                (#"{"branch": "main"}"#, "hostname", "is required"),
            ]
            for (body, field, message) in refused {
                let answer = try await Self.call(server, .POST, path, body: body)
                #expect(answer.status == 422, "\(body)")
                let errors = try #require(JSONValue(json: answer.body))["errors"]
                #expect(errors?[field] == .array([.string(message)]), "\(body): \(String(decoding: answer.body, as: UTF8.self))")
            }
            #expect(try await api.domains(project: "shop").isEmpty)

            // A hostname any project of the install has is a 409, in another workspace too; that workspace cannot
            // see, add to or remove from this one's project.
            _ = try await api.addDomain(project: "shop", hostname: "shop.example.test")
            let otherToken = try await server.createWorkspace("other")
            let other = server.client(token: otherToken)
            _ = try await other.createProject(NewProjectRequest(name: "theirs", repository: "https://git.example.com/theirs.git"))
            let duplicate = try await Self.call(
                server, .POST, "/api/v1/projects/theirs/domains", token: otherToken, body: #"{"hostname": "SHOP.example.test"}"#)
            #expect(duplicate.status == 409)
            #expect(
                String(decoding: duplicate.body, as: UTF8.self).contains("hostname shop.example.test is already a domain of a project on this server")
            )
            #expect(try await Self.call(server, .POST, path, body: #"{"hostname": "shop.example.test", "branch": "x"}"#).status == 409)
            for (method, route) in [
                (HTTPMethod.GET, path), (.POST, path), (.GET, path + "/shop.example.test"), (.DELETE, path + "/shop.example.test"),
            ] {
                let answer = try await Self.call(
                    server, method, route, token: otherToken, body: method == .POST ? #"{"hostname": "new.example.test"}"# : nil)
                #expect(answer.status == 404, "\(method) \(route)")
            }
            #expect(try await api.domains(project: "shop").map(\.hostname) == ["shop.example.test"])
        }
    }
}
