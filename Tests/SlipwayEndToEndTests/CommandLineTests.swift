import Foundation
import SlipwayClient
import SlipwayCore
import SlipwayTesting
import Testing

/// The `slipway` binary itself, run as a user would, against a live server.
@Suite struct CommandLineTests {
    /// The `slipway` executable SwiftPM built next to the test bundle.
    static var executable: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("slipway").path
    }

    /// Runs `slipway` with arguments and environment; returns exit status and combined output. The wait happens
    /// on a thread of its own: blocking Swift's few cooperative threads would starve the in-process server.
    /// `launcher` runs it through another program (e.g. `unshare … --net`), which gets the executable's path first.
    static func slipway(
        _ arguments: [String], environment: [String: String], in directory: String? = nil, launcher: [String] = []
    ) async throws -> (Int32, String) {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(
                    with: Result { try runBlocking(arguments, environment: environment, directory: directory, launcher: launcher) })
            }
        }
    }

    private static func runBlocking(_ arguments: [String], environment: [String: String], directory: String?, launcher: [String]) throws -> (
        Int32, String
    ) {
        let environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"].merging(environment) { $1 }
        let program = launcher.first ?? executable
        let programArguments = launcher.isEmpty ? arguments : Array(launcher.dropFirst()) + [executable] + arguments
        let result = try CapturedProcess.run(program, programArguments, environment: environment, directory: directory)
        return (result.status, result.output)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: executable)))
    func createAProjectAndDeployItFromTheCommandLine() async throws {
        let site = try TemporaryGitRepository()
        try site.write("web/build.sh", "mkdir -p out && echo '<p>from the cli</p>' > out/index.html && echo built it\n")
        try site.commit("site")
        try await TestServer.withServer { server in
            let environment = ["SLIPWAY_URL": server.baseURL, "SLIPWAY_TOKEN": server.adminToken]
            let (createStatus, createOutput) = try await Self.slipway(
                [
                    "projects", "create", "cli-site", "--repository", site.path, "--root-dir", "web", "--build-command", "sh build.sh",
                    "--output-dir", "out",
                ],
                environment: environment
            )
            #expect(createStatus == 0, "\(createOutput)")
            #expect(createOutput.contains("Created project cli-site"))

            let (deployStatus, deployOutput) = try await Self.slipway(["deploy", "cli-site", "--wait"], environment: environment)
            #expect(deployStatus == 0, "\(deployOutput)")
            #expect(deployOutput.contains("── build"))
            #expect(deployOutput.contains("│ built it"))
            #expect(deployOutput.contains("✓ Live at http://cli-site.localhost:\(server.port)"))
            #expect(try await server.edge("cli-site").body == "<p>from the cli</p>\n")

            try site.write("web/build.sh", "echo broken >&2; exit 3\n")
            try site.commit("break it")
            let (failStatus, failOutput) = try await Self.slipway(["deploy", "cli-site", "--wait"], environment: environment)
            #expect(failStatus == 1)
            #expect(failOutput.contains("│ broken"))
            #expect(failOutput.contains("✗ Deployment 2 failed: the build command exited with status 3"))

            let (unknownStatus, unknownOutput) = try await Self.slipway(["deploy", "no-such-project"], environment: environment)
            #expect(unknownStatus == 1)
            #expect(unknownOutput.contains("error: project 'no-such-project' not found (HTTP 404)"))

            let (badTokenStatus, badTokenOutput) = try await Self.slipway(
                ["deploy", "cli-site"], environment: ["SLIPWAY_URL": server.baseURL, "SLIPWAY_TOKEN": "wrong"])
            #expect(badTokenStatus == 1)
            #expect(badTokenOutput.contains("HTTP 401"))
        }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: executable)))
    func everyDayCommandsListFollowRollBackAndManageTokens() async throws {
        let site = try TemporaryGitRepository()
        try site.write("build.sh", "mkdir -p dist && cat message > dist/index.html && echo built $(cat message)\n")
        try site.write("message", "one")
        try site.commit("one")
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("slipway-cli-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: config) }
        try await TestServer.withServer { server in
            // login saves the URL and token (0600) and later commands use them without any variable.
            let home = ["XDG_CONFIG_HOME": config]
            let (loginStatus, loginOutput) = try await Self.slipway(
                ["login", "--url", server.baseURL, "--token", server.adminToken], environment: home)
            #expect(loginStatus == 0, "\(loginOutput)")
            let saved = config + "/slipway/config.json"
            #expect((try FileManager.default.attributesOfItem(atPath: saved)[.posixPermissions] as? Int) == 0o600)
            let (whoStatus, whoOutput) = try await Self.slipway(["whoami"], environment: home)
            #expect(whoStatus == 0 && whoOutput.contains("admin in workspace default as owner on \(server.baseURL)"), "\(whoOutput)")
            let (badLogin, badLoginOutput) = try await Self.slipway(["login", "--url", server.baseURL, "--token", "nope"], environment: home)
            #expect(badLogin == 1 && badLoginOutput.contains("HTTP 401"))

            #expect(
                try await Self.slipway(
                    ["projects", "create", "site", "--repository", site.path, "--build-command", "sh build.sh", "--output-dir", "dist"],
                    environment: home
                ).0 == 0)
            let (firstStatus, _) = try await Self.slipway(["deploy", "site", "--wait"], environment: home)
            #expect(firstStatus == 0)
            try site.write("message", "two")
            try site.commit("two")
            #expect(try await Self.slipway(["deploy", "site", "--wait"], environment: home).0 == 0)
            #expect(try await server.edge("site").body == "two")

            // ls as a table and as JSON.
            let (lsStatus, table) = try await Self.slipway(["ls", "site"], environment: home)
            #expect(lsStatus == 0)
            let lines = table.split(separator: "\n")
            #expect(lines.first?.hasPrefix("ID  STATE") == true, "\(table)")
            try #require(lines.count == 3, "\(table)")
            #expect(lines[1].hasPrefix("2   success ●") && lines[1].contains("http://site.localhost:\(server.port)"), "\(table)")
            let (_, jsonText) = try await Self.slipway(["ls", "--json"], environment: home)
            let listed = try JSONSerialization.jsonObject(with: Data(jsonText.utf8)) as? [[String: Any]]
            #expect(listed?.compactMap { $0["id"] as? Int } == [2, 1])
            #expect(listed?.first?["state"] as? String == "success")

            // logs, and logs --follow of a deployment still running.
            let (logsStatus, logsOutput) = try await Self.slipway(["logs", "1"], environment: home)
            #expect(logsStatus == 0 && logsOutput.contains("built one"))
            try site.write("build.sh", "for i in 1 2 3; do echo tick $i; sleep 0.2; done; mkdir -p dist; echo three > dist/index.html\n")
            try site.commit("three")
            let (queuedStatus, queued) = try await Self.slipway(["deploy", "site", "--no-wait", "--json"], environment: home)
            #expect(queuedStatus == 0)
            let queuedID = try #require((try JSONSerialization.jsonObject(with: Data(queued.utf8)) as? [String: Any])?["id"] as? Int)
            let (followStatus, followed) = try await Self.slipway(["logs", String(queuedID), "--follow"], environment: home)
            #expect(followStatus == 0)
            #expect(followed.contains("tick 1\ntick 2\ntick 3"), "\(followed)")
            #expect(followed.contains("✓ Deployment is live in production"))

            // rollback by project takes the newest candidate with --yes; by id names the target.
            let (rollbackStatus, rollbackOutput) = try await Self.slipway(["rollback", "site", "--yes"], environment: home)
            #expect(rollbackStatus == 0, "\(rollbackOutput)")
            #expect(rollbackOutput.contains("Rollback queued."))
            #expect(await ProcessTable.eventually { (try? await server.edge("site").body) == "two" })
            #expect(try await Self.slipway(["rollback", "1"], environment: home).0 == 0)
            #expect(await ProcessTable.eventually { (try? await server.edge("site").body) == "one" })
            let (rerunStatus, rerunOutput) = try await Self.slipway(["rerun", "1"], environment: home)
            #expect(rerunStatus == 1 && rerunOutput.contains("only failed deployments can be rerun"))

            // tokens: create shows the secret once, list never does, revoke ends it.
            let (createStatus, created) = try await Self.slipway(["tokens", "create", "ci", "--scope", "deploy", "--json"], environment: home)
            #expect(createStatus == 0)
            let token = try #require(try JSONSerialization.jsonObject(with: Data(created.utf8)) as? [String: Any])
            let secret = try #require(token["token"] as? String)
            let (_, listedTokens) = try await Self.slipway(["tokens", "list"], environment: home)
            #expect(listedTokens.contains("ci") && !listedTokens.contains(secret))
            // A token that expires shows when.
            let inADay = Timestamp.format(Date().addingTimeInterval(24 * 3600))
            let (expiringStatus, expiring) = try await Self.slipway(
                ["tokens", "create", "day", "--expires-at", inADay, "--json"], environment: home)
            #expect(expiringStatus == 0 && expiring.contains(inADay), "\(expiring)")
            #expect(try await Self.slipway(["tokens", "revoke", String(try #require(token["id"] as? Int))], environment: home).0 == 0)
            let (revokedStatus, _) = try await Self.slipway(["whoami"], environment: ["SLIPWAY_URL": server.baseURL, "SLIPWAY_TOKEN": secret])
            #expect(revokedStatus == 1)

            // show, queue and cancel.
            let (showStatus, shown) = try await Self.slipway(["show", "1"], environment: home)
            #expect(showStatus == 0 && shown.contains("Stages:") && shown.contains("clone_repo"))
            #expect(try await Self.slipway(["queue"], environment: home).1.contains("The queue is empty."))
            let (cancelStatus, cancelOutput) = try await Self.slipway(["cancel", "1"], environment: home)
            #expect(cancelStatus == 1 && cancelOutput.contains("has already ended"))
        }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: executable)))
    func theStandbyWindowIsSetAtCreationChangedAndShown() async throws {
        try await TestServer.withServer { server in
            let environment = ["SLIPWAY_URL": server.baseURL, "SLIPWAY_TOKEN": server.adminToken]
            let (createStatus, createOutput) = try await Self.slipway(
                ["projects", "create", "warm", "--repository", "https://git.example.com/warm.git", "--kind", "service", "--standby-window", "120"],
                environment: environment)
            #expect(createStatus == 0, "\(createOutput)")
            #expect(try await server.client.project("warm").standbyWindow == 120)
            let (showStatus, shown) = try await Self.slipway(["projects", "show", "warm"], environment: environment)
            #expect(showStatus == 0)
            let rows = shown.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
            #expect(rows.contains("standby window 120 s"), "\(shown)")

            let (updateStatus, updateOutput) = try await Self.slipway(
                ["projects", "update", "warm", "--standby-window", "0"], environment: environment)
            #expect(updateStatus == 0, "\(updateOutput)")
            let (jsonStatus, jsonOutput) = try await Self.slipway(["projects", "show", "warm", "--json"], environment: environment)
            #expect(jsonStatus == 0)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(jsonOutput.utf8)) as? [String: Any])
            #expect(json["standby_window"] as? Double == 0, "\(jsonOutput)")

            // Out of range: the server's 422 names the field, and nothing changes.
            let (tooLongStatus, tooLong) = try await Self.slipway(
                ["projects", "create", "cold", "--repository", "https://git.example.com/cold.git", "--kind", "service", "--standby-window", "86401"],
                environment: environment)
            #expect(tooLongStatus == 1)
            #expect(tooLong.contains("standby_window"), "\(tooLong)")
            let (negativeStatus, negative) = try await Self.slipway(
                ["projects", "update", "warm", "--standby-window=-1"], environment: environment)
            #expect(negativeStatus == 1)
            #expect(negative.contains("standby_window"), "\(negative)")
            #expect(try await server.client.project("warm").standbyWindow == 0)
        }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: executable)))
    func initCreatesTheProjectOfTheCheckoutAndDeployFindsIt() async throws {
        let site = try TemporaryGitRepository(branch: "trunk")
        try site.write("public/index.html", "from init")
        try site.commit("site")
        try await TestServer.withServer { server in
            let environment = ["SLIPWAY_URL": server.baseURL, "SLIPWAY_TOKEN": server.adminToken]
            let (initStatus, initOutput) = try await Self.slipway(
                ["init", "--name", "from-init", "--output-dir", "public", "--yes", "--json"], environment: environment, in: site.path
            )
            #expect(initStatus == 0, "\(initOutput)")
            let project = try await server.client.project("from-init")
            #expect(project.repository == URL(fileURLWithPath: site.path).resolvingSymlinksInPath().path || project.repository == site.path)
            #expect(project.productionBranch == "trunk")
            let (deployStatus, deployOutput) = try await Self.slipway(["deploy", "--wait"], environment: environment, in: site.path)
            #expect(deployStatus == 0, "\(deployOutput)")
            #expect(try await server.edge("from-init").body == "from init")
            let (outside, outsideOutput) = try await Self.slipway(["init", "--yes"], environment: environment, in: "/")
            #expect(outside != 0 && outsideOutput.contains("not inside a git checkout"))
        }
    }
}
