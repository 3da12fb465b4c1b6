import Foundation
import NIOHTTP1
import SlipwayClient
import SlipwayServer
import SlipwayTesting
import Synchronization
import Testing

@testable import SlipwaySandbox

#if canImport(Glibc)
    import Glibc
#endif

/// Container services end to end with the real Podman of this machine (docs/containers.md "Container services"): a
/// `service` project with `build_type: dockerfile` whose image (busybox `httpd`, the base image made by the test) runs
/// as a container behind the edge, switched to with no failed request, rolled back without a build, restarted after a
/// crash, its secret absent from `inspect` and from every command line, canceled mid-build with nothing left.
@Suite(
    .enabled("needs root, podman, runc and busybox-static (apt-get install podman buildah runc busybox-static)") {
        await PodmanMachine.canRunContainers()
    })
struct ContainerServiceTests {
    typealias Scene = DockerfileBuildTests.Scene

    /// A repository whose Dockerfile serves `version.txt` with busybox httpd on `127.0.0.1:$PORT`, printing its secret
    /// `API_KEY` first (the log masks it).
    static func makeApp(_ scene: Scene, version: String = "v1", extraStep: String = "") throws -> TemporaryGitRepository {
        let app = try TemporaryGitRepository()
        try app.write(
            "Dockerfile",
            """
            FROM \(scene.baseImage)
            COPY version.txt /www/index.html
            \(extraStep)
            CMD ["sh", "-c", "echo listening on $PORT as $(cat /www/index.html) secret [$API_KEY]; exec httpd -f -p 127.0.0.1:$PORT -h /www"]

            """)
        try app.write("version.txt", version + "\n")
        try app.commit(version)
        return app
    }

    static func createService(
        _ api: SlipwayClient, _ scene: Scene, name: String, repository: String, standbyWindow: Double? = nil
    ) async throws -> ProjectInfo {
        let project = try await api.createProject(
            NewProjectRequest(
                name: name, repository: repository, kind: "service", healthCheckPath: "/", healthCheckTimeout: 300, healthCheckInterval: 0.1,
                drainTimeout: 5, standbyWindow: standbyWindow, build: BuildTypeRequest(buildType: "dockerfile")))
        scene.projects.withLock { $0.append(project.uid) }
        return project
    }

    static func deploy(_ api: SlipwayClient, _ projectID: Int64) async throws -> DeploymentInfo {
        try await api.waitForDeployment(try await api.deploy(projectIDs: [projectID]).deploymentIds[0], timeout: .seconds(400))
    }

    /// The processes whose command line names the deployment's container (conmon, a `podman logs` follower).
    static func engineProcesses(of deployment: DeploymentInfo) -> [String] {
        ProcessTable.matching(ContainerRunSpec.serviceName(deploymentUID: deployment.uid))
    }

    @Test func aDockerfileServiceIsServedSwitchedWithNoFailedRequestAndRolledBackWithoutABuild() async throws {
        try await Scene.with { scene in
            let app = try Self.makeApp(scene)
            let deployments = Mutex<[DeploymentInfo]>([])
            try await TestServer.withServer { server in
                let api = server.client
                // No warm standby: the replaced container stops, and the rollback starts the old image again.
                let project = try await Self.createService(api, scene, name: "boxed", repository: app.path, standbyWindow: 0)
                let first = try await Self.deploy(api, project.id)
                deployments.withLock { $0.append(first) }
                let firstLog = try await api.logs(first.id).data
                #expect(first.state == "success", "\(first.error ?? "") \(firstLog.map(\.line).suffix(15))")
                #expect(try await server.edge("boxed").body == "v1\n")
                #expect(firstLog.contains { $0.stage == "build" && $0.line.hasPrefix("Successfully tagged localhost/slipway/\(project.uid):") })
                #expect(
                    firstLog.contains { $0.stage == "deploy" && $0.line.hasPrefix("Starting: container slipway-\(first.uid) of localhost/slipway/") })
                // The container's own first line: in the deploy's part of the log when its output was followed before
                // the health check passed, else in the runtime part that follows; either way in the deployment's log.
                #expect(
                    try await ProcessTable.eventually {
                        try await api.logs(first.id).data.contains { $0.line.hasPrefix("listening on ") && $0.line.hasSuffix(" as v1 secret []") }
                    })
                let running = try await scene.client.containers(withLabel: "slipway.deployment=\(first.uid)")
                #expect(running.count == 1)
                let process = try #require(try await api.project("boxed").services?.processes.first)
                #expect(process.deploymentId == first.id && process.state == "running")
                // The container's main process, as the host sees it: not root (a user namespace of its own).
                let status = try String(contentsOfFile: "/proc/\(process.pid ?? 0)/status", encoding: .utf8)
                let uid = status.split(separator: "\n").first { $0.hasPrefix("Uid:") }?.split(separator: "\t").dropFirst().first
                #expect(uid != nil && uid != "0", "\(status.prefix(300))")

                // A new version goes live while four clients keep asking: no request fails.
                try app.write("version.txt", "v2\n")
                try app.commit("v2")
                let outcomes = ServiceDeploymentTests.ClientOutcomes()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<4 {
                        group.addTask {
                            while !outcomes.stop.load(ordering: .relaxed) {
                                do {
                                    let response = try await server.edge("boxed")
                                    outcomes.state.withLock { outcome in
                                        if response.status == 200 {
                                            outcome.answers[response.body, default: 0] += 1
                                        } else {
                                            outcome.failures.append("HTTP \(response.status): \(response.body.prefix(80))")
                                        }
                                    }
                                } catch {
                                    outcomes.state.withLock { $0.failures.append("\(error)") }
                                }
                            }
                        }
                    }
                    let second = try await Self.deploy(api, project.id)
                    deployments.withLock { $0.append(second) }
                    #expect(second.state == "success", "\(second.error ?? "")")
                    try await Task.sleep(for: .milliseconds(300))
                    outcomes.stop.store(true, ordering: .relaxed)
                    try await group.waitForAll()
                }
                let (answers, failures) = outcomes.state.withLock { ($0.answers, $0.failures) }
                #expect(failures.isEmpty, "failed requests during the switch: \(failures.prefix(5))")
                #expect(answers["v1\n", default: 0] > 0)
                #expect(answers["v2\n", default: 0] > 0)
                #expect(try await server.edge("boxed").body == "v2\n")
                // The old container is stopped and removed (after its drain, which follows the switch), with its conmon.
                let client = scene.client
                #expect(
                    await ProcessTable.eventually(timeout: .seconds(30)) {
                        (try? await client.containers(withLabel: "slipway.deployment=\(first.uid)").isEmpty) == true
                    })
                #expect(await ProcessTable.eventually(timeout: .seconds(10)) { Self.engineProcesses(of: first).isEmpty })

                // A rollback starts the old image: no clone, no build, no new image.
                let images = Set(try await scene.client.images(withLabel: "slipway.project=\(project.uid)"))
                let rollback = try #require(try await api.rollback(to: first.id).deploymentId)
                let rolledBack = try await api.waitForDeployment(rollback, timeout: .seconds(120))
                deployments.withLock { $0.append(rolledBack) }
                #expect(rolledBack.state == "success", "\(rolledBack.error ?? "")")
                #expect(rolledBack.buildId == first.buildId)
                #expect(try await server.edge("boxed").body == "v1\n")
                let rollbackLog = try await api.logs(rollback).data
                #expect(!rollbackLog.contains { $0.line.hasPrefix("Building image") || $0.line.hasPrefix("STEP ") })
                #expect(Set(try await scene.client.images(withLabel: "slipway.project=\(project.uid)")) == images)
                #expect(try await scene.client.containers(withLabel: "slipway.deployment=\(rolledBack.uid)").count == 1)
            }
            // The server stopped: no container, no conmon, no follower of any of them is left.
            for deployment in deployments.withLock({ $0 }) {
                #expect(try await scene.client.containers(withLabel: "slipway.deployment=\(deployment.uid)").isEmpty)
                #expect(await ProcessTable.eventually(timeout: .seconds(10)) { Self.engineProcesses(of: deployment).isEmpty })
            }
        }
    }

    @Test func aCrashedContainerIsRestartedAndItsSecretIsInNoInspectOutputAndNoCommandLine() async throws {
        try await Scene.with { scene in
            let app = try Self.makeApp(scene)
            try await TestServer.withServer { server in
                let api = server.client
                let project = try await Self.createService(api, scene, name: "crashy", repository: app.path)
                let secret = "s3cr3t-\(UUID().uuidString.prefix(8))"
                let (status, _) = try await api.raw(
                    .PUT, "/api/v1/projects/crashy/env", body: Data(#"{"production": {"API_KEY": {"value": "\#(secret)", "secret": true}}}"#.utf8))
                #expect(status == 200)
                let first = try await Self.deploy(api, project.id)
                #expect(first.state == "success", "\(first.error ?? "")")
                #expect(try await server.edge("crashy").body == "v1\n")
                let name = ContainerRunSpec.serviceName(deploymentUID: first.uid)

                // The container got the secret (it printed it: the log masks it), but inspect and the host's command lines
                // do not show it.
                let inspect = try await scene.client.execute(scene.client.commands.inspect(name), operation: "inspect")
                #expect(inspect.standardOutput.contains(name))
                #expect(!inspect.standardOutput.contains(secret))
                #expect(ProcessTable.matching(secret).isEmpty)
                #expect(try await api.logs(first.id).data.contains { $0.line.hasPrefix("listening on ") && $0.line.hasSuffix("secret [•••]") })

                // The container's main process is killed: the container is started again.
                let before = try #require(try await api.project("crashy").services?.processes.first)
                #expect(kill(try #require(before.pid), SIGKILL) == 0)
                let back = await ProcessTable.eventually(timeout: .seconds(30)) {
                    guard let shown = try? await api.project("crashy"), shown.services?.restartCount == 1,
                        let process = shown.services?.processes.first, process.state == "running", process.pid != before.pid
                    else { return false }
                    return (try? await server.edge("crashy").body) == "v1\n"
                }
                #expect(back)
                let shown = try await api.project("crashy")
                #expect(shown.services?.restarts.first?.exit == "exited with status 137")
                // The restarted container's own lines follow it into the runtime log (through `logs --follow`).
                let restartLogged = await ProcessTable.eventually(timeout: .seconds(20)) {
                    let runtime = (try? await api.logs(first.id).data.filter { $0.stage == "runtime" }) ?? []
                    return runtime.contains { $0.line.contains("restarting in") }
                        && runtime.contains { $0.line.hasPrefix("listening on ") && $0.line.hasSuffix("secret [•••]") }
                }
                #expect(restartLogged)
                #expect(!(try await api.logs(first.id).data.contains { $0.line.contains(secret) }))
                let again = try await scene.client.execute(scene.client.commands.inspect(name), operation: "inspect")
                #expect(!again.standardOutput.contains(secret))
                #expect(ProcessTable.matching(secret).isEmpty)
            }
        }
    }

    @Test func aServiceCanceledDuringItsImageBuildLeavesNoProcessAndNoContainer() async throws {
        try await Scene.with { scene in
            let app = try Self.makeApp(scene, extraStep: "RUN echo about-to-sleep && sleep 300")
            try await TestServer.withServer { server in
                let api = server.client
                let project = try await Self.createService(api, scene, name: "slow", repository: app.path)
                let id = try await api.deploy(projectIDs: [project.id]).deploymentIds[0]
                let seen = try await ProcessTable.eventually(timeout: .seconds(120)) {
                    try await api.logs(id).data.contains { $0.line == "about-to-sleep" }
                }
                #expect(seen)
                let deployment = try await api.deployment(id)
                let cgroupName = "slipway-build-\(deployment.uid)"
                #expect(!BuildLeftovers.processes(inCgroupNamed: cgroupName).isEmpty)
                let stopped = try await api.cancel(id, reason: "too slow", kill: true)
                #expect(stopped.deployment.state == "canceled")
                #expect(BuildLeftovers.processes(inCgroupNamed: cgroupName).isEmpty, "a RUN step's process survived")
                #expect(ProcessTable.matching(cgroupName).isEmpty, "a podman or buildah process survived")
                #expect(try await scene.client.containers(withLabel: "slipway.deployment=\(deployment.uid)").isEmpty)
                #expect(Self.engineProcesses(of: deployment).isEmpty)
                #expect(try await api.project("slow").services?.processes.isEmpty != false)
                let edgeStatus = try await server.edge("slow").status
                #expect(edgeStatus == 404 || edgeStatus == 502)
            }
        }
    }

    @Test func aRollbackToTheWarmStandbyContainerIsARouteSwitch() async throws {
        try await Scene.with { scene in
            let app = try Self.makeApp(scene)
            let made = Mutex<[String]>([])
            try await TestServer.withServer { server in
                let api = server.client
                let project = try await Self.createService(api, scene, name: "warmbox", repository: app.path)
                let first = try await Self.deploy(api, project.id)
                made.withLock { $0.append(first.uid) }
                #expect(first.state == "success", "\(first.error ?? "")")
                try app.write("version.txt", "v2\n")
                try app.commit("v2")
                let second = try await Self.deploy(api, project.id)
                made.withLock { $0.append(second.uid) }
                #expect(second.state == "success", "\(second.error ?? "")")
                #expect(try await server.edge("warmbox").body == "v2\n")
                // The replaced container runs on, out of the route.
                #expect(try await scene.client.containers(withLabel: "slipway.deployment=\(first.uid)").count == 1)
                let processes = try #require(try await api.project("warmbox").services?.processes)
                #expect(processes.map(\.state) == ["standby", "running"])

                let rollbackID = try #require(try await api.rollback(to: first.id).deploymentId)
                let rollback = try await api.waitForDeployment(rollbackID, timeout: .seconds(60))
                #expect(rollback.state == "success", "\(rollback.error ?? "")")
                #expect(try await server.edge("warmbox").body == "v1\n")
                let log = try await api.logs(rollbackID).data
                #expect(log.contains { $0.line.hasPrefix("Warm standby taken over") })
                #expect(!log.contains { $0.line.hasPrefix("Starting: ") })
                // The same container serves the rollback; no new one was made for it.
                #expect(try await scene.client.containers(withLabel: "slipway.deployment=\(first.uid)").count == 1)
                #expect(try await scene.client.containers(withLabel: "slipway.deployment=\(rollback.uid)").isEmpty)
                let after = try #require(try await api.project("warmbox").services?.processes)
                #expect(after.map(\.deploymentId) == [second.id, rollbackID])
                #expect(after[1].pid == processes[0].pid)
            }
            // The server stopped: the standby and the live container are gone, with their conmon.
            for uid in made.withLock({ $0 }) {
                #expect(try await scene.client.containers(withLabel: "slipway.deployment=\(uid)").isEmpty)
                #expect(await ProcessTable.eventually(timeout: .seconds(10)) { ProcessTable.matching("slipway-\(uid)").isEmpty })
            }
        }
    }
}
