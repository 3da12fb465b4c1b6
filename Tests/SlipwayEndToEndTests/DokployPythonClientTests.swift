import Foundation
import NIOHTTP1
import SlipwayClient
import SlipwayTesting
import Testing

/// dokli (`pip install dokli`, a Dokploy CLI from PyPI, not written here) against a live Slipway, through
/// `Python/dokli_client.py`: it reads `settings.getOpenApiDocument` to build its commands, checks the instance with
/// `settings.health`, lists deployments by application and by compose, and follows a running build's log over
/// `/listen-deployment` until the build ends. It needs python3 with venv and PyPI, so it runs only when
/// `SLIPWAY_TEST_PYTHON_CLIENTS=1` (CI sets it; docs/dokploy.md).
@Suite struct DokployPythonClientTests {
    /// The release the test installs (its `logs -f` follows a deployment through `/listen-deployment`).
    static let clientVersion = "0.7.0"

    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Python/dokli_client.py").path
    }

    @Test(
        "dokli lists deployments by application and by compose and follows a running build's log to its end",
        .enabled(if: CloudflarePythonClientTests.enabled, "SLIPWAY_TEST_PYTHON_CLIENTS is not 1: this test installs dokli from PyPI"),
        .timeLimit(.minutes(10))
    )
    func dokliListsDeploymentsAndFollowsARunningBuild() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("slipway-dokli-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (venvStatus, venvOutput) = try await CloudflarePythonClientTests.run("/usr/bin/env", ["python3", "-m", "venv", directory.path + "/venv"])
        try #require(venvStatus == 0, "\(venvOutput)")
        let (pipStatus, pipOutput) = try await CloudflarePythonClientTests.run(
            directory.path + "/venv/bin/pip", ["install", "--quiet", "--disable-pip-version-check", "dokli==\(Self.clientVersion)"])
        try #require(pipStatus == 0, "\(pipOutput)")
        try FileManager.default.createDirectory(atPath: directory.path + "/home", withIntermediateDirectories: true)

        let site = try DokployLiveLogTests.makeSite()
        try await TestServer.withServer { server in
            let api = server.client
            let web = try await api.createProject(
                NewProjectRequest(name: "web", repository: site.path, buildCommand: "sh build.sh", outputDir: "dist"))
            let stack = try await api.createProject(
                NewProjectRequest(
                    name: "stack", repository: site.path, kind: "service",
                    build: BuildTypeRequest(buildType: "compose", exposeService: "web", exposePort: 8080)))
            let first = try await api.waitForDeployment(try await api.deploy(projectIDs: [web.id]).deploymentIds[0])
            let composed = try await api.waitForDeployment(try await api.deploy(projectIDs: [stack.id]).deploymentIds[0])
            try site.write("forever.txt", "x")
            try site.commit("forever")
            let running = try await api.deployment(try await api.deploy(projectIDs: [web.id]).deploymentIds[0])

            let (status, output) = try await CloudflarePythonClientTests.run(
                directory.path + "/venv/bin/python", [Self.script],
                environment: [
                    "SLIPWAY_BASE_URL": server.baseURL, "SLIPWAY_TOKEN": server.adminToken, "SLIPWAY_APPLICATION": web.uid,
                    "SLIPWAY_COMPOSE": stack.uid, "SLIPWAY_RUNNING": running.uid, "HOME": directory.path + "/home",
                ])
            try #require(status == 0, "\(output)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: [String: Any]], "\(output)")
            #expect((report["version"]?["stdout"] as? String)?.contains(Self.clientVersion) == true, "\(report)")
            #expect(report["doctor"]?["status"] as? Int == 0, "\(report["doctor"] ?? [:])")

            func listed(_ step: String) -> [[String: Any]]? {
                guard report[step]?["status"] as? Int == 0, let text = report[step]?["stdout"] as? String else { return nil }
                return try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]]
            }
            let all = try #require(listed("all"), "\(report["all"] ?? [:])")
            #expect(all.map { $0["deploymentId"] as? String } == [running.uid, first.uid])
            let byCompose = try #require(listed("allByCompose"), "\(report["allByCompose"] ?? [:])")
            #expect(byCompose.map { $0["deploymentId"] as? String } == [composed.uid])
            #expect(byCompose.first?["composeId"] as? String == stack.uid)

            // dokli printed the whole log, line by line, ticks that came while the build ran, and exited on its own
            // once the killed deployment's log ended.
            let follow = try #require(report["follow"])
            #expect(follow["status"] as? Int == 0 && follow["killed"] as? Int == 200, "\(follow)")
            let lines = follow["lines"] as? [String] ?? []
            #expect(try await api.deployment(running.id).state == "canceled")
            #expect(lines == (try await DokployLiveLogTests.nativeLog(server, running.id)).map { String($0.dropLast()) }, "\(follow)")
            #expect(lines.filter { $0.hasPrefix("tick ") }.count >= 3)
        }
    }
}
