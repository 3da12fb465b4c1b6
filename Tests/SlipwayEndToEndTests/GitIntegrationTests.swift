import Crypto
import Foundation
import NIOHTTP1
import SlipwayClient
import SlipwayTesting
import Testing

/// Git integration end to end: signed webhooks of GitHub, GitLab, Gitea and the generic shape against a real
/// repository, branch previews and their aliases, source-rule skips, duplicate deliveries, the production pin
/// after a rollback, and a real `git push` to Slipway's own remote.
@Suite struct GitIntegrationTests {
    /// A project as these tests read it.
    struct Project: Decodable {
        var id: Int64
        var uid: String
        var name: String
        var webhookSecret: String?
        var productionPinned: Bool
        var gitUrl: String
        var webhookUrl: String
        var productionDeploymentId: Int64?
    }

    /// The webhook's answer.
    struct HookAnswer: Decodable {
        var status: String
        var message: String
        var deploymentId: Int64?
        var skipReason: String?
    }

    /// A deployment with the git fields.
    struct GitDeployment: Decodable {
        var id: Int64
        var state: String
        var environment: String
        var trigger: String
        var gitBranch: String
        var commitId: String?
        var commitUrl: String?
        var commitAuthor: String?
        var sourceEventId: String?
        var skipReason: String?
        var isActive: Bool
        var aliases: [String]
    }

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }()

    /// A site whose build publishes `message.txt` as `dist/index.html`.
    func makeSite() throws -> TemporaryGitRepository {
        let repository = try TemporaryGitRepository()
        try repository.write("build.sh", "set -e\nmkdir -p dist\necho \"<h1>$(cat message.txt)</h1>\" > dist/index.html\n")
        try repository.write("message.txt", "one")
        try repository.commit("first version")
        return repository
    }

    func createProject(_ api: SlipwayClient, _ json: String) async throws -> Project {
        let (status, data) = try await api.raw(.POST, "/api/v1/projects", body: Data(json.utf8), headers: [("Content-Type", "application/json")])
        #expect(status == 201, "\(String(decoding: data, as: UTF8.self))")
        return try Self.decoder.decode(Project.self, from: data)
    }

    func fetchProject(_ api: SlipwayClient, _ name: String) async throws -> Project {
        let (_, data) = try await api.raw(.GET, "/api/v1/projects/\(name)")
        return try Self.decoder.decode(Project.self, from: data)
    }

    func deployment(_ api: SlipwayClient, _ id: Int64) async throws -> GitDeployment {
        let (_, data) = try await api.raw(.GET, "/api/v1/deployments/\(id)")
        return try Self.decoder.decode(GitDeployment.self, from: data)
    }

    func deploymentCount(_ api: SlipwayClient, _ project: String) async throws -> Int {
        try await api.deployments(project: project, perPage: 100).totalItems
    }

    static func hmac(_ body: Data, _ secret: String) -> String {
        HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8))).map { String(format: "%02x", $0) }.joined()
    }

    /// Sends a webhook delivery with its headers; returns the status and the answer.
    func deliver(_ server: TestServer, _ project: Project, _ body: String, headers: [(String, String)]) async throws -> (Int, HookAnswer?) {
        let client = server.client(token: "not-a-token")
        let (status, data) = try await client.raw(
            .POST, "/api/v1/hooks/git/\(project.uid)", body: Data(body.utf8), headers: [("Content-Type", "application/json")] + headers)
        return (status, try? Self.decoder.decode(HookAnswer.self, from: data))
    }

    /// A GitHub push payload of the repository's current head.
    func githubPush(_ repository: TemporaryGitRepository, ref: String, paths: [String], message: String? = nil) throws -> String {
        let sha = try repository.git("rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
        let text = try message ?? repository.git("log", "-1", "--format=%B").trimmingCharacters(in: .whitespacesAndNewlines)
        let commit: [String: Any] = [
            "id": sha, "message": text, "url": "https://github.com/acme/site/commit/\(sha)",
            "author": ["name": "Ada", "email": "ada@example.com"], "added": [], "removed": [], "modified": paths,
        ]
        let payload: [String: Any] = [
            "ref": ref, "before": String(repeating: "0", count: 40), "after": sha, "deleted": false, "commits": [commit], "head_commit": commit,
        ]
        return String(decoding: try JSONSerialization.data(withJSONObject: payload), as: UTF8.self)
    }

    func githubHeaders(_ body: String, secret: String, delivery: String, event: String = "push") -> [(String, String)] {
        [("X-GitHub-Event", event), ("X-GitHub-Delivery", delivery), ("X-Hub-Signature-256", "sha256=" + Self.hmac(Data(body.utf8), secret))]
    }

    @Test func signedWebhooksDeployBranchesSkipByRulesAndIgnoreRedeliveries() async throws {
        let site = try makeSite()
        try await TestServer.withServer { server in
            let api = server.client
            let project = try await createProject(
                api,
                #"{"name": "site", "repository": "\#(site.path)", "build_command": "sh build.sh", "output_dir": "dist", "source": {"path_excludes": ["docs/**"]}}"#
            )
            let secret = try #require(project.webhookSecret)
            #expect(secret.hasPrefix("whsec_"))
            #expect(
                project.webhookUrl == "\(server.baseURL.replacingOccurrences(of: "127.0.0.1", with: "localhost"))/api/v1/hooks/git/\(project.uid)")

            // GitHub: ping, then a signed push of main deploys production.
            let ping = "{\"zen\": \"Keep it logically awesome.\"}"
            #expect(try await deliver(server, project, ping, headers: githubHeaders(ping, secret: secret, delivery: "p-1", event: "ping")).0 == 200)
            let push = try githubPush(site, ref: "refs/heads/main", paths: ["message.txt"])
            let (status, answer) = try await deliver(server, project, push, headers: githubHeaders(push, secret: secret, delivery: "gh-1"))
            #expect(status == 201)
            let first = try await api.waitForDeployment(try #require(answer?.deploymentId))
            #expect(first.state == "success")
            #expect(first.environment == "production")
            #expect(first.trigger == "auto")
            let firstGit = try await deployment(api, first.id)
            #expect(firstGit.sourceEventId == "gh-1")
            #expect(firstGit.commitUrl?.hasPrefix("https://github.com/acme/site/commit/") == true)
            #expect(firstGit.isActive)
            #expect(try await server.edge("site").body == "<h1>one</h1>\n")

            // The same delivery again: answered, nothing new deployed.
            let (again, againAnswer) = try await deliver(server, project, push, headers: githubHeaders(push, secret: secret, delivery: "gh-1"))
            #expect(again == 200)
            #expect(againAnswer?.deploymentId == first.id)
            #expect(try await deploymentCount(api, "site") == 1)

            // Bad and missing signatures: 401, nothing deployed.
            #expect(
                try await deliver(server, project, push, headers: githubHeaders(push, secret: "wrong-secret-0123456789", delivery: "gh-2")).0 == 401)
            #expect(try await deliver(server, project, push, headers: [("X-GitHub-Event", "push"), ("X-GitHub-Delivery", "gh-3")]).0 == 401)
            let tampered = push.replacingOccurrences(of: "Ada", with: "Eve")
            #expect(try await deliver(server, project, tampered, headers: githubHeaders(push, secret: secret, delivery: "gh-4")).0 == 401)

            // Gitea: a feature branch deploys as a preview, served at its branch alias; production stays.
            try site.checkoutNewBranch("feature-x")
            try site.write("message.txt", "feature")
            try site.commit("feature work")
            let feature = try githubPush(site, ref: "refs/heads/feature-x", paths: ["message.txt"])
            let gitea = [("X-Gitea-Event", "push"), ("X-Gitea-Delivery", "gt-1"), ("X-Gitea-Signature", Self.hmac(Data(feature.utf8), secret))]
            let (featureStatus, featureAnswer) = try await deliver(server, project, feature, headers: gitea)
            #expect(featureStatus == 201)
            let preview = try await api.waitForDeployment(try #require(featureAnswer?.deploymentId))
            #expect(preview.state == "success")
            #expect(preview.environment == "preview")
            #expect(preview.aliases.contains("http://feature-x.site.localhost:\(server.port)"))
            #expect(try await server.edge("feature-x.site").body == "<h1>feature</h1>\n")
            #expect(try await server.edge("site").body == "<h1>one</h1>\n")

            // GitLab: a push that only touches docs/ is recorded skipped (path_config), never run.
            try site.checkout("main")
            try site.write("docs/guide.md", "# guide")
            let docsSHA = try site.commit("docs only")
            let gitlab = """
                {"object_kind":"push","ref":"refs/heads/main","after":"\(docsSHA)","checkout_sha":"\(docsSHA)","total_commits_count":1,
                 "commits":[{"id":"\(docsSHA)","message":"docs only","author":{"name":"B","email":"b@example.com"},"added":["docs/guide.md"],"modified":[],"removed":[]}]}
                """
            let (wrongToken, _) = try await deliver(server, project, gitlab, headers: [("X-Gitlab-Event", "Push Hook"), ("X-Gitlab-Token", "nope")])
            #expect(wrongToken == 401)
            let (gitlabStatus, gitlabAnswer) = try await deliver(
                server, project, gitlab, headers: [("X-Gitlab-Event", "Push Hook"), ("X-Gitlab-Token", secret), ("X-Gitlab-Event-UUID", "gl-1")])
            #expect(gitlabStatus == 201)
            #expect(gitlabAnswer?.skipReason == "path_config")
            let skipped = try await deployment(api, try #require(gitlabAnswer?.deploymentId))
            #expect(skipped.state == "skipped")
            #expect(skipped.skipReason == "path_config")

            // Generic: `[skip ci]` in the message skips with commit_message.
            try site.write("message.txt", "two")
            let skipSHA = try site.commit("tweak [skip ci]")
            let generic = """
                {"event":"push","delivery_id":"gen-1","branch":"main","commit":{"id":"\(skipSHA)","message":"tweak [skip ci]","author":"C"},"changed_paths":["message.txt"]}
                """
            let (genericStatus, genericAnswer) = try await deliver(
                server, project, generic, headers: [("X-Slipway-Signature", "sha256=" + Self.hmac(Data(generic.utf8), secret))])
            #expect(genericStatus == 201)
            #expect(genericAnswer?.skipReason == "commit_message")

            // Tags and branch deletions create nothing.
            let before = try await deploymentCount(api, "site")
            let tag = try githubPush(site, ref: "refs/tags/v1", paths: [])
            #expect(try await deliver(server, project, tag, headers: githubHeaders(tag, secret: secret, delivery: "gh-tag")).0 == 200)
            let deletion = #"{"ref":"refs/heads/feature-x","after":"0000000000000000000000000000000000000000","deleted":true,"commits":[]}"#
            #expect(try await deliver(server, project, deletion, headers: githubHeaders(deletion, secret: secret, delivery: "gh-del")).0 == 200)
            #expect(try await deploymentCount(api, "site") == before)
            #expect(try await server.edge("site").body == "<h1>one</h1>\n")
        }
    }

    @Test func invalidSourceSettingsNameTheField() async throws {
        try await TestServer.withServer { server in
            let (status, data) = try await server.client.raw(
                .POST, "/api/v1/projects",
                body: Data(#"{"name": "x", "repository": "https://git.invalid/r.git", "source": {"preview_deployment_setting": "most"}}"#.utf8),
                headers: [("Content-Type", "application/json")])
            #expect(status == 422)
            #expect(String(decoding: data, as: UTF8.self).contains("source.preview_deployment_setting"))
            let (secretStatus, secretData) = try await server.client.raw(
                .POST, "/api/v1/projects", body: Data(#"{"name": "x", "repository": "https://git.invalid/r.git", "webhook_secret": "short"}"#.utf8),
                headers: [("Content-Type", "application/json")])
            #expect(secretStatus == 422)
            #expect(String(decoding: secretData, as: UTF8.self).contains("webhook_secret"))
        }
    }

    @Test func aRollbackPinsProductionUntilUnpinned() async throws {
        let site = try makeSite()
        try await TestServer.withServer { server in
            let api = server.client
            let project = try await createProject(
                api, #"{"name": "pin", "repository": "\#(site.path)", "build_command": "sh build.sh", "output_dir": "dist"}"#)
            let secret = try #require(project.webhookSecret)
            func pushMain(_ message: String, _ delivery: String) async throws -> DeploymentInfo {
                try site.write("message.txt", message)
                let sha = try site.commit(message)
                let body = #"{"event":"push","branch":"main","commit":{"id":"\#(sha)","message":"\#(message)"},"changed_paths":["message.txt"]}"#
                let (status, answer) = try await deliver(
                    server, project, body,
                    headers: [("X-Slipway-Delivery", delivery), ("X-Slipway-Signature", "sha256=" + Self.hmac(Data(body.utf8), secret))])
                #expect(status == 201)
                return try await api.waitForDeployment(try #require(answer?.deploymentId))
            }
            let v1 = try await pushMain("v1", "d1")
            _ = try await pushMain("v2", "d2")
            #expect(try await server.edge("pin").body == "<h1>v2</h1>\n")

            let rollback = try await api.rollback(to: v1.id)
            let rolledBack = try await api.waitForDeployment(try #require(rollback.deploymentId))
            #expect(rolledBack.state == "success")
            #expect(try await server.edge("pin").body == "<h1>v1</h1>\n")
            #expect(try await fetchProject(api, "pin").productionPinned)

            // Pinned: the push builds and succeeds, but production stays on the rollback.
            let v3 = try await pushMain("v3", "d3")
            #expect(v3.state == "success")
            #expect(v3.environment == "production")
            #expect(!v3.isActive)
            #expect(try await server.edge("pin").body == "<h1>v1</h1>\n")
            #expect(try await server.edge("\(v3.shortId).pin").body == "<h1>v3</h1>\n")

            let (unpinStatus, _) = try await api.raw(.POST, "/api/v1/projects/pin/unpin")
            #expect(unpinStatus == 200)
            #expect(try await fetchProject(api, "pin").productionPinned == false)
            let v4 = try await pushMain("v4", "d4")
            #expect(v4.isActive)
            #expect(try await server.edge("pin").body == "<h1>v4</h1>\n")

            // A promote also unpins: roll back to v3 (pinned again), then promote v4.
            let again = try await api.rollback(to: v3.id)
            _ = try await api.waitForDeployment(try #require(again.deploymentId))
            #expect(try await fetchProject(api, "pin").productionPinned)
            #expect(try await server.edge("pin").body == "<h1>v3</h1>\n")
            let (promoteStatus, promoteData) = try await api.raw(.POST, "/api/v1/deployments/\(v4.id)/promote")
            #expect(promoteStatus == 200 || promoteStatus == 201, "\(String(decoding: promoteData, as: UTF8.self))")
            struct Promoted: Decodable { var deploymentId: Int64? }
            if let promoted = try? Self.decoder.decode(Promoted.self, from: promoteData).deploymentId {
                _ = try await api.waitForDeployment(promoted)
            }
            #expect(try await fetchProject(api, "pin").productionPinned == false)
            #expect(try await server.edge("pin").body == "<h1>v4</h1>\n")
        }
    }

    @Test func aGitPushToSlipwaysOwnRemoteDeploys() async throws {
        let site = try makeSite()
        try await TestServer.withServer { server in
            let api = server.client
            let project = try await createProject(
                api, #"{"name": "own", "repository": "slipway", "build_command": "sh build.sh", "output_dir": "dist"}"#)
            #expect(project.gitUrl.hasSuffix("/git/own.git"))
            let remote = "http://x:\(server.adminToken)@127.0.0.1:\(server.port)/git/own.git"

            // Without a token git is refused.
            await #expect(throws: (any Error).self) {
                try await onOwnThread { try site.git("push", "--quiet", "http://127.0.0.1:\(server.port)/git/own.git", "main") }
            }

            _ = try await onOwnThread { try site.git("push", "--quiet", remote, "main") }
            let sha = try site.git("rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
            let page = try await api.deployments(project: "own")
            #expect(page.totalItems == 1)
            let first = try await api.waitForDeployment(try #require(page.data.first?.id))
            #expect(first.state == "success")
            #expect(first.trigger == "auto")
            #expect(first.environment == "production")
            #expect(first.commitId == sha)
            #expect(try await deployment(api, first.id).sourceEventId?.hasPrefix("slipway-push-") == true)
            #expect(try await server.edge("own").body == "<h1>one</h1>\n")

            // A branch pushed to the remote becomes a preview at its alias.
            try site.checkoutNewBranch("feature/login")
            try site.write("message.txt", "login")
            try site.commit("login page")
            _ = try await onOwnThread { try site.git("push", "--quiet", remote, "feature/login") }
            let previews = try await api.deployments(project: "own")
            #expect(previews.totalItems == 2)
            let preview = try await api.waitForDeployment(try #require(previews.data.first?.id))
            #expect(preview.environment == "preview")
            #expect(try await server.edge("feature-login.own").body == "<h1>login</h1>\n")

            // Fetching works with a token, and the branch deletion creates nothing.
            let clone = FileManager.default.temporaryDirectory.appendingPathComponent("slipway-clone-\(UUID().uuidString.prefix(8))").path
            defer { try? FileManager.default.removeItem(atPath: clone) }
            _ = try await onOwnThread { try site.git("clone", "--quiet", remote, clone) }
            #expect(FileManager.default.fileExists(atPath: clone + "/message.txt"))
            _ = try await onOwnThread { try site.git("push", "--quiet", remote, "--delete", "feature/login") }
            #expect(try await api.deployments(project: "own").totalItems == 2)

            // The audit trail has each push made with the token (docs/audit.md); not the anonymous attempt, not the clone.
            let pushes = try await api.audit(filter: #"{"action": {"eq": "git.push"}}"#)
            #expect(pushes.data.count == 3, "\(pushes.data)")
            #expect(
                pushes.data.allSatisfy {
                    $0.via == "token" && $0.tokenId != nil && $0.target.name == "own" && $0.result.status == 200 && $0.address == "127.0.0.1"
                })
        }
    }
}
