import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SlipwayCertificates
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
            // Before any domain, the name is no route: the request goes to the API (and the dashboard, which has an <h1> too).
            #expect(try await Self.fetch(server, host: "shop.example.test").body.hasPrefix("<h1>") == false)

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
            #expect(try await Self.fetch(server, host: "staging.example.test").body.hasPrefix("<h1>") == false)
            #expect(try await api.deployment(staging.id).aliases.contains("http://staging.example.test:\(server.port)") == false)
            #expect(try await Self.call(server, .GET, "/api/v1/projects/shop/domains/staging.example.test").status == 404)
            #expect(try await Self.call(server, .DELETE, "/api/v1/projects/shop/domains/staging.example.test").status == 404)
            #expect(try await Self.fetch(server, host: "shop.example.test").body == "<h1>production</h1>\n")

            // Deleting the project takes its domains with it: the name is free again.
            _ = try await api.deleteProject("shop")
            #expect(try await Self.fetch(server, host: "shop.example.test").body.hasPrefix("<h1>") == false)
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

    /// A POST body adding `hostname` with a certificate and key (left out when nil).
    static func addBody(_ hostname: String, certificate: String?, key: String?) throws -> String {
        var body = ["hostname": hostname]
        body["certificate"] = certificate
        body["private_key"] = key
        return String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
    }

    /// The one message of `field` in a 422's `errors`, or the whole answer when it has none.
    static func problem(_ answer: APIAnswer, _ field: String) -> String {
        let errors = JSONValue(json: answer.body)?["errors"]?[field]?.arrayValue
        if let errors, errors.count == 1, case .string(let message) = errors[0] { return message }
        return "\(answer.status) " + String(decoding: answer.body, as: UTF8.self)
    }

    @Test func aWildcardDomainComesWithItsCertificateAndServesEveryNameOneLabelUnderItThatIsNoDomainItself() async throws {
        let site = try Self.makeSite()
        try await TestServer.withServer { server in
            let api = server.client
            let project = try await api.createProject(
                NewProjectRequest(name: "shop", repository: site.path, buildCommand: "sh build.sh", outputDir: "dist"))
            let path = "/api/v1/projects/shop/domains"
            let wildcard = try SelfSignedCertificate.make(names: ["*.example.test"])
            let namesUnderIt = try SelfSignedCertificate.make(names: ["a.example.test", "example.test"])
            let otherWildcard = try SelfSignedCertificate.make(names: ["*.other.test"])
            let deeperWildcard = try SelfSignedCertificate.make(names: ["*.a.example.test"])

            // Refused, naming the field, and nothing stored.
            let refusals: [(String, String, String)] = [
                (
                    try Self.addBody("*.Example.test", certificate: nil, key: nil), "certificate",
                    "is required for a wildcard domain: ACME cannot issue one, so it is uploaded with it"
                ),
                (try Self.addBody("*.example.test", certificate: nil, key: nil), "private_key", "is required with certificate"),
                (try Self.addBody("*.example.test", certificate: wildcard.certificatePEM, key: nil), "private_key", "is required with certificate"),
                (
                    try Self.addBody("*.example.test", certificate: namesUnderIt.certificatePEM, key: namesUnderIt.privateKeyPEM), "certificate",
                    "the certificate is not valid for *.example.test (it is for a.example.test, example.test)"
                ),
                (
                    try Self.addBody("*.example.test", certificate: otherWildcard.certificatePEM, key: otherWildcard.privateKeyPEM), "certificate",
                    "the certificate is not valid for *.example.test (it is for *.other.test)"
                ),
                (
                    try Self.addBody("*.example.test", certificate: deeperWildcard.certificatePEM, key: deeperWildcard.privateKeyPEM), "certificate",
                    "the certificate is not valid for *.example.test (it is for *.a.example.test)"
                ),
                (
                    try Self.addBody("*.example.test", certificate: wildcard.certificatePEM, key: otherWildcard.privateKeyPEM), "private_key",
                    "the key does not match the certificate"
                ),
                (
                    try Self.addBody("shop.example.test", certificate: otherWildcard.certificatePEM, key: otherWildcard.privateKeyPEM), "certificate",
                    "the certificate is not valid for shop.example.test (it is for *.other.test)"
                ),
            ]
            for (body, field, message) in refusals {
                let answer = try await Self.call(server, .POST, path, body: body)
                #expect(answer.status == 422, "\(body)")
                #expect(Self.problem(answer, field) == message, "\(body)")
            }
            #expect(try await api.domains(project: "shop").isEmpty)

            let added = try await Self.call(
                server, .POST, path, body: try Self.addBody(" *.Example.TEST. ", certificate: wildcard.certificatePEM, key: wildcard.privateKeyPEM))
            #expect(added.status == 201, "\(String(decoding: added.body, as: UTF8.self))")
            let domain = try #require(JSONValue(json: added.body))
            #expect(domain["hostname"] == .string("*.example.test"))
            #expect(domain["certificate"]?["status"] == .string("issued"))
            #expect(domain["certificate"]?["source"] == .string("uploaded"))
            #expect(domain["certificate"]?["issuer"] == .string("CN=*.example.test"))
            #expect(domain["dns"]?["type"] == .string("CNAME"))
            #expect(domain["dns"]?["name"] == .string("*.example.test"))
            #expect(domain["dns"]?["value"] == .string("shop.localhost"))
            // A wildcard belongs to one project, like any hostname.
            let again = try await Self.call(
                server, .POST, path, body: try Self.addBody("*.example.test", certificate: wildcard.certificatePEM, key: wildcard.privateKeyPEM))
            #expect(again.status == 409)

            // The path names it with `*` raw or percent-encoded.
            for spelling in ["*.example.test", "%2A.example.test", "%2a.EXAMPLE.test"] {
                let shown = try await Self.call(server, .GET, "\(path)/\(spelling)")
                #expect(shown.status == 200, "\(spelling)")
                #expect(try #require(JSONValue(json: shown.body))["hostname"] == .string("*.example.test"), "\(spelling)")
            }
            #expect(try await api.domain(project: "shop", hostname: "*.example.test").certificate.source == "uploaded")

            // Served for every name one label under it, as production; not for the base nor deeper names.
            let production = try await Self.deploy(api, project.id)
            #expect(production.state == "success")
            #expect(try await Self.fetch(server, host: "a.example.test").body == "<h1>production</h1>\n")
            #expect(try await Self.fetch(server, host: "Www.Example.Test.").body == "<h1>production</h1>\n")
            #expect(try await Self.fetch(server, host: "example.test").body.hasPrefix("<h1>") == false)
            #expect(try await Self.fetch(server, host: "b.a.example.test").body.hasPrefix("<h1>") == false)
            // It is no URL: the deployment's aliases do not list it.
            #expect(try await api.deployment(production.id).aliases.contains { $0.contains("*") } == false)

            // An exact domain wins over the wildcard that matches it.
            _ = try await api.addDomain(project: "shop", hostname: "staging.example.test", branch: "staging")
            #expect(try await Self.deploy(api, project.id, branch: "staging").state == "success")
            #expect(try await Self.fetch(server, host: "staging.example.test").body == "<h1>staging</h1>\n")
            #expect(try await Self.fetch(server, host: "other.example.test").body == "<h1>production</h1>\n")

            // Another workspace neither sees nor touches it.
            let otherToken = try await server.createWorkspace("other")
            _ = try await server.client(token: otherToken).createProject(
                NewProjectRequest(name: "theirs", repository: "https://git.example.com/theirs.git"))
            let upload = String(
                decoding: try JSONSerialization.data(withJSONObject: ["certificate": wildcard.certificatePEM, "private_key": wildcard.privateKeyPEM]),
                as: UTF8.self)
            for (method, route, body) in [
                (HTTPMethod.GET, "\(path)/%2A.example.test", nil), (.GET, "\(path)/*.example.test", nil),
                (.DELETE, "\(path)/%2A.example.test", nil), (.PUT, "\(path)/*.example.test/certificate", upload),
                (.GET, "/api/v1/projects/theirs/domains/*.example.test", nil),
            ] {
                #expect(try await Self.call(server, method, route, token: otherToken, body: body).status == 404, "\(method) \(route)")
            }
            let duplicate = try await Self.call(
                server, .POST, "/api/v1/projects/theirs/domains", token: otherToken,
                body: try Self.addBody("*.example.test", certificate: wildcard.certificatePEM, key: wildcard.privateKeyPEM))
            #expect(duplicate.status == 409)

            // Its certificate is replaced as any domain's is.
            let renewed = try SelfSignedCertificate.make(names: ["*.example.test"], validity: 30 * 24 * 3600)
            let replaced = try await api.uploadCertificate(
                project: "shop", hostname: "*.example.test",
                certificate: CertificateFiles(chainPEM: renewed.certificatePEM, privateKeyPEM: renewed.privateKeyPEM))
            #expect(replaced.certificate.notAfter != nil && replaced.certificate.notAfter != domain["certificate"]?["not_after"]?.stringValue)
            let wrong = try await Self.call(
                server, .PUT, "\(path)/%2A.example.test/certificate",
                body: String(
                    decoding: try JSONSerialization.data(
                        withJSONObject: ["certificate": namesUnderIt.certificatePEM, "private_key": namesUnderIt.privateKeyPEM]), as: UTF8.self))
            #expect(wrong.status == 422)
            #expect(Self.problem(wrong, "certificate") == "the certificate is not valid for *.example.test (it is for a.example.test, example.test)")

            // Removed with either spelling: no longer served, no longer found.
            #expect(try await Self.call(server, .DELETE, "\(path)/*.example.test").status == 200)
            #expect(try await Self.fetch(server, host: "a.example.test").body.hasPrefix("<h1>") == false)
            #expect(try await Self.fetch(server, host: "staging.example.test").body == "<h1>staging</h1>\n")
            #expect(try await Self.call(server, .GET, "\(path)/%2A.example.test").status == 404)
            #expect(try await Self.call(server, .DELETE, "\(path)/%2A.example.test").status == 404)
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
                (
                    #"{"hostname": "*.shop.example.test"}"#, "certificate",
                    "is required for a wildcard domain: ACME cannot issue one, so it is uploaded with it"
                ),
                (
                    #"{"hostname": "*.slipway.example.test", "certificate": "x", "private_key": "y"}"#, "hostname",
                    "*.slipway.example.test is under this server's own domain slipway.example.test, where projects are served already"
                ),
                (
                    #"{"hostname": "*.example.test", "certificate": "x", "private_key": "y"}"#, "hostname",
                    "*.example.test would cover this server's own domain slipway.example.test"
                ),
                (
                    #"{"hostname": "*.test", "certificate": "x", "private_key": "y"}"#, "hostname",
                    "a wildcard must stand over at least two labels, like *.example.com"
                ),
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
