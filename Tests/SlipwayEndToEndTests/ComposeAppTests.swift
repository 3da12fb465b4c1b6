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

/// Compose apps end to end with the real Podman of this machine (docs/containers.md "Compose apps"): a `web` that asks
/// an `api` by name and depends on it being healthy, the api keeping its history in a named volume; deployed, served
/// through the edge, redeployed beside the old set (whose pod then goes), the volume's data still there, the Dokploy
/// compose listing answering from it; a forbidden key failing the build by name; a cancel mid-start leaving nothing; a
/// rollback to the warm standby set that is a route switch; a live set started again by a restarted server.
@Suite(
    .enabled("needs root, podman, runc and busybox-static (apt-get install podman buildah runc busybox-static)") {
        await PodmanMachine.canRunContainers()
    })
struct ComposeAppTests {
    typealias Scene = DockerfileBuildTests.Scene

    /// A repository with a compose app: `api` appends `$VERSION` to `/data/history` (a named volume) and serves it;
    /// `web` serves a CGI page that shows its own version and asks `http://api:8081/history`.
    static func makeApp(
        _ scene: Scene, version: String, apiHealthcheck: String = #"["CMD", "wget", "-q", "-O", "-", "http://127.0.0.1:8081/history"]"#
    )
        throws -> TemporaryGitRepository
    {
        let app = try TemporaryGitRepository()
        try app.write(
            "docker-compose.yml",
            """
            services:
              web:
                build: ./web
                command: ["httpd", "-f", "-p", "127.0.0.1:8080", "-h", "/www"]
                depends_on:
                  api:
                    condition: service_healthy
                networks: [front]
                restart: always
              api:
                build:
                  context: api
                environment:
                  VERSION: \(version)
                command: sh -c 'echo "$VERSION" >> /data/history && exec httpd -f -p 127.0.0.1:8081 -h /data'
                volumes: [data:/data]
                healthcheck:
                  test: \(apiHealthcheck)
                  interval: 200ms
                  retries: 100
            volumes:
              data:
            networks:
              front: {}

            """)
        try app.write(
            "web/Dockerfile",
            """
            FROM \(scene.baseImage)
            COPY page /www/cgi-bin/page
            COPY index.html /www/index.html
            RUN ["chmod", "0755", "/www/cgi-bin/page"]

            """)
        try app.write("web/index.html", "web \(version)\n")
        try app.write(
            "web/page", "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n'\ncat /www/index.html\nwget -q -O - http://api:8081/history\n")
        try app.write("api/Dockerfile", "FROM \(scene.baseImage)\nRUN [\"mkdir\", \"-p\", \"/data\"]\n")
        try app.commit(version)
        return app
    }

    static func createCompose(
        _ api: SlipwayClient, _ scene: Scene, name: String, repository: String, standbyWindow: Double = 0
    ) async throws -> ProjectInfo {
        let project = try await api.createProject(
            NewProjectRequest(
                name: name, repository: repository, kind: "service", healthCheckPath: "/", healthCheckTimeout: 300, healthCheckInterval: 0.1,
                drainTimeout: 5, standbyWindow: standbyWindow, build: BuildTypeRequest(buildType: "compose", exposeService: "web", exposePort: 8080)))
        scene.projects.withLock { $0.append(project.uid) }
        return project
    }

    /// The pods and containers of a deployment's set, and the engine processes naming it (conmon, `logs` followers).
    static func leftovers(of deployment: DeploymentInfo, _ client: ContainerClient) async throws -> [String] {
        let name = ContainerRunSpec.serviceName(deploymentUID: deployment.uid)
        let pods = try await ContainerClient.execute(client.commands.podsWithLabel("slipway.deployment=\(deployment.uid)"), timeout: .seconds(60))
        let containers = try await client.containers(withLabel: "slipway.deployment=\(deployment.uid)")
        return pods.lines.map { "pod " + $0 } + containers.map { "container " + $0 } + ProcessTable.matching(name)
    }

    /// The ids of the pods carrying `label`.
    static func pods(withLabel label: String, _ client: ContainerClient) async throws -> [String] {
        let pods = try await ContainerClient.execute(client.commands.podsWithLabel(label), timeout: .seconds(60))
        try #require(pods.termination.succeeded, "pod ps failed: \(pods.lines)")
        return pods.lines
    }

    /// Writes the next version of the app made by `makeApp` and commits it.
    static func commitVersion(_ app: TemporaryGitRepository, from old: String, to new: String) throws {
        try app.write(
            "docker-compose.yml",
            try String(contentsOfFile: app.path + "/docker-compose.yml", encoding: .utf8)
                .replacingOccurrences(of: "VERSION: \(old)", with: "VERSION: \(new)"))
        try app.write("web/index.html", "web \(new)\n")
        try app.commit(new)
    }

    @Test func aComposeAppIsServedRedeployedBesideTheOldSetAndKeepsItsVolume() async throws {
        try await Scene.with { scene in
            let app = try Self.makeApp(scene, version: "v1")
            try await TestServer.withServer { server in
                let api = server.client
                let project = try await Self.createCompose(api, scene, name: "stack", repository: app.path)
                let first = try await ContainerServiceTests.deploy(api, project.id)
                let firstLog = try await api.logs(first.id).data.map(\.line)
                #expect(first.state == "success", "\(first.error ?? "") \(firstLog.suffix(20))")
                #expect(firstLog.contains("Warning: compose: services.web.networks: not supported, ignored"))
                #expect(firstLog.contains("Warning: compose: networks: not supported, ignored"))
                #expect(firstLog.contains("Compose services, in start order: api, web"))
                #expect(firstLog.contains("Service api is healthy"))
                #expect(try await server.edge("stack").body == "web v1\n")
                let firstPage = try await server.edge("stack", "/cgi-bin/page")
                #expect(firstPage.body == "web v1\nv1\n", "\(firstPage.status) \(firstPage.body)")
                // Each service's image is tagged with the build id.
                let images = try await scene.client.images(withLabel: "slipway.build=\(first.buildId ?? "")")
                #expect(images.count >= 2)

                // The new set comes up beside the old one; the old pod goes once the route switched.
                try app.write(
                    "docker-compose.yml",
                    try String(contentsOfFile: app.path + "/docker-compose.yml", encoding: .utf8)
                        .replacingOccurrences(of: "VERSION: v1", with: "VERSION: v2"))
                try app.write("web/index.html", "web v2\n")
                try app.commit("v2")
                let second = try await ContainerServiceTests.deploy(api, project.id)
                #expect(second.state == "success", "\(second.error ?? "")")
                // The volume kept v1's line: the history is both.
                let secondPage = try await server.edge("stack", "/cgi-bin/page")
                #expect(secondPage.body == "web v2\nv1\nv2\n", "\(secondPage.status) \(secondPage.body)")
                let client = scene.client
                #expect(await ProcessTable.eventually(timeout: .seconds(30)) { (try? await Self.leftovers(of: first, client).isEmpty) == true })

                // Dokploy's compose listing answers from it, with composeId filled.
                let (_, answer) = try await DokployAPITests().call(server, .GET, "/api/deployment.allByCompose?composeId=\(project.uid)")
                let listed = try #require(answer as? [[String: Any]])
                #expect(Set(listed.compactMap { $0["deploymentId"] as? String }) == [first.uid, second.uid])
                #expect(listed.allSatisfy { $0["composeId"] as? String == project.uid && $0["applicationId"] is NSNull })

                // Deleting the project stops its set and removes its volume.
                _ = try await api.deleteProject("stack")
                #expect(await ProcessTable.eventually(timeout: .seconds(30)) { (try? await Self.leftovers(of: second, client).isEmpty) == true })
                let volumes = try await ContainerClient.execute(
                    scene.client.commands.volumesWithLabel("slipway.project=\(project.uid)"), timeout: .seconds(60))
                #expect(volumes.termination.succeeded && volumes.lines.isEmpty, "\(volumes.lines)")
            }
        }
    }

    @Test func aKeyThatBreaksIsolationFailsTheBuildNamingIt() async throws {
        try await Scene.with { scene in
            let app = try TemporaryGitRepository()
            try app.write("docker-compose.yml", "services:\n  web:\n    image: \(scene.baseImage)\n    privileged: true\n")
            try app.commit("privileged")
            try await TestServer.withServer { server in
                let project = try await Self.createCompose(server.client, scene, name: "bold", repository: app.path)
                let deployment = try await ContainerServiceTests.deploy(server.client, project.id)
                #expect(deployment.state == "failed")
                #expect(deployment.error?.contains("services.web.privileged") == true, "\(deployment.error ?? "")")
            }
        }
    }

    @Test func aComposeAppCanceledWhileItStartsLeavesNothing() async throws {
        try await Scene.with { scene in
            // The api never becomes healthy: the set stays starting until the cancel.
            let app = try Self.makeApp(scene, version: "v1", apiHealthcheck: #"["CMD", "false"]"#)
            try await TestServer.withServer { server in
                let api = server.client
                let project = try await Self.createCompose(api, scene, name: "stuck", repository: app.path)
                let id = try await api.deploy(projectIDs: [project.id]).deploymentIds[0]
                try await DockerfileBuildTests().waitForLog(api, id, line: "Waiting for service api to be healthy: false")
                _ = try await api.cancel(id)
                let canceled = try await api.waitForDeployment(id, timeout: .seconds(120))
                #expect(canceled.state == "canceled", "\(canceled.error ?? "")")
                let client = scene.client
                #expect(await ProcessTable.eventually(timeout: .seconds(30)) { (try? await Self.leftovers(of: canceled, client).isEmpty) == true })
                #expect(try await Self.leftovers(of: canceled, client) == [])
                _ = try? await client.removeVolumes(withLabel: "slipway.project=\(project.uid)")
            }
        }
    }

    @Test func aRollbackToTheWarmStandbySetIsARouteSwitch() async throws {
        try await Scene.with { scene in
            let app = try Self.makeApp(scene, version: "v1")
            let made = Mutex<[DeploymentInfo]>([])
            let client = scene.client
            try await TestServer.withServer { server in
                let api = server.client
                let project = try await Self.createCompose(api, scene, name: "warmstack", repository: app.path, standbyWindow: 600)
                let first = try await ContainerServiceTests.deploy(api, project.id)
                made.withLock { $0.append(first) }
                #expect(first.state == "success", "\(first.error ?? "")")
                let firstPods = try await Self.pods(withLabel: "slipway.deployment=\(first.uid)", client)
                #expect(firstPods.count == 1)
                try Self.commitVersion(app, from: "v1", to: "v2")
                let second = try await ContainerServiceTests.deploy(api, project.id)
                made.withLock { $0.append(second) }
                #expect(second.state == "success", "\(second.error ?? "")")
                #expect(try await server.edge("warmstack").body == "web v2\n")

                // The replaced set runs on, out of the route: its pod is still there, its containers running, and the
                // project's services list shows it as the standby.
                #expect(try await Self.pods(withLabel: "slipway.deployment=\(first.uid)", client) == firstPods)
                // Its two services and the pod's infra container (which carries the pod's labels).
                #expect(try await client.containers(withLabel: "slipway.deployment=\(first.uid)").count == 3)
                let processes = try #require(try await api.project("warmstack").services?.processes)
                #expect(processes.map(\.state) == ["standby", "running"], "\(processes)")
                #expect(processes.map(\.deploymentId) == [first.id, second.id])
                let standbyPID = try #require(processes.first?.pid)
                #expect(kill(standbyPID, 0) == 0)

                let rollbackID = try #require(try await api.rollback(to: first.id).deploymentId)
                let rollback = try await api.waitForDeployment(rollbackID, timeout: .seconds(120))
                made.withLock { $0.append(rollback) }
                #expect(rollback.state == "success", "\(rollback.error ?? "")")
                #expect(rollback.buildId == first.buildId)
                #expect(try await server.edge("warmstack").body == "web v1\n")
                // v1's api started once, v2's once: the rollback started nothing, so no third line.
                let page = try await server.edge("warmstack", "/cgi-bin/page")
                #expect(page.body == "web v1\nv1\nv2\n", "\(page.status) \(page.body)")
                let log = try await api.logs(rollbackID).data
                #expect(log.contains { $0.line.hasPrefix("Warm standby taken over") }, "\(log.map(\.line).suffix(15))")
                #expect(!log.contains { $0.line.hasPrefix("Starting: ") || $0.line.hasPrefix("Compose services, in start order") })
                // The first set's pod serves the rollback; no pod was made for it.
                #expect(try await Self.pods(withLabel: "slipway.deployment=\(first.uid)", client) == firstPods)
                #expect(try await Self.pods(withLabel: "slipway.deployment=\(rollback.uid)", client).isEmpty)
                let after = try #require(try await api.project("warmstack").services?.processes)
                #expect(after.map(\.deploymentId) == [second.id, rollbackID])
                #expect(after.map(\.state) == ["standby", "running"], "\(after)")
                #expect(after.last?.pid == standbyPID)
            }
            // The server stopped: the standby's pod and the live one are gone, with their containers and conmon.
            for deployment in made.withLock({ $0 }) {
                #expect(try await Self.pods(withLabel: "slipway.deployment=\(deployment.uid)", client).isEmpty)
                #expect(await ProcessTable.eventually(timeout: .seconds(10)) { (try? await Self.leftovers(of: deployment, client).isEmpty) == true })
            }
        }
    }

    @Test func aLiveComposeAppIsRunningAgainAfterTheServerRestarts() async throws {
        try await Scene.with { scene in
            let app = try Self.makeApp(scene, version: "v1")
            let client = scene.client
            let dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("slipway-compose-\(UUID().uuidString.prefix(8))").path
            defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
            let configuration = TestServer.testConfiguration(dataDirectory: dataDirectory)
            let runtimeLabel = "slipway.runtime=\(dataDirectory)"
            let (first, firstPods) = try await TestServer.run(configuration) { server in
                let project = try await Self.createCompose(server.client, scene, name: "again", repository: app.path)
                let deployment = try await ContainerServiceTests.deploy(server.client, project.id)
                #expect(deployment.state == "success", "\(deployment.error ?? "")")
                let page = try await server.edge("again", "/cgi-bin/page")
                #expect(page.body == "web v1\nv1\n", "\(page.status) \(page.body)")
                let pods = try await Self.pods(withLabel: "slipway.deployment=\(deployment.uid)", client)
                #expect(pods.count == 1)
                #expect(try await Self.pods(withLabel: runtimeLabel, client) == pods)
                return (deployment, pods)
            }
            // The server removed the set when it shut down.
            #expect(try await Self.pods(withLabel: runtimeLabel, client).isEmpty)
            #expect(await ProcessTable.eventually(timeout: .seconds(10)) { (try? await Self.leftovers(of: first, client).isEmpty) == true })

            try await TestServer.run(configuration) { server in
                // The set was started again before the edge took traffic: the very first request is served by it, and
                // the api's second start appended to the same volume.
                let page = try await server.edge("again", "/cgi-bin/page")
                #expect(page.body == "web v1\nv1\nv1\n", "\(page.status) \(page.body)")
                #expect(try await server.edge("again").body == "web v1\n")
                let process = try #require(try await server.client.project("again").services?.processes.first)
                #expect(process.state == "running" && process.deploymentId == first.id)
                let log = try await server.client.logs(first.id).data
                #expect(log.contains { $0.line == "Slipway started: starting the service again" })
                // One pod, a new one: none of the old run is left beside it.
                let pods = try await Self.pods(withLabel: runtimeLabel, client)
                #expect(pods.count == 1, "\(pods)")
                #expect(Set(pods).isDisjoint(with: firstPods))
                #expect(try await Self.pods(withLabel: "slipway.deployment=\(first.uid)", client) == pods)
                // Its two services and the pod's infra container (which carries the pod's labels).
                #expect(try await client.containers(withLabel: "slipway.deployment=\(first.uid)").count == 3)
            }
            #expect(try await Self.pods(withLabel: runtimeLabel, client).isEmpty)
            #expect(await ProcessTable.eventually(timeout: .seconds(10)) { (try? await Self.leftovers(of: first, client).isEmpty) == true })
        }
    }
}
