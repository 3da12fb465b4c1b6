import Foundation
import SlipwayClient
import SlipwayServer
import SlipwayTesting
import Testing

/// Failed authentications limited per client address, on a real server: bearer tokens in every dialect, Dokploy's
/// `x-api-key`, git's Basic password and webhook signatures. The second client address is 127.0.0.2 (all of
/// 127.0.0.0/8 is this machine's loopback).
@Suite struct AuthenticationLimitTests {
    /// A server that allows 5 failures a minute per address.
    func withServer(_ body: @Sendable @escaping (TestServer) async throws -> Void) async throws {
        try await TestServer.withServer(configure: { $0.authFailureLimit = 5 }, body)
    }

    /// One request on a connection of its own from `source`: the status, the head and the body.
    func request(
        _ server: TestServer, _ path: String, method: String = "GET", headers: [(String, String)] = [], body: String = "",
        from source: String = "127.0.0.1"
    ) async throws -> (status: Int, head: String, body: String) {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(server.port)\r\nConnection: close\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        text += "Content-Length: \(body.utf8.count)\r\n\r\n" + body
        let answer = try await RawClient.exchange(port: server.port, from: source, text)
        let parts = answer.components(separatedBy: "\r\n\r\n")
        let status = Int(answer.split(separator: " ", maxSplits: 2).dropFirst().first ?? "") ?? 0
        return (status, parts.first ?? "", parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    func header(_ name: String, in head: String) -> String? {
        head.split(separator: "\r\n").first { $0.lowercased().hasPrefix(name.lowercased() + ":") }
            .map { $0.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces) }
    }

    @Test func repeatedBadTokensGet429WithRetryAfterWhileAGoodTokenFromAnotherAddressStillWorks() async throws {
        try await withServer { server in
            let wrong = [("Authorization", "Bearer slw_wrong_token")]
            for attempt in 1...5 {
                #expect(try await request(server, "/api/v1/me", headers: wrong).status == 401, "attempt \(attempt)")
            }
            let refused = try await request(server, "/api/v1/me", headers: wrong)
            #expect(refused.status == 429)
            let retryAfter = try #require(header("Retry-After", in: refused.head).flatMap { Int($0) })
            #expect((1...60).contains(retryAfter))
            #expect(refused.body.contains(#""status":"error""#) && refused.body.contains("too many failed authentication attempts"))

            // The address is refused whatever it sends now, a good token too; a request without one is a plain 401.
            let good = [("Authorization", "Bearer \(server.adminToken)")]
            #expect(try await request(server, "/api/v1/me", headers: good).status == 429)
            #expect(try await request(server, "/api/v1/me").status == 401)
            // Another address is not.
            #expect(try await request(server, "/api/v1/me", headers: good, from: "127.0.0.2").status == 200)
            #expect(try await request(server, "/api/v1/me", headers: wrong, from: "127.0.0.2").status == 401)
        }
    }

    @Test func everyDialectAnswersThe429InItsOwnShape() async throws {
        try await withServer { server in
            for _ in 1...5 { _ = try await request(server, "/api/v1/me", headers: [("Authorization", "Bearer wrong")]) }

            let deploys = try await request(server, "/api/deploys", headers: [("Authorization", "Bearer wrong")])
            #expect(deploys.status == 429 && deploys.body.contains(#""code":"too_many_failed_authentications""#))
            #expect(header("Retry-After", in: deploys.head) != nil)

            let dokploy = try await request(server, "/api/deployment.queueList", headers: [("x-api-key", "wrong")])
            #expect(dokploy.status == 429 && dokploy.body.contains(#""code":"TOO_MANY_REQUESTS""#))
            #expect(header("Retry-After", in: dokploy.head) != nil)

            let account = String(repeating: "0", count: 32)
            let cloudflare = try await request(
                server, "/client/v4/accounts/\(account)/pages/projects/web/deployments", headers: [("Authorization", "Bearer wrong")])
            #expect(cloudflare.status == 429 && cloudflare.body.contains(#""success":false"#) && cloudflare.body.contains(#""code":971"#))
            #expect(header("Retry-After", in: cloudflare.head) != nil)
            // Cloudflare's clients retry a 429 (and only say no for the other 4xx).
            #expect(header("x-should-retry", in: cloudflare.head) == nil)
        }
    }

    @Test func aSuccessfulAuthenticationUsesNoneOfTheBudget() async throws {
        try await withServer { server in
            let wrong = [("Authorization", "Bearer wrong")]
            let good = [("Authorization", "Bearer \(server.adminToken)")]
            var statuses: [Int] = []
            for _ in 1...4 { statuses.append(try await request(server, "/api/v1/me", headers: wrong).status) }
            for _ in 1...20 { statuses.append(try await request(server, "/api/v1/me", headers: good).status) }
            statuses.append(try await request(server, "/api/v1/me", headers: wrong).status)
            statuses.append(try await request(server, "/api/v1/me", headers: wrong).status)
            #expect(statuses == Array(repeating: 401, count: 4) + Array(repeating: 200, count: 20) + [401, 429])
        }
    }

    @Test func wrongGitPasswordsAreLimitedButGitsFirstRequestWithoutCredentialsIsNot() async throws {
        try await withServer { server in
            let path = "/git/web.git/info/refs?service=git-upload-pack"
            // git asks without credentials first, every time: never counted.
            for _ in 1...10 { #expect(try await request(server, path).status == 401) }
            let wrong = [("Authorization", "Basic " + Data("git:wrong".utf8).base64EncodedString())]
            for _ in 1...5 {
                let challenge = try await request(server, path, headers: wrong)
                #expect(challenge.status == 401 && header("WWW-Authenticate", in: challenge.head)?.hasPrefix("Basic") == true)
            }
            let refused = try await request(server, path, headers: wrong)
            #expect(refused.status == 429 && header("Retry-After", in: refused.head) != nil)
        }
    }

    @Test func wrongWebhookSignaturesAreLimitedPerProject() async throws {
        try await withServer { server in
            let web = try await server.client.createProject(NewProjectRequest(name: "web", repository: "https://example.com/web.git"))
            let docs = try await server.client.createProject(NewProjectRequest(name: "docs", repository: "https://example.com/docs.git"))
            let signed = [
                ("Content-Type", "application/json"), ("X-GitHub-Event", "push"),
                ("X-Hub-Signature-256", "sha256=" + String(repeating: "0", count: 64)),
            ]
            for _ in 1...5 {
                #expect(try await request(server, "/api/v1/hooks/git/\(web.uid)", method: "POST", headers: signed, body: "{}").status == 401)
            }
            let refused = try await request(server, "/api/v1/hooks/git/\(web.uid)", method: "POST", headers: signed, body: "{}")
            #expect(refused.status == 429 && header("Retry-After", in: refused.head) != nil)
            // Another project's webhook from the same sender is not refused, nor is a token of the same address.
            #expect(try await request(server, "/api/v1/hooks/git/\(docs.uid)", method: "POST", headers: signed, body: "{}").status == 401)
            #expect(try await request(server, "/api/v1/me", headers: [("Authorization", "Bearer \(server.adminToken)")]).status == 200)
        }
    }
}
