import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SlipwayClient
import SlipwayTesting
import Testing

/// The error shapes of the Dokploy and Cloudflare dialects: 400 naming the field, 401, 403, 404, on a real server.
@Suite struct DialectErrorShapeTests {
    /// One answer: status, headers and the JSON body.
    func send(
        _ server: TestServer, _ method: HTTPMethod, _ path: String, headers: [(String, String)], body: String? = nil,
        contentType: String = "application/json"
    ) async throws -> (status: Int, headers: HTTPHeaders, json: [String: Any]) {
        var request = HTTPClientRequest(url: server.baseURL + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let data = try await response.body.collect(upTo: 1 << 20)
        let json = (try? JSONSerialization.jsonObject(with: Data(data.readableBytesView))) as? [String: Any] ?? [:]
        return (Int(response.status.code), response.headers, json)
    }

    /// A token of the admin's workspace with only the `read` scope.
    func readOnlyToken(_ server: TestServer) async throws -> String {
        let (status, data) = try await server.client.raw(.POST, "/api/v1/tokens", body: Data(#"{"name": "reader", "scopes": ["read"]}"#.utf8))
        #expect(status == 201)
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return try #require(json["token"] as? String)
    }

    @Test func dokployErrorsHaveDokployShapes() async throws {
        let site = try TemporaryGitRepository()
        try site.write("index.html", "<p>hi</p>")
        _ = try site.commit("first")
        try await TestServer.withServer { server in
            let web = try await server.client.createProject(NewProjectRequest(name: "web", repository: site.path))
            let reader = try await readOnlyToken(server)
            let deploymentID = UUID().uuidString.lowercased()

            let listed = try await send(server, .GET, "/api/deployment.all?applicationId=\(web.uid)", headers: [("x-api-key", reader)])
            #expect(listed.status == 200)
            for path in ["/api/deployment.killProcess", "/api/deployment.removeDeployment"] {
                let forbidden = try await send(server, .POST, path, headers: [("x-api-key", reader)], body: #"{"deploymentId": "\#(deploymentID)"}"#)
                #expect(forbidden.status == 403 && forbidden.json["code"] as? String == "FORBIDDEN", "\(path)")
                #expect((forbidden.json["message"] as? String)?.contains("deploy") == true)
            }
            let wrongType = try await send(
                server, .POST, "/api/deployment.killProcess", headers: [("x-api-key", server.adminToken)], body: #"{"deploymentId": 7}"#)
            #expect(wrongType.status == 400 && wrongType.json["field"] as? String == "deploymentId")
            #expect((wrongType.json["message"] as? String)?.contains("deploymentId") == true)
            let notFound = try await send(
                server, .POST, "/api/deployment.killProcess", headers: [("x-api-key", server.adminToken)],
                body: #"{"deploymentId": "\#(deploymentID)"}"#)
            #expect(notFound.status == 404 && notFound.json["code"] as? String == "NOT_FOUND")
            let anonymous = try await send(server, .GET, "/api/deployment.queueList", headers: [("x-api-key", "wrong")])
            #expect(anonymous.status == 401 && anonymous.json["code"] as? String == "UNAUTHORIZED")
            #expect(anonymous.headers.first(name: "WWW-Authenticate") == "Bearer")
            #expect(anonymous.headers.first(name: "Content-Type")?.hasPrefix("application/json") == true)
        }
    }

    @Test func cloudflareErrorsHaveTheEnvelope() async throws {
        let site = try TemporaryGitRepository()
        try site.write("index.html", "<p>hi</p>")
        _ = try site.commit("first")
        try await TestServer.withServer { server in
            _ = try await server.client.createProject(NewProjectRequest(name: "web", repository: site.path))
            let account = try await server.client.me().workspace?.cloudflareAccountId ?? ""
            let base = "/client/v4/accounts/\(account)/pages/projects/web/deployments"
            let reader = try await readOnlyToken(server)
            let admin = [("Authorization", "Bearer \(server.adminToken)")]

            /// Checks the failure envelope and answers the first error.
            func failure(_ answer: (status: Int, headers: HTTPHeaders, json: [String: Any])) -> [String: Any] {
                #expect(answer.json["success"] as? Bool == false)
                #expect((answer.json["messages"] as? [Any])?.isEmpty == true && answer.json["result"] != nil)
                let error = (answer.json["errors"] as? [[String: Any]])?.first ?? [:]
                #expect((error["code"] as? Int ?? 0) >= 1000 && (error["message"] as? String)?.isEmpty == false)
                return error
            }

            let forbidden = try await send(server, .POST, base, headers: [("Authorization", "Bearer \(reader)")], body: "{}")
            #expect(forbidden.status == 403 && failure(forbidden)["code"] as? Int == 9109)
            #expect(forbidden.headers.first(name: "x-should-retry") == "false")
            #expect(try await send(server, .GET, base, headers: [("Authorization", "Bearer \(reader)")]).status == 200)

            let wrongType = try await send(server, .POST, base, headers: admin, body: #"{"branch": 3}"#)
            #expect(wrongType.status == 400 && (failure(wrongType)["source"] as? [String: Any])?["pointer"] as? String == "/branch")
            let notJSON = try await send(server, .POST, base, headers: admin, body: "{branch")
            #expect(notJSON.status == 400 && failure(notJSON)["code"] as? Int == 8_000_000)
            let noBoundary = try await send(server, .POST, base, headers: admin, body: "x", contentType: "multipart/form-data")
            #expect(noBoundary.status == 400 && (failure(noBoundary)["source"] as? [String: Any])?["pointer"] as? String == "/Content-Type")
            let badCommit = try await send(server, .POST, base, headers: admin, body: #"{"commit_hash": "not a sha"}"#)
            #expect(badCommit.status == 400 && (failure(badCommit)["source"] as? [String: Any])?["pointer"] as? String == "/commit_hash")

            let missing = try await send(server, .GET, "\(base)/\(UUID().uuidString.lowercased())/history/logs", headers: admin)
            #expect(missing.status == 404 && failure(missing)["code"] as? Int == 8_000_009)
            for path in ["retry", "rollback", "cancel"] {
                let answer = try await send(server, .POST, "\(base)/\(UUID().uuidString.lowercased())/\(path)", headers: admin, body: "")
                #expect(answer.status == 404 && failure(answer)["code"] as? Int == 8_000_009, "\(path)")
            }
            let anonymous = try await send(server, .POST, base, headers: [], body: "{}")
            #expect(anonymous.status == 401 && failure(anonymous)["code"] as? Int == 10_000)
        }
    }
}
