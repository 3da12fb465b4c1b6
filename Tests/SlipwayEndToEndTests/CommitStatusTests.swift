import Foundation
import NIOHTTP1
import SlipwayClient
import SlipwayCore
import SlipwayServer
import SlipwayTesting
import Testing

/// Commit statuses over real HTTP: a local server stands in for each forge's API and checks every request against
/// the forge's published shape (docs/notifications.md).
@Suite struct CommitStatusTests {
    struct Forge: Sendable {
        var name: String
        var repository: String
        /// The path a status of `sha` goes to, under the API base.
        var path: @Sendable (String) -> String
        var authorization: (header: String, value: String)
        var states: Set<String>
        /// The key of the status's name in the body.
        var contextKey: String
        var expectedStates: [String]
    }

    static let token = "forge-token-0123456789"
    static let forges: [Forge] = [
        Forge(
            name: "github", repository: "octo/site", path: { "/repos/octo/site/statuses/\($0)" }, authorization: ("authorization", "Bearer \(token)"),
            states: ["pending", "success", "failure", "error"], contextKey: "context", expectedStates: ["pending", "success"]),
        Forge(
            name: "gitlab", repository: "group/sub/site", path: { "/projects/group%2Fsub%2Fsite/statuses/\($0)" },
            authorization: ("private-token", token), states: ["pending", "running", "success", "failed", "canceled"], contextKey: "name",
            expectedStates: ["running", "success"]),
        Forge(
            name: "gitea", repository: "team/site", path: { "/repos/team/site/statuses/\($0)" }, authorization: ("authorization", "token \(token)"),
            states: ["pending", "success", "error", "failure", "warning"], contextKey: "context", expectedStates: ["pending", "success"]),
    ]

    @Test("A deployment's states are posted to GitHub, GitLab and Gitea in each one's shape", arguments: forges.indices)
    func postsStatuses(forgeIndex: Int) async throws {
        let forge = Self.forges[forgeIndex]
        let site = try TemporaryGitRepository()
        try site.write("build.sh", "#!/bin/sh\nset -e\nmkdir -p dist\necho ok > dist/index.html\n")
        let sha = try site.commit("first")
        try await RecordingHTTPServer.with(answer: { _, _ in .status(201) }) { receiver in
            try await TestServer.withServer { server in
                let api = server.client
                let project = try await api.createProject(
                    NewProjectRequest(name: "status-\(forge.name)", repository: site.path, buildCommand: "sh build.sh", outputDir: "dist"))
                let body =
                    #"{"forge":"\#(forge.name)","repository":"\#(forge.repository)","token":"\#(Self.token)","api_url":"\#(receiver.baseURL)/api/"}"#
                let (status, data) = try await api.raw(.PUT, "/api/v1/projects/\(project.id)/commit-status", body: Data(body.utf8))
                let text = String(decoding: data, as: UTF8.self)
                #expect(status == 200, "\(text)")
                #expect(!text.contains(Self.token) && text.contains(#""has_token":true"#), "\(text)")

                let queued = try await api.deploy(projectIDs: [project.id])
                let deployment = try await api.waitForDeployment(queued.deploymentIds[0])
                #expect(deployment.state == "success" && deployment.commitId == sha)
                let requests = try await receiver.waitForRequests(2)
                var states: [String] = []
                for request in requests {
                    #expect(request.method == "POST")
                    #expect(request.path == "/api" + forge.path(sha))
                    #expect(request.headers[forge.authorization.header] == forge.authorization.value)
                    #expect(request.headers["content-type"] == "application/json")
                    let json = try #require(try JSONSerialization.jsonObject(with: request.body) as? [String: Any])
                    let state = try #require(json["state"] as? String)
                    #expect(forge.states.contains(state))
                    states.append(state)
                    #expect(json[forge.contextKey] as? String == "slipway/status-\(forge.name)")
                    #expect((json["description"] as? String)?.isEmpty == false)
                    #expect(json["target_url"] as? String == "http://\(deployment.shortId).status-\(forge.name).localhost:\(server.port)")
                    let allowedKeys: Set<String> = ["state", "target_url", "description", forge.contextKey]
                    #expect(Set(json.keys).isSubset(of: allowedKeys), "\(json.keys)")
                }
                #expect(states == forge.expectedStates)

                let (shown, shownData) = try await api.raw(.GET, "/api/v1/projects/\(project.id)/commit-status")
                #expect(shown == 200 && !String(decoding: shownData, as: UTF8.self).contains(Self.token))
                #expect(try await api.raw(.DELETE, "/api/v1/projects/\(project.id)/commit-status").0 == 200)
                #expect(try await api.raw(.GET, "/api/v1/projects/\(project.id)/commit-status").0 == 404)
                // Commit statuses are not among the workspace's notification destinations.
                #expect(try await api.notificationDestinations().isEmpty)
            }
        }
    }

    @Test("Bad commit-status settings are a 422 naming the field, and a private API is refused without the flag")
    func badSettings() async throws {
        try await TestServer.withServer(configure: { $0.notifications.allowsPrivateTargets = false }) { server in
            let api = server.client
            let project = try await api.createProject(NewProjectRequest(name: "strict", repository: "https://git.invalid/r.git"))
            let cases: [(String, String)] = [
                (#"{"forge":"bitbucket","repository":"a/b","token":"t"}"#, "forge"),
                (#"{"forge":"github","repository":"a","token":"t"}"#, "repository"),
                (#"{"forge":"github","repository":"a/../b","token":"t"}"#, "repository"),
                (#"{"forge":"github","repository":"a/b"}"#, "token"),
                (#"{"forge":"github","repository":"a/b","token":"has space"}"#, "token"),
                (#"{"forge":"gitea","repository":"a/b","token":"t"}"#, "api_url"),
                (#"{"forge":"github","repository":"a/b","token":"t","api_url":"http://127.0.0.1:9/"}"#, "api_url"),
                (#"{"forge":"github","repository":"a/b","token":"t","api_url":"file:///etc"}"#, "api_url"),
            ]
            for (body, field) in cases {
                let (status, data) = try await api.raw(.PUT, "/api/v1/projects/\(project.id)/commit-status", body: Data(body.utf8))
                let text = String(decoding: data, as: UTF8.self)
                #expect(status == 422 && text.contains(field), "\(body): \(status) \(text)")
            }
            #expect(try await api.raw(.GET, "/api/v1/projects/\(project.id)/commit-status").0 == 404)
        }
    }
}
