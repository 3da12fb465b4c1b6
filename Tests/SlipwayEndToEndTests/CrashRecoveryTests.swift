import Foundation
import NIOHTTP1
import SlipwayClient
import SlipwayServer
import SlipwayTesting
import Testing

/// A server killed with SIGKILL in the middle of a build, then started again on the same data directory.
@Suite struct CrashRecoveryTests {
    /// A `slipway serve` child process.
    final class ServerProcess {
        let process = Process()
        let port: Int

        init(dataDirectory: String, port: Int, token: String) throws {
            self.port = port
            try FileManager.default.createDirectory(atPath: TemporaryGitRepository.directory, withIntermediateDirectories: true)
            process.executableURL = URL(fileURLWithPath: CommandLineTests.executable)
            process.arguments = [
                "serve", "--data-dir", dataDirectory, "--port", String(port), "--allow-local-repositories", TemporaryGitRepository.directory,
            ]
            process.environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "SLIPWAY_ADMIN_TOKEN": token]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
        }

        /// Waits until `/health` answers.
        func waitUntilReady(_ client: SlipwayClient) async throws {
            let ready = await ProcessTable.eventually(timeout: .seconds(30)) {
                (try? await client.raw(.GET, "/health").0) == 200
            }
            guard ready else { throw TestSupportError("slipway serve did not become ready on port \(port)") }
        }

        func kill() {
            Glibc.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }

        func stop() {
            if process.isRunning {
                process.terminate()
                process.waitUntilExit()
            }
        }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: CommandLineTests.executable)))
    func aBuildInterruptedByACrashEndsFailedWithNothingLeftRunningAndProductionStillServed() async throws {
        let marker = ProcessTable.uniqueSleepDuration()
        let site = try TemporaryGitRepository()
        try site.write("build.sh", "mkdir -p dist && echo stable > dist/index.html\n")
        try site.commit("stable")
        let dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("slipway-crash-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        let token = "slw_crash_test_token"
        let port = try TestServer.freePort()
        let api = SlipwayClient(baseURL: "http://127.0.0.1:\(port)", token: token)

        let first = try ServerProcess(dataDirectory: dataDirectory, port: port, token: token)
        defer { first.stop() }
        try await first.waitUntilReady(api)
        let project = try await api.createProject(
            NewProjectRequest(name: "crash", repository: site.path, buildCommand: "sh build.sh", outputDir: "dist"))
        let stable = try await api.waitForDeployment(try await api.deploy(projectIDs: [project.id]).deploymentIds[0])
        #expect(stable.state == "success")

        try site.write("build.sh", "sleep \(marker) &\n(setsid sleep \(marker) &)\necho started\nsleep \(marker)\n")
        try site.commit("slow")
        let doomed = try await api.deploy(projectIDs: [project.id]).deploymentIds[0]
        let started = try await ProcessTable.eventually(timeout: .seconds(30)) {
            try await api.logs(doomed).data.contains { $0.line == "started" } && ProcessTable.matching(marker).count == 3
        }
        #expect(started)
        first.kill()

        let second = try ServerProcess(dataDirectory: dataDirectory, port: port, token: token)
        defer { second.stop() }
        try await second.waitUntilReady(api)
        let interrupted = try await api.deployment(doomed)
        #expect(interrupted.state == "failed")
        #expect(interrupted.error?.hasPrefix("interrupted") == true)
        #expect(interrupted.stages.first { $0.name == "build" }?.status == "failure")
        #expect(ProcessTable.matching(marker).isEmpty, "left running after the restart: \(ProcessTable.matching(marker))")
        #expect(try await api.project("crash").productionDeploymentId == stable.id)

        var request = [("Host", "crash.localhost:\(port)")]
        request.append(("Accept", "text/html"))
        let (status, body) = try await api.raw(.GET, "/", headers: request)
        #expect(status == 200)
        #expect(String(decoding: body, as: UTF8.self) == "stable\n")

        // The restarted server keeps deploying.
        try site.write("build.sh", "mkdir -p dist && echo after > dist/index.html\n")
        try site.commit("after")
        let after = try await api.waitForDeployment(try await api.deploy(projectIDs: [project.id]).deploymentIds[0])
        #expect(after.state == "success")
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: CommandLineTests.executable)))
    func aKilledServerLeavesNoServiceProcessAndTheNextOneServesTheServiceAgain() async throws {
        let marker = ProcessTable.uniqueSleepDuration()
        let app = try ServiceDeploymentTests.makeApp()
        let dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("slipway-kill-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        let token = "slw_kill_service_test_token"
        let port = try TestServer.freePort()
        let api = SlipwayClient(baseURL: "http://127.0.0.1:\(port)", token: token)
        func production() async throws -> String {
            let (status, body) = try await api.raw(.GET, "/", headers: [("Host", "killed.localhost:\(port)")])
            return "\(status) \(String(decoding: body, as: UTF8.self))"
        }

        let first = try ServerProcess(dataDirectory: dataDirectory, port: port, token: token)
        defer { first.stop() }
        try await first.waitUntilReady(api)
        let project = try await api.createProject(
            NewProjectRequest(name: "killed", repository: app.path, kind: "service", startCommand: "perl app.pl \(marker)", healthCheckInterval: 0.1)
        )
        let deployment = try await api.waitForDeployment(try await api.deploy(projectIDs: [project.id]).deploymentIds[0], timeout: .seconds(120))
        #expect(deployment.state == "success", "\(deployment.error ?? "")")
        #expect(try await production() == "200 v1\n")
        #expect(!ProcessTable.matching(marker).isEmpty)
        first.kill()

        let second = try ServerProcess(dataDirectory: dataDirectory, port: port, token: token)
        try await second.waitUntilReady(api)
        // Ready means the service answers already: it was started again before the edge took traffic.
        #expect(try await production() == "200 v1\n")
        let processes = try await api.project("killed").services?.processes ?? []
        #expect(processes.count == 1)
        #expect(processes.first?.state == "running")
        second.stop()
        let gone = await ProcessTable.eventually(timeout: .seconds(15)) { ProcessTable.matching(marker).isEmpty }
        #expect(gone, "left running after the server stopped: \(ProcessTable.matching(marker))")
    }

    @Test func aDeploymentRunningWhenTheServerShutsDownRecordsThatTheShutdownInterruptedIt() async throws {
        let marker = ProcessTable.uniqueSleepDuration()
        let site = try TemporaryGitRepository()
        try site.write("build.sh", "echo started\nsleep \(marker)\n")
        try site.commit("slow")
        let dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("slipway-stop-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        var configuration = SlipwayConfiguration()
        configuration.dataDirectory = dataDirectory
        configuration.port = 0
        configuration.adminToken = "slw_graceful_stop_test"
        configuration.printsAdminToken = false

        // The body returns while the build sleeps: the server shuts down gracefully around it.
        let doomed = try await TestServer.run(configuration) { server in
            let api = server.client
            let project = try await api.createProject(
                NewProjectRequest(name: "stopped", repository: site.path, buildCommand: "sh build.sh", outputDir: "dist"))
            let doomed = try await api.deploy(projectIDs: [project.id]).deploymentIds[0]
            let started = try await ProcessTable.eventually(timeout: .seconds(30)) {
                try await api.logs(doomed).data.contains { $0.line == "started" }
            }
            #expect(started)
            return doomed
        }
        #expect(ProcessTable.matching(marker).isEmpty, "left running after the shutdown: \(ProcessTable.matching(marker))")

        try await TestServer.run(configuration) { server in
            // Recorded by the deployment itself while the server stopped (the lease reaper of this start would have
            // written that its worker stopped instead).
            let interrupted = try await server.client.deployment(doomed)
            #expect(interrupted.state == "failed")
            #expect(interrupted.error == "interrupted: the server stopped during the deployment")
        }
    }
}
