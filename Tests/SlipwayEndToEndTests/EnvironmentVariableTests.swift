import Crypto
import Foundation
import NIOHTTP1
import ServiceLifecycle
import SlipwayClient
import SlipwayCore
import SlipwayServer
import SlipwayStore
import SlipwayTesting
import Testing

/// Env vars with real builds: secrets reach the build but never the API, the logs or the database in clear;
/// snapshots for rollback, rerun and promote; validation; the secret key at start-up.
@Suite struct EnvironmentVariableTests {
    /// A build that proves it got the variables: it publishes GREETING and a hash of API_TOKEN, and echoes the token.
    static func siteRepository() throws -> TemporaryGitRepository {
        let site = try TemporaryGitRepository()
        try site.write(
            "build.sh",
            """
            [ "$SHOULD_FAIL" = 1 ] && { echo failing on purpose; exit 1; }
            mkdir -p dist
            echo "token is $API_TOKEN"
            echo "token on stderr: $API_TOKEN" >&2
            printf '%s' "$API_TOKEN" | sha256sum | cut -c1-64 > dist/hash.txt
            printf '%s' "$GREETING" > dist/index.html
            printf '%s' "$SLIPWAY_ENVIRONMENT $HOME" > dist/facts.txt

            """
        )
        try site.commit("site")
        return site
    }

    static func sha256(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Every log line of a deployment.
    static func logText(_ api: SlipwayClient, _ id: Int64) async throws -> String {
        var offset: Int64 = 0
        var lines: [String] = []
        while true {
            let page = try await api.logs(id, after: offset)
            if page.data.isEmpty { return lines.joined(separator: "\n") }
            lines += page.data.map(\.line)
            offset = page.nextOffset
        }
    }

    /// Every byte of the SQLite database (and its journal files).
    static func databaseBytes(_ server: TestServer) throws -> Data {
        let database = DataLayout(root: server.dataDirectory).database
        var data = Data()
        for path in [database, database + "-wal", database + "-journal", database + "-shm"] {
            if let bytes = FileManager.default.contents(atPath: path) { data += bytes }
        }
        return data
    }

    @Test func aSecretReachesTheBuildButNotTheAPITheLogsOrTheDatabase() async throws {
        let site = try Self.siteRepository()
        let productionSecret = "prod-" + UUID().uuidString
        let previewSecret = "preview-" + UUID().uuidString
        try await TestServer.withServer { server in
            let api = server.client
            let keyFile = DataLayout(root: server.dataDirectory).secretKeyFile
            let mode = try FileManager.default.attributesOfItem(atPath: keyFile)[.posixPermissions] as? Int
            #expect(mode == 0o600)

            let project = try await api.createProject(
                NewProjectRequest(name: "env-site", repository: site.path, buildCommand: "sh build.sh", outputDir: "dist"))
            let saved = try await api.replaceEnvironmentVariables(
                project: "env-site",
                [
                    "production": [
                        "GREETING": .init(value: "hello production"), "API_TOKEN": .init(value: productionSecret, secret: true),
                    ],
                    "preview": ["GREETING": .init(value: "hello preview"), "API_TOKEN": .init(value: previewSecret, secret: true)],
                ]
            )
            #expect(saved["production"]?["API_TOKEN"] == .init(value: "•••", secret: true))
            #expect(saved["production"]?["GREETING"] == .init(value: "hello production"))
            let (_, raw) = try await api.raw(.GET, "/api/v1/projects/env-site/env")
            let rawText = String(decoding: raw, as: UTF8.self)
            #expect(!rawText.contains(productionSecret) && !rawText.contains(previewSecret))
            #expect(rawText.contains("•••"))

            let production = try await api.waitForDeployment(try await api.deploy(projectIDs: [project.id]).deploymentIds[0])
            #expect(production.state == "success", "\(production)")
            #expect(try await server.edge("env-site", "/hash.txt").body == Self.sha256(productionSecret) + "\n")
            #expect(try await server.edge("env-site").body == "hello production")
            // Slipway's own facts are not overridden.
            let facts = try await server.edge("env-site", "/facts.txt").body
            #expect(facts.hasPrefix("production /") && facts.hasSuffix("/home"))

            let log = try await Self.logText(api, production.id)
            #expect(!log.contains(productionSecret))
            #expect(log.contains("token is •••"))
            #expect(log.contains("token on stderr: •••"))
            #expect(log.contains("Environment snapshot: API_TOKEN (secret), GREETING"))
            let shown = try await api.raw(.GET, "/api/v1/deployments/\(production.id)").1
            #expect(!String(decoding: shown, as: UTF8.self).contains(productionSecret))

            try site.checkoutNewBranch("feature")
            try site.write("notes.txt", "preview")
            try site.commit("preview")
            let preview = try await api.waitForDeployment(try await api.deploy(projectIDs: [project.id], branch: "feature").deploymentIds[0])
            #expect(preview.state == "success" && preview.environment == "preview")
            #expect(try await server.edge("\(preview.shortId).env-site", "/hash.txt").body == Self.sha256(previewSecret) + "\n")
            #expect(try await server.edge("\(preview.shortId).env-site").body == "hello preview")
            #expect(!(try await Self.logText(api, preview.id)).contains(previewSecret))

            let database = try Self.databaseBytes(server)
            #expect(!database.isEmpty)
            #expect(database.range(of: Data(productionSecret.utf8)) == nil)
            #expect(database.range(of: Data(previewSecret.utf8)) == nil)
            // Non-secret values may be kept in clear: the check above looks at something that is there.
            #expect(database.range(of: Data("hello production".utf8)) != nil)
        }
    }

    @Test func rollbackUsesItsTargetsSnapshotRerunTheCurrentEnvAndPromoteServesAPreviewWithoutABuild() async throws {
        let site = try Self.siteRepository()
        try await TestServer.withServer { server in
            let api = server.client
            let project = try await api.createProject(
                NewProjectRequest(name: "snap", repository: site.path, buildCommand: "sh build.sh", outputDir: "dist"))
            func setProduction(_ variables: [String: EnvironmentVariableInfo]) async throws {
                _ = try await api.replaceEnvironmentVariables(project: "snap", ["production": variables])
            }
            func deploy(branch: String? = nil) async throws -> DeploymentInfo {
                try await api.waitForDeployment(try await api.deploy(projectIDs: [project.id], branch: branch).deploymentIds[0])
            }

            try await setProduction(["GREETING": .init(value: "one"), "API_TOKEN": .init(value: "token-one", secret: true)])
            let first = try await deploy()
            try await setProduction(["GREETING": .init(value: "two"), "API_TOKEN": .init(value: "token-two", secret: true)])
            let second = try await deploy()
            #expect(try await server.edge("snap").body == "two")

            let rollback = try await api.waitForDeployment(try #require(try await api.rollback(to: first.id).deploymentId))
            #expect(rollback.state == "success")
            #expect(try await server.edge("snap").body == "one")

            // A failed build, fixed by the env alone: the rerun runs with the current variables.
            try await setProduction(["GREETING": .init(value: "three"), "SHOULD_FAIL": .init(value: "1")])
            let failed = try await deploy()
            #expect(failed.state == "failed")
            try await setProduction(["GREETING": .init(value: "three")])
            let rerun = try await api.waitForDeployment(try #require(try await api.rerun(failed.id).deploymentId))
            #expect(rerun.state == "success")

            // The snapshots as stored: the rollback has its target's, not the project's env of that moment.
            let box = try SecretBox.load(environmentValue: nil, keyFile: DataLayout(root: server.dataDirectory).secretKeyFile)
            try await SQLStore.withStore(.sqlite(path: DataLayout(root: server.dataDirectory).database), secrets: box) {
                (store: SQLStore) async throws in
                let variables = store.environmentVariables(box: box)
                func snapshot(_ id: Int64) async throws -> EnvironmentVariables {
                    try await variables.snapshot(of: try #require(try await store.deployments.deployment(id: id)))
                }
                #expect(try await snapshot(first.id)["GREETING"]?.value == "one")
                #expect(try await snapshot(second.id)["API_TOKEN"] == EnvironmentVariable(value: "token-two", secret: true))
                #expect(try await snapshot(rollback.id)["API_TOKEN"] == EnvironmentVariable(value: "token-one", secret: true))
                #expect(try await snapshot(rollback.id)["GREETING"]?.value == "one")
                #expect(try await snapshot(failed.id)["SHOULD_FAIL"]?.value == "1")
                #expect(try await snapshot(rerun.id)["SHOULD_FAIL"] == nil)
                #expect(try await store.projects.project(id: project.id, workspaceID: 1)?.productionPinned == true)
            }

            // Promote a preview: production serves it, without clone or build; it unpins production.
            _ = try await api.replaceEnvironmentVariables(project: "snap", ["preview": ["GREETING": .init(value: "preview!")]])
            try site.checkoutNewBranch("feature")
            try site.write("notes.txt", "preview")
            try site.commit("preview")
            let preview = try await deploy(branch: "feature")
            #expect(preview.environment == "preview" && preview.state == "success")
            #expect(try await server.edge("snap").body == "one", "pinned by the rollback: the rerun did not take production")
            let answer = try await api.promote(preview.id)
            #expect(answer.status == "success" && answer.message == "Promote queued.")
            let promoted = try await api.waitForDeployment(try #require(answer.deploymentId))
            #expect(promoted.state == "success" && promoted.trigger == "promote" && promoted.environment == "production")
            #expect(promoted.isActive)
            #expect(promoted.buildId == preview.buildId)
            let stages = Dictionary(uniqueKeysWithValues: promoted.stages.map { ($0.name, $0.status) })
            #expect(stages["clone_repo"] == "skipped" && stages["build"] == "skipped")
            #expect(try await server.edge("snap").body == "preview!")
            try await SQLStore.withStore(.sqlite(path: DataLayout(root: server.dataDirectory).database), secrets: box) {
                (store: SQLStore) async throws in
                let snapshotOfPromote = try await store.environmentVariables(
                    box: try SecretBox.load(environmentValue: nil, keyFile: DataLayout(root: server.dataDirectory).secretKeyFile)
                ).snapshot(of: try #require(try await store.deployments.deployment(id: promoted.id)))
                #expect(snapshotOfPromote["GREETING"]?.value == "preview!")
                #expect(try await store.projects.project(id: project.id, workspaceID: 1)?.productionPinned == false)
            }

            // 409: the active production deployment, a failed one; 404: unknown.
            for id in [promoted.id, failed.id] {
                await #expect {
                    try await api.promote(id)
                } throws: { ($0 as? ClientError)?.status == 409 }
            }
            await #expect { try await api.promote(999_999) } throws: { ($0 as? ClientError)?.status == 404 }
            // An older successful deployment may be promoted again.
            let again = try await api.waitForDeployment(try #require(try await api.promote(second.id).deploymentId))
            #expect(again.state == "success")
            #expect(try await server.edge("snap").body == "two")
        }
    }

    @Test func badNamesValuesAndEnvironmentsAreRefusedNamingTheField() async throws {
        try await TestServer.withServer { server in
            let api = server.client
            _ = try await api.createProject(NewProjectRequest(name: "bad-env", repository: "https://git.invalid/nonexistent.git"))
            func put(_ json: String) async throws -> (Int, [String: [String]]) {
                let (status, data) = try await api.raw(.PUT, "/api/v1/projects/bad-env/env", body: Data(json.utf8))
                struct Body: Decodable { var errors: [String: [String]]? }
                return (status, (try? JSONDecoder().decode(Body.self, from: data))?.errors ?? [:])
            }
            let cases: [(String, String)] = [
                (#"{"production": {"1BAD": {"value": "x"}}}"#, "production.1BAD"),
                (#"{"production": {"BAD-NAME": {"value": "x"}}}"#, "production.BAD-NAME"),
                (#"{"preview": {"PATH": {"value": "/bin"}}}"#, "preview.PATH"),
                (#"{"preview": {"HOME": {"value": "/root"}}}"#, "preview.HOME"),
                (#"{"production": {"SLIPWAY_TOKEN": {"value": "x"}}}"#, "production.SLIPWAY_TOKEN"),
                (#"{"production": {"\#(String(repeating: "A", count: 257))": {"value": "x"}}}"#, "production." + String(repeating: "A", count: 257)),
                (#"{"production": {"BIG": {"value": "\#(String(repeating: "x", count: 65_537))"}}}"#, "production.BIG.value"),
                (#"{"production": {"NUMBER": {"value": 42}}}"#, "production.NUMBER.value"),
                (#"{"production": {"MISSING": {"secret": true}}}"#, "production.MISSING.value"),
                (#"{"staging": {"KEY": {"value": "x"}}}"#, "staging"),
            ]
            for (json, field) in cases {
                let (status, errors) = try await put(json)
                #expect(status == 422, "\(field)")
                #expect(errors[field] != nil, "\(field): \(errors)")
            }
            #expect(try await put(#"{"production": {"OK_1": {"value": "\#(String(repeating: "x", count: 65_536))"}}}"#).0 == 200)
            #expect(try await api.environmentVariables(project: "bad-env")["production"]?.keys.sorted() == ["OK_1"])
            #expect(try await api.environmentVariables(project: "bad-env")["preview"] == [:])

            // read may look, only admin may change.
            let reader = try await api.createToken(name: "reader", scopes: ["read", "deploy"])
            let readClient = server.client(token: try #require(reader.token))
            _ = try await readClient.environmentVariables(project: "bad-env")
            await #expect {
                try await readClient.replaceEnvironmentVariables(project: "bad-env", ["production": [:]])
            } throws: { ($0 as? ClientError)?.status == 403 }
            await #expect { try await api.environmentVariables(project: "nope") } throws: { ($0 as? ClientError)?.status == 404 }
        }
    }

    @Test func aMalformedOrWrongSecretKeyIsRefusedAtStartUp() async throws {
        let dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("slipway-key-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        var configuration = SlipwayConfiguration()
        configuration.dataDirectory = dataDirectory
        configuration.port = 0
        configuration.adminToken = "slw_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        configuration.printsAdminToken = false

        for bad in ["not base64!", Data(repeating: 7, count: 16).base64EncodedString(), ""] {
            var broken = configuration
            broken.secretKey = bad
            await #expect {
                _ = try await buildApplication(broken)
            } throws: { error in
                "\(error)".contains("SLIPWAY_SECRET_KEY") && "\(error)".contains("32")
            }
        }
        var first = configuration
        first.secretKey = Data((0..<32).map { UInt8($0) }).base64EncodedString()
        try await TestServer.run(first) { server in
            _ = try await server.client.createProject(NewProjectRequest(name: "keyed", repository: "https://git.invalid/nonexistent.git"))
            _ = try await server.client.replaceEnvironmentVariables(project: "keyed", ["production": ["S": .init(value: "v", secret: true)]])
        }
        var other = configuration
        other.secretKey = Data((0..<32).map { UInt8(255 - $0) }).base64EncodedString()
        // The key is checked against the database by the start-up work: the server's run fails, naming the step.
        await #expect {
            try await buildApplication(other).run()
        } throws: { error in
            error is StartUpStepFailure && "\(error)".contains("checking the secret key")
                && "\(error)".contains("not the key this database's secrets were encrypted with")
        }
        // The right key starts again and reads the secret back.
        try await TestServer.run(first) { server in
            let variables = try await server.client.environmentVariables(project: "keyed")
            #expect(variables["production"]?["S"] == EnvironmentVariableInfo(value: "•••", secret: true))
        }
    }
}
