import Crypto
import Foundation
import NIOHTTP1
import SlipwayClient
import SlipwayCore
import SlipwayServer
import SlipwayStore
import SlipwayTesting
import Testing

/// Issue 13's holes 3, 4 (the 422 part) and 7 (files, `webhook_secret`, branches), replayed against a real server as a
/// tenant would try them with a token, each shown closed (docs/security-inputs.md).
@Suite struct InputAttackTests {
    /// The status, the `errors` by field, and the whole body of an answer.
    struct Answer {
        var status: Int
        var errors: [String: [String]]
        var body: String
    }

    static func send(_ api: SlipwayClient, _ method: HTTPMethod, _ path: String, _ json: String) async throws -> Answer {
        let (status, data) = try await api.raw(method, path, body: Data(json.utf8), headers: [("Content-Type", "application/json")])
        struct Body: Decodable { var errors: [String: [String]]? }
        return Answer(
            status: status, errors: (try? JSONDecoder().decode(Body.self, from: data))?.errors ?? [:], body: String(decoding: data, as: UTF8.self))
    }

    static func createProject(_ api: SlipwayClient, _ json: String) async throws -> Answer {
        try await send(api, .POST, "/api/v1/projects", json)
    }

    /// A JSON string literal of `text`.
    static func quoted(_ text: String) -> String {
        String(decoding: try! JSONEncoder().encode(text), as: UTF8.self)
    }

    /// A git repository outside every directory the test server allows.
    final class OutsideRepository: @unchecked Sendable {
        let path: String

        init() throws {
            path = FileManager.default.temporaryDirectory.appendingPathComponent("slipway-outside-\(UUID().uuidString.prefix(8))").path
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            try Data("<p>not yours</p>\n".utf8).write(to: URL(fileURLWithPath: path + "/index.html"))
        }

        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    // MARK: Repositories

    @Test func aLocalRepositoryOutsideTheAllowedDirectoriesAnswers422() async throws {
        let outside = try OutsideRepository()
        let allowed = try TemporaryGitRepository()
        try allowed.write("index.html", "<p>mine</p>\n")
        try allowed.commit("site")
        try await TestServer.withServer { server in
            let api = server.client
            for repository in [outside.path, "file://" + outside.path, "/etc", "/root"] {
                let answer = try await Self.createProject(api, #"{"name": "steal", "repository": \#(Self.quoted(repository))}"#)
                #expect(answer.status == 422, "\(repository): \(answer.body)")
                #expect(answer.errors["repository"]?.first?.contains("is not inside a directory this server allows") == true, "\(answer.body)")
            }
            // What the operator allowed is accepted; moving it outside afterwards is refused the same way.
            #expect(try await Self.createProject(api, #"{"name": "mine", "repository": \#(Self.quoted(allowed.path))}"#).status == 201)
            let update = try await Self.send(api, .PATCH, "/api/v1/projects/mine", #"{"repository": \#(Self.quoted(outside.path))}"#)
            #expect(update.status == 422 && update.errors["repository"] != nil, "\(update.body)")
            #expect(try await api.project("mine").repository == allowed.path)
        }
    }

    @Test func gitsRemoteHelpersAndOtherTransportsAnswer422() async throws {
        try await TestServer.withServer { server in
            for repository in ["ext::sh -c touch% /tmp/slipway-pwned", "fd::3", "ftp://127.0.0.1/x.git", "ssh://-oProxyCommand=id/x"] {
                let answer = try await Self.createProject(server.client, #"{"name": "helper", "repository": \#(Self.quoted(repository))}"#)
                #expect(answer.status == 422, "\(repository): \(answer.body)")
                #expect(answer.errors.keys.sorted() == ["repository"], "\(answer.body)")
            }
            #expect(!FileManager.default.fileExists(atPath: "/tmp/slipway-pwned"))
        }
    }

    @Test func theDataDirectoryIsNeverARepositoryEvenInsideAnAllowedDirectory() async throws {
        let temporary = FileManager.default.temporaryDirectory.path
        // The operator allows the whole temporary directory, where the test server's data directory lies too.
        try await TestServer.withServer(configure: { $0.allowedLocalRepositories = [temporary] }) { server in
            let api = server.client
            let own = try await Self.createProject(api, #"{"name": "own", "repository": "slipway"}"#)
            #expect(own.status == 201, "\(own.body)")
            let ownUID = try await api.project("own").uid
            let link = TemporaryGitRepository.directory + "/data-link-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: server.dataDirectory)
            defer { try? FileManager.default.removeItem(atPath: link) }
            for repository in [
                server.dataDirectory, "file://" + server.dataDirectory, server.dataDirectory + "/git/\(ownUID).git",
                "file://" + server.dataDirectory + "/git/\(ownUID).git", server.dataDirectory + "/builds/../git",
                link + "/git/\(ownUID).git", TemporaryGitRepository.directory + "/../" + (server.dataDirectory as NSString).lastPathComponent,
            ] {
                let answer = try await Self.createProject(api, #"{"name": "snoop", "repository": \#(Self.quoted(repository))}"#)
                #expect(answer.status == 422, "\(repository): \(answer.body)")
                #expect(answer.errors["repository"]?.first?.contains("inside Slipway's data directory") == true, "\(answer.body)")
            }
        }
    }

    @Test func aRepositoryForcedPastTheAPIIntoTheDataDirectoryFailsInTheCloneStage() async throws {
        let site = try TemporaryGitRepository()
        try site.write("index.html", "<p>site</p>\n")
        try site.commit("site")
        let temporary = FileManager.default.temporaryDirectory.path
        try await TestServer.withServer(configure: { $0.allowedLocalRepositories = [temporary] }) { server in
            let api = server.client
            let created = try await api.createProject(NewProjectRequest(name: "forced", repository: site.path))
            // A row written past the API (or a project made before the rule): straight into the database.
            let layout = DataLayout(root: server.dataDirectory)
            let box = try SecretBox.load(environmentValue: nil, keyFile: layout.secretKeyFile)
            try await SQLStore.withStore(.sqlite(path: layout.database), secrets: box) { (store: SQLStore) async throws in
                var project = try #require(try await store.projects.project(id: created.id, workspaceID: 1))
                project.repository = "file://" + server.dataDirectory
                _ = try await store.projects.update(project)
            }
            let result = try await api.deploy(projectIDs: [created.id])
            let deployment = try await api.waitForDeployment(try #require(result.deploymentIds.first))
            #expect(deployment.state == "failed")
            let error = try #require(deployment.error)
            #expect(error.hasPrefix("the repository cannot be cloned: repository: "), "\(error)")
            #expect(error.contains("inside Slipway's data directory"), "\(error)")
            #expect(deployment.stages.first { $0.name == "clone_repo" }?.status == "failure")
            #expect(deployment.buildId == nil)
        }
    }

    @Test func aPushToSlipwaysOwnRemoteStillDeploysWithTheRulesOn() async throws {
        let site = try TemporaryGitRepository()
        try site.write("index.html", "<p>pushed</p>\n")
        try site.commit("site")
        try await TestServer.withServer { server in
            let created = try await Self.createProject(server.client, #"{"name": "pushed", "repository": "slipway"}"#)
            #expect(created.status == 201, "\(created.body)")
            let remote = "http://x:\(server.adminToken)@127.0.0.1:\(server.port)/git/pushed.git"
            // On a thread of its own: a push waited for on one of Swift's few cooperative threads would starve the
            // in-process server that answers it.
            _ = try await onOwnThread { try site.git("push", "--quiet", remote, "main") }
            let list = try await server.client.deployments(project: "pushed")
            let id = try #require(list.data.first?.id)
            let deployment = try await server.client.waitForDeployment(id)
            #expect(deployment.state == "success", "\(deployment.error ?? "")")
            #expect(try await server.edge("pushed").body == "<p>pushed</p>\n")
        }
    }

    // MARK: Service ports

    @Test func aFixedPortMustLieInTheServiceRangeAndBelongToNoOtherProject() async throws {
        try await TestServer.withServer { server in
            let api = server.client
            let repository = Self.quoted(TemporaryGitRepository.missingPath())
            func service(_ name: String, port: Int) -> String {
                #"{"name": "\#(name)", "repository": \#(repository), "kind": "service", "start_command": "true", "port": \#(port)}"#
            }
            let own = try await Self.createProject(api, service("loop", port: server.port))
            #expect(own.status == 422, "\(own.body)")
            #expect(own.errors["port"]?.first?.contains("\(server.port) is Slipway's own port") == true, "\(own.body)")
            let outside = try await Self.createProject(api, service("daemon", port: 5432))
            #expect(outside.status == 422 && outside.errors["port"]?.first?.contains("outside the service port range 20000-29999") == true)

            let port = Int.random(in: 21000...28999)
            #expect(try await Self.createProject(api, service("first", port: port)).status == 201)
            let taken = try await Self.createProject(api, service("second", port: port))
            #expect(taken.status == 422, "\(taken.body)")
            #expect(taken.errors["port"]?.first?.contains("already the fixed port of another project") == true, "\(taken.body)")
            // Another workspace cannot take it either.
            let otherToken = try await server.createWorkspace("other")
            let other = server.client(token: otherToken)
            #expect(try await Self.createProject(other, service("third", port: port)).errors["port"] != nil)

            // Updates follow the same rules; the project keeping its own port is fine.
            #expect(try await Self.createProject(api, service("second", port: port + 1)).status == 201)
            let moved = try await Self.send(api, .PATCH, "/api/v1/projects/second", #"{"port": \#(port)}"#)
            #expect(moved.status == 422 && moved.errors["port"] != nil, "\(moved.body)")
            let toSlipway = try await Self.send(api, .PATCH, "/api/v1/projects/second", #"{"port": \#(server.port)}"#)
            #expect(toSlipway.status == 422 && toSlipway.errors["port"]?.first?.contains("Slipway's own port") == true)
            #expect(try await Self.send(api, .PATCH, "/api/v1/projects/first", #"{"port": \#(port)}"#).status == 200)
            #expect(try await api.project("second").port == port + 1)
        }
    }

    // MARK: One rule per input

    @Test func aWebhookWithABranchTheAPIRefusesDoesNotDeploy() async throws {
        let site = try TemporaryGitRepository()
        try site.write("index.html", "<p>site</p>\n")
        let sha = try site.commit("site")
        try await TestServer.withServer { server in
            let api = server.client
            let secret = "whsec_branch_rule_test_secret_0001"
            let created = try await Self.createProject(
                api, #"{"name": "hooked", "repository": \#(Self.quoted(site.path)), "webhook_secret": "\#(secret)"}"#)
            #expect(created.status == 201, "\(created.body)")
            let uid = try await api.project("hooked").uid
            for (index, branch) in ["a..b", "-x", "has space", "x.lock", "new\nline", "@{-1}", String(repeating: "b", count: 256)].enumerated() {
                // The API refuses it...
                let manual = try await Self.send(
                    api, .POST, "/api/v1/deployments", #"{"project_ids": [1], "git_branch": \#(Self.quoted(branch))}"#)
                #expect(manual.status == 422 && manual.errors["git_branch"] != nil, "\(manual.body)")
                // ...and so does a signed webhook of a push of it.
                let body = #"{"event": "push", "ref": \#(Self.quoted("refs/heads/" + branch)), "commit": {"id": "\#(sha)"}}"#
                let signature = HMAC<SHA256>.authenticationCode(for: Data(body.utf8), using: SymmetricKey(data: Data(secret.utf8)))
                    .map { String(format: "%02x", $0) }.joined()
                let (status, data) = try await server.client(token: "none").raw(
                    .POST, "/api/v1/hooks/git/\(uid)", body: Data(body.utf8),
                    headers: [
                        ("Content-Type", "application/json"), ("X-Slipway-Delivery", "bad-branch-\(index)"),
                        ("X-Slipway-Signature", "sha256=" + signature),
                    ])
                let text = String(decoding: data, as: UTF8.self)
                #expect(status == 422, "\(branch): \(text)")
                #expect(text.contains(#""errors":{"ref":["branch '"#) && text.contains("it is not deployed"), "\(text)")
            }
            #expect(try await api.deployments(project: "hooked").totalItems == 0)
        }
    }

    // MARK: Files

    static func mode(_ path: String) throws -> Int {
        var status = stat()
        guard lstat(path, &status) == 0 else { throw TestSupportError("cannot stat \(path)") }
        return Int(status.st_mode & 0o7777)
    }

    static func expectPrivate(_ dataDirectory: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let layout = DataLayout(root: dataDirectory)
        for directory in layout.privateDirectories {
            #expect(try mode(directory) == 0o700, "\(directory)", sourceLocation: sourceLocation)
        }
        var files = [layout.database, layout.database + "-wal", layout.database + "-shm", layout.secretKeyFile, layout.adminTokenFile]
        files += try FileManager.default.contentsOfDirectory(atPath: layout.logs).map { layout.logs + "/" + $0 }
        for file in files {
            #expect(FileManager.default.fileExists(atPath: file), "\(file)", sourceLocation: sourceLocation)
            #expect(try mode(file) == 0o600, "\(file)", sourceLocation: sourceLocation)
        }
    }

    @Test func theDataDirectoryIsTheOwnersAloneAfterStartAndADeployment() async throws {
        let site = try TemporaryGitRepository()
        try site.write("index.html", "<p>site</p>\n")
        try site.commit("site")
        try await TestServer.withServer(configure: { $0.adminToken = nil }) { server in
            let created = try await server.client.createProject(NewProjectRequest(name: "files", repository: site.path))
            let result = try await server.client.deploy(projectIDs: [created.id])
            #expect(try await server.client.waitForDeployment(try #require(result.deploymentIds.first)).state == "success")
            let logs = try FileManager.default.contentsOfDirectory(atPath: DataLayout(root: server.dataDirectory).logs)
            #expect(logs.contains { $0.hasSuffix(".log") })
            try Self.expectPrivate(server.dataDirectory)
        }
    }

    @Test func anExistingDataDirectoryIsTightenedAtStart() async throws {
        let dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("slipway-modes-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        let site = try TemporaryGitRepository()
        try site.write("index.html", "<p>site</p>\n")
        try site.commit("site")
        var configuration = SlipwayConfiguration()
        configuration.dataDirectory = dataDirectory
        configuration.port = 0
        configuration.allowsWorkingCheckout = false
        configuration.printsAdminToken = false
        try await TestServer.run(configuration) { server in
            let created = try await server.client.createProject(NewProjectRequest(name: "old", repository: site.path))
            let result = try await server.client.deploy(projectIDs: [created.id])
            _ = try await server.client.waitForDeployment(try #require(result.deploymentIds.first))
        }
        // As an older Slipway (or another tool) left it: readable by every local user.
        let layout = DataLayout(root: dataDirectory)
        for directory in layout.privateDirectories { chmod(directory, 0o755) }
        let logs = try FileManager.default.contentsOfDirectory(atPath: layout.logs).map { layout.logs + "/" + $0 }
        for file in [layout.database, layout.secretKeyFile, layout.adminTokenFile] + logs { chmod(file, 0o644) }
        #expect(try Self.mode(layout.database) == 0o644)
        try await TestServer.run(configuration) { server in
            #expect(try await server.client.project("old").name == "old")
            try Self.expectPrivate(server.dataDirectory)
        }
    }

    @Test func theStoredWebhookSecretIsNotTheClearValue() async throws {
        let site = try TemporaryGitRepository()
        try site.write("index.html", "<p>site</p>\n")
        try site.commit("site")
        try await TestServer.withServer { server in
            let secret = "whsec_attack_suite_clear_value_4242"
            let created = try await Self.createProject(
                server.client, #"{"name": "sealed", "repository": \#(Self.quoted(site.path)), "webhook_secret": "\#(secret)"}"#)
            #expect(created.status == 201 && created.body.contains(secret), "\(created.body)")
            // The API shows it as before...
            let (_, shown) = try await server.client.raw(.GET, "/api/v1/projects/sealed")
            #expect(String(decoding: shown, as: UTF8.self).contains(#""webhook_secret":"\#(secret)""#))
            // ...but no byte of the database (nor its write-ahead log) holds it in clear.
            let layout = DataLayout(root: server.dataDirectory)
            var bytes = Data()
            for file in [layout.database, layout.database + "-wal"] {
                bytes += (try? Data(contentsOf: URL(fileURLWithPath: file))) ?? Data()
            }
            #expect(!bytes.isEmpty)
            #expect(bytes.range(of: Data(secret.utf8)) == nil)
            #expect(bytes.range(of: Data("whsec_attack_suite".utf8)) == nil)
        }
    }
}
