import Foundation
import NIOHTTP1
import SlipwayClient
import SlipwayTesting
import Synchronization
import Testing

@testable import SlipwaySandbox

#if canImport(Glibc)
    import Glibc
#endif

/// A container service across restarts of `slipway serve` on the same data directory, with the real Podman of this
/// machine (docs/containers.md "Restarts"): a server stopped and started again serves the live container again (the
/// warm standby is dropped); a server killed with SIGKILL leaves its containers running, and the next one removes them
/// by label and starts the live one again.
@Suite(
    .enabled("needs root, podman, runc, busybox-static and the slipway executable (apt-get install podman buildah runc busybox-static)") {
        guard FileManager.default.isExecutableFile(atPath: CommandLineTests.executable) else { return false }
        return await PodmanMachine.canRunContainers()
    })
struct ContainerRestartTests {
    /// A `slipway serve` child process whose output goes to a file (shown when a test fails). Its state is set once
    /// in `init` (the `Process` is started there and only signalled and waited for afterwards).
    final class Server: @unchecked Sendable {
        let process = Process()
        let port: Int
        let logPath: String

        init(dataDirectory: String, port: Int, token: String) throws {
            self.port = port
            logPath = dataDirectory + ".log-\(UUID().uuidString.prefix(6))"
            guard FileManager.default.createFile(atPath: logPath, contents: nil) else { throw TestSupportError("cannot create \(logPath)") }
            let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
            process.executableURL = URL(fileURLWithPath: CommandLineTests.executable)
            process.arguments = [
                "serve", "--data-dir", dataDirectory, "--port", String(port), "--container-engine", "podman",
                "--allow-local-repositories", TemporaryGitRepository.directory,
            ]
            process.environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "SLIPWAY_ADMIN_TOKEN": token]
            process.standardOutput = log
            process.standardError = log
            try process.run()
        }

        /// The server's output so far (its last lines).
        var output: String {
            let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").suffix(25).joined(separator: "\n")
        }

        /// Waits until `/health` answers: the live services were started again before that (a podman run on a loaded
        /// machine has taken over a minute).
        func waitUntilReady(_ client: SlipwayClient) async throws {
            let ready = await ProcessTable.eventually(timeout: .seconds(400)) {
                (try? await client.raw(.GET, "/health").0) == 200
            }
            guard ready else { throw TestSupportError("slipway serve did not become ready on port \(port):\n\(output)") }
        }

        func kill() {
            Glibc.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }

        /// SIGTERM: a graceful shutdown, which stops every service.
        func stop() {
            if process.isRunning {
                process.terminate()
                process.waitUntilExit()
            }
            try? FileManager.default.removeItem(atPath: logPath)
        }
    }

    @Test func theLiveContainerIsServedAgainAfterAStopAndAfterAKill() async throws {
        try await DockerfileBuildTests.Scene.with { scene in
            let app = try ContainerServiceTests.makeApp(scene)
            let dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("slipway-restart-\(scene.token)").path
            let token = "slw_container_restart_\(scene.token)"
            let port = try TestServer.freePort()
            let api = SlipwayClient(baseURL: "http://127.0.0.1:\(port)", token: token)
            let made = Mutex<[String]>([])
            let servers = Mutex<[Server]>([])
            let step = Mutex("setting up")
            func start() async throws -> Server {
                let server = try Server(dataDirectory: dataDirectory, port: port, token: token)
                servers.withLock { $0.append(server) }
                try await server.waitUntilReady(api)
                return server
            }
            func production() async throws -> String {
                let (status, body) = try await api.raw(.GET, "/", headers: [("Host", "restarted.localhost:\(port)")])
                return "\(status) \(String(decoding: body, as: UTF8.self))"
            }
            // The id of a deployment's container (`slipway-<uid>`), nil when there is none. By `inspect` of that name, not
            // a label listing: on a machine shared with other tests `podman ps` fails as a whole while any container
            // of theirs is half cleaned up ("joining network namespace … unknown FS magic").
            func container(of uid: String) async throws -> String? {
                let name = ContainerRunSpec.serviceName(deploymentUID: uid)
                let output = try await ContainerClient.execute(scene.client.commands.inspect(name), timeout: .seconds(120))
                guard output.termination.succeeded else {
                    guard output.standardError.lowercased().contains("no such container") else {
                        throw TestSupportError("inspect \(name): \(output.standardError)")
                    }
                    return nil
                }
                return try ContainerState.parse(inspectOutput: output.standardOutput).id
            }
            defer {
                for server in servers.withLock({ $0 }) { server.stop() }
                try? FileManager.default.removeItem(atPath: dataDirectory)
            }
            do {
                step.withLock { $0 = "first server, deploying v1 and v2" }
                let first = try await start()
                let project = try await ContainerServiceTests.createService(api, scene, name: "restarted", repository: app.path)
                let v1 = try await ContainerServiceTests.deploy(api, project.id)
                made.withLock { $0.append(v1.uid) }
                #expect(v1.state == "success", "\(v1.error ?? "") \(first.output)")
                try app.write("version.txt", "v2\n")
                try app.commit("v2")
                let v2 = try await ContainerServiceTests.deploy(api, project.id)
                made.withLock { $0.append(v2.uid) }
                #expect(v2.state == "success", "\(v2.error ?? "") \(first.output)")
                #expect(try await production() == "200 v2\n")
                // v1 runs on as the warm standby.
                #expect(try await container(of: v1.uid) != nil)
                #expect(try await api.project("restarted").services?.processes.map(\.state) == ["standby", "running"])

                // A graceful stop stops both containers.
                step.withLock { $0 = "graceful stop" }
                first.stop()
                #expect(try await container(of: v1.uid) == nil)
                #expect(try await container(of: v2.uid) == nil)

                // The next server starts the live one again before it takes traffic; the standby is not started again.
                step.withLock { $0 = "second server (after the stop)" }
                let second = try await start()
                #expect(try await production() == "200 v2\n", "\(second.output)")
                let restored = try #require(try await container(of: v2.uid))
                #expect(try await container(of: v1.uid) == nil)
                let processes = try await api.project("restarted").services?.processes ?? []
                #expect(processes.map(\.state) == ["running"] && processes.map(\.deploymentId) == [v2.id])
                #expect(try await api.logs(v2.id).data.contains { $0.line == "Slipway started: starting the service again" })

                // A third version on the second server: v2's container is now its standby.
                try app.write("version.txt", "v3\n")
                try app.commit("v3")
                let v3 = try await ContainerServiceTests.deploy(api, project.id)
                made.withLock { $0.append(v3.uid) }
                #expect(v3.state == "success", "\(v3.error ?? "") \(second.output)")
                #expect(try await production() == "200 v3\n")
                #expect(try await api.project("restarted").services?.processes.map(\.state) == ["standby", "running"])
                #expect(try await container(of: v2.uid) == restored)
                let live = try #require(try await container(of: v3.uid))

                // Killed: both containers (with their conmon) keep running without a server.
                step.withLock { $0 = "SIGKILL" }
                second.kill()
                #expect(try await container(of: v2.uid) == restored)
                #expect(try await container(of: v3.uid) == live)
                let standbyPID = try #require(try await scene.client.inspect(restored).processID)
                let livePID = try #require(try await scene.client.inspect(live).processID)
                #expect(Glibc.kill(standbyPID, 0) == 0 && Glibc.kill(livePID, 0) == 0)

                // The next server removes both by their label (the standby is not started again: nothing else would
                // remove it) and starts the live one again as a new container.
                step.withLock { $0 = "third server (after the kill)" }
                let third = try await start()
                #expect(try await production() == "200 v3\n", "\(third.output)")
                #expect(try await container(of: v2.uid) == nil, "the killed server's standby container is left")
                let again = try await container(of: v3.uid)
                #expect(again != nil && again != live, "\(again ?? "none") after \(live)")
                #expect(await ProcessTable.eventually(timeout: .seconds(30)) { Glibc.kill(standbyPID, 0) != 0 && Glibc.kill(livePID, 0) != 0 })
                let after = try await api.project("restarted").services?.processes ?? []
                #expect(after.map(\.state) == ["running"] && after.map(\.deploymentId) == [v3.id])

                // And once it stops, nothing of any of them is left.
                step.withLock { $0 = "last stop" }
                third.stop()
                for uid in made.withLock({ $0 }) {
                    #expect(try await container(of: uid) == nil)
                    #expect(await ProcessTable.eventually(timeout: .seconds(10)) { ProcessTable.matching("slipway-\(uid)").isEmpty })
                }
            } catch {
                Issue.record("failed during: \(step.withLock { $0 }): \(servers.withLock { $0 }.last?.output ?? "")")
                for server in servers.withLock({ $0 }) { server.stop() }
                for uid in made.withLock({ $0 }) { try? await scene.client.removeAll(withLabel: "slipway.deployment=\(uid)") }
                throw error
            }
        }
    }
}
