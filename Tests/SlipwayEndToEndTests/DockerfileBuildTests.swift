import Foundation
import SlipwayClient
import SlipwayServer
import SlipwayTesting
import Synchronization
import Testing

@testable import SlipwaySandbox

#if canImport(Glibc)
    import Glibc
#endif

/// `build_type: dockerfile` end to end with the real Podman of this machine: a static site built by an image build and
/// copied out of the image, a failing step, a cancel mid-step, retention, and paths that leave the checkout. The base
/// image is made by each test from busybox (no registry is reachable) and everything is removed by label afterwards.
@Suite(
    .enabled("needs root, podman, runc and busybox-static (apt-get install podman buildah runc busybox-static)") {
        await PodmanMachine.canRunContainers()
    })
struct DockerfileBuildTests {
    /// One test's engine, base image and the labels everything it made carries.
    final class Scene: Sendable {
        let client: ContainerClient
        let token: String = UUID().uuidString.prefix(8).lowercased()
        var label: String { "slipway-test.run=\(token)" }
        var baseImage: String { "localhost/slipway-test/busybox:\(token)" }
        /// The projects whose images the test's server made.
        let projects = Mutex<[String]>([])

        init() async throws {
            client = ContainerClient(engine: try await ContainerEngine.detect(.podman).get())
        }

        /// The busybox base image: every applet linked in /bin.
        func buildBaseImage() async throws {
            let context = FileManager.default.temporaryDirectory.appendingPathComponent("slipway-base-\(token)").path
            try FileManager.default.createDirectory(atPath: context, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: context) }
            try FileManager.default.copyItem(atPath: "/bin/busybox", toPath: context + "/busybox")
            try "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\n"
                .write(toFile: context + "/Dockerfile", atomically: true, encoding: .utf8)
            let spec = ImageBuildSpec(
                contextDirectory: context, dockerfile: context + "/Dockerfile", tag: baseImage, labels: ["slipway-test.run": token],
                cgroupParent: "/slipway-build-test-\(token)")
            let lines = Mutex<[String]>([])
            let termination = try await client.build(spec, timeout: .seconds(300)) { line in lines.withLock { $0.append(line.text) } }
            try #require(termination.succeeded, "the base image did not build: \(lines.withLock { $0 }.joined(separator: "\n"))")
        }

        /// The name of a deployment's image.
        func image(project: ProjectInfo, buildID: String) -> String {
            ImageBuildSpec.imageName(project: project.uid, buildID: buildID)
        }

        /// Runs `body` with a new scene and its base image, then removes every image and container of the test.
        static func with(_ body: (Scene) async throws -> Void) async throws {
            let scene = try await Scene()
            do {
                try await scene.buildBaseImage()
                try await body(scene)
            } catch {
                try? await scene.tearDown()
                throw error
            }
            try await scene.tearDown()
        }

        func tearDown() async throws {
            for project in projects.withLock({ $0 }) {
                try await client.removeAll(withLabel: "slipway.project=\(project)")
                // A compose app's named volumes outlive its sets; a test that failed before deleting its project leaves them.
                _ = try await client.removeVolumes(withLabel: "slipway.project=\(project)")
                #expect(try await client.images(withLabel: "slipway.project=\(project)").isEmpty)
            }
            try await client.removeAll(withLabel: label)
            #expect(try await client.images(withLabel: label).isEmpty)
        }

        /// A static project building `site` with its Dockerfile, publishing `outputDir` of the image.
        func createProject(
            _ api: SlipwayClient, name: String, site: TemporaryGitRepository, outputDir: String = "/site", build: BuildTypeRequest? = nil
        ) async throws -> ProjectInfo {
            let project = try await api.createProject(
                NewProjectRequest(
                    name: name, repository: site.path, buildCommand: "echo never-run-as-a-command", outputDir: outputDir,
                    build: build ?? BuildTypeRequest(buildType: "dockerfile")))
            projects.withLock { $0.append(project.uid) }
            return project
        }
    }

    /// A repository with this Dockerfile.
    func makeSite(_ dockerfile: String) throws -> TemporaryGitRepository {
        let site = try TemporaryGitRepository()
        try site.write("Dockerfile", dockerfile)
        try site.commit("dockerfile")
        return site
    }

    /// Waits until the deployment's log has the line `text` (not only a line containing it, as the step's own line does).
    func waitForLog(_ api: SlipwayClient, _ id: Int64, line text: String) async throws {
        let seen = try await ProcessTable.eventually(timeout: .seconds(120)) {
            try await api.logs(id).data.contains { $0.line == text }
        }
        #expect(seen, "the log of deployment \(id) never showed '\(text)'")
    }

    @Test func aStaticSiteIsBuiltWithItsDockerfileAndServedFromTheDirectoryCopiedOutOfTheImage() async throws {
        try await Scene.with { scene in
            let site = try makeSite(
                """
                FROM \(scene.baseImage)
                ARG GREETING
                RUN mkdir -p /site && echo '<h1>from a dockerfile</h1>' > /site/index.html && echo "$GREETING" > /site/greeting.txt
                RUN ln -s /etc/passwd /site/passwd && ln -s index.html /site/home.html && echo built-the-site

                """)
            try await TestServer.withServer { server in
                let api = server.client
                let project = try await scene.createProject(
                    api, name: "boxed", site: site, build: BuildTypeRequest(buildType: "dockerfile", buildArgs: ["GREETING", "UNSET"]))
                _ = try await api.updateEnvironmentVariables(
                    project: "boxed", environment: "production", ["GREETING": EnvironmentVariableInfo(value: "hello-from-the-env")])
                let deployment = try await api.waitForDeployment(try await api.deploy(projectIDs: [project.id]).deploymentIds[0])
                let log = try await api.logs(deployment.id).data
                #expect(deployment.state == "success", "\(deployment.error ?? "") \(log.map(\.line))")
                #expect(try await server.edge("boxed").body == "<h1>from a dockerfile</h1>\n")
                #expect(try await server.edge("boxed", "/greeting.txt").body == "hello-from-the-env\n")
                #expect(try await server.edge("boxed", "/home.html").body == "<h1>from a dockerfile</h1>\n")
                // A link out of the output is left out of the build, as for command builds.
                #expect(try await !server.edge("boxed", "/passwd").body.contains("root:"))
                #expect(log.contains { $0.stage == "build" && $0.line == "Left out of the build: 'passwd' is a link that leads outside it" })
                // The engine's output is in the log, line by line, under the build stage.
                #expect(log.contains { $0.stage == "build" && $0.line == "built-the-site" })
                // (Podman adds the labels as two last steps.)
                #expect(log.contains { $0.stage == "build" && $0.line == "STEP 1/6: FROM \(scene.baseImage)" })
                #expect(log.contains { $0.stage == "build" && $0.line.hasPrefix("Successfully tagged localhost/slipway/\(project.uid):") })
                #expect(log.contains { $0.stage == "build" && $0.line == "Copied /site out of the image" })
                #expect(log.contains { $0.line == "Build arguments not set in the environment, left out: UNSET" })
                #expect(!log.contains { $0.line.hasPrefix("Warning: build argument") })
                #expect(!log.contains { $0.line.contains("never-run-as-a-command") && !$0.line.hasPrefix("Build config:") })
                // The image is the build's; the container the files were copied from is gone.
                let buildID = try #require(deployment.buildId)
                #expect(try await scene.client.imageExists(scene.image(project: project, buildID: buildID)))
                #expect(try await scene.client.containers(withLabel: "slipway.build=\(buildID)").isEmpty)
                #expect(try await scene.client.containers(withLabel: "slipway.deployment=\(deployment.uid)").isEmpty)
            }
        }
    }

    @Test func aFailingStepFailsTheDeploymentWithTheStepInItsError() async throws {
        try await Scene.with { scene in
            let site = try makeSite("FROM \(scene.baseImage)\nRUN echo before-the-failure\nRUN false\nRUN echo never\n")
            try await TestServer.withServer { server in
                let api = server.client
                let project = try await scene.createProject(api, name: "broken", site: site)
                let deployment = try await api.waitForDeployment(try await api.deploy(projectIDs: [project.id]).deploymentIds[0])
                #expect(deployment.state == "failed")
                let error = deployment.error ?? ""
                #expect(error.hasPrefix("the image build exited with status"), "\(error)")
                #expect(error.contains("RUN false"), "\(error)")
                #expect(deployment.stages.first { $0.name == "build" }?.status == "failure")
                #expect(deployment.buildId == nil)
                let log = try await api.logs(deployment.id).data
                #expect(log.contains { $0.stage == "build" && $0.line == "before-the-failure" })
                #expect(!log.contains { $0.line == "never" })
                #expect(try await server.edge("broken").status == 404)
            }
        }
    }

    @Test func aCanceledBuildLeavesNoProcessNoWorkingContainerAndNoCgroup() async throws {
        try await Scene.with { scene in
            let site = try makeSite("FROM \(scene.baseImage)\nRUN echo first-step-done\nRUN echo about-to-sleep && sleep 300\nRUN echo never\n")
            try await TestServer.withServer { server in
                let api = server.client
                let project = try await scene.createProject(api, name: "slow", site: site)
                let id = try await api.deploy(projectIDs: [project.id]).deploymentIds[0]
                try await waitForLog(api, id, line: "about-to-sleep")
                let uid = try await api.deployment(id).uid
                let cgroupName = "slipway-build-\(uid)"
                // The step runs under the deployment's cgroup parent while it sleeps.
                #expect(!BuildLeftovers.processes(inCgroupNamed: cgroupName).isEmpty)

                let stopped = try await api.cancel(id, reason: "too slow")
                #expect(stopped.deployment.state == "canceled")
                #expect(stopped.deployment.stages.first { $0.name == "build" }?.status == "canceled")
                #expect(BuildLeftovers.processes(inCgroupNamed: cgroupName).isEmpty, "a RUN step's process survived")
                #expect(ProcessTable.matching(cgroupName).isEmpty, "a podman or buildah process survived")
                let storage = try await scene.client.execute(scene.client.commands.allContainersWithBuildContainers(), operation: "listing")
                #expect(
                    !storage.lines.contains {
                        BuildLeftovers.workingContainer($0, engine: scene.client.engine, hasCgroupParent: "/" + cgroupName)
                    }, "a working container survived")
                #expect(!FileManager.default.fileExists(atPath: "/sys/fs/cgroup/pids/" + cgroupName))
                let log = try await api.logs(id).data
                #expect(!log.contains { $0.line == "never" })
                #expect(try await server.edge("slow").status == 404)
            }
        }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: CommandLineTests.executable), "needs the slipway executable (swift build)"))
    func aServerKilledDuringAnImageBuildRemovesWhatTheBuildLeftWhenItStartsAgain() async throws {
        try await Scene.with { scene in
            let site = try makeSite("FROM \(scene.baseImage)\nRUN echo about-to-sleep && sleep 300\nRUN echo never\n")
            let dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("slipway-crash-\(scene.token)").path
            defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
            let token = "slw_crash_test_token"
            let port = try TestServer.freePort()
            let api = SlipwayClient(baseURL: "http://127.0.0.1:\(port)", token: token)
            let first = try CrashRecoveryTests.ServerProcess(dataDirectory: dataDirectory, port: port, token: token)
            defer { first.stop() }
            try await first.waitUntilReady(api)
            let project = try await scene.createProject(api, name: "crashed", site: site)
            let id = try await api.deploy(projectIDs: [project.id]).deploymentIds[0]
            try await waitForLog(api, id, line: "about-to-sleep")
            let cgroupName = "slipway-build-\(try await api.deployment(id).uid)"
            #expect(!BuildLeftovers.processes(inCgroupNamed: cgroupName).isEmpty)
            first.kill()
            // Killing the server leaves the engine and the step running.
            #expect(!BuildLeftovers.processes(inCgroupNamed: cgroupName).isEmpty)

            let second = try CrashRecoveryTests.ServerProcess(dataDirectory: dataDirectory, port: port, token: token)
            defer { second.stop() }
            try await second.waitUntilReady(api)
            let interrupted = try await api.deployment(id)
            #expect(interrupted.state == "failed" && interrupted.error?.hasPrefix("interrupted") == true, "\(interrupted.error ?? "")")
            #expect(BuildLeftovers.processes(inCgroupNamed: cgroupName).isEmpty, "a RUN step's process survived the restart")
            #expect(ProcessTable.matching(cgroupName).isEmpty, "a podman or buildah process survived the restart")
            let storage = try await scene.client.execute(scene.client.commands.allContainersWithBuildContainers(), operation: "listing")
            #expect(
                !storage.lines.contains {
                    BuildLeftovers.workingContainer($0, engine: scene.client.engine, hasCgroupParent: "/" + cgroupName)
                }, "a working container survived the restart")
            #expect(!FileManager.default.fileExists(atPath: "/sys/fs/cgroup/pids/" + cgroupName))
        }
    }

    @Test func retentionRemovesTheImageOfARemovedBuild() async throws {
        try await Scene.with { scene in
            let site = try makeSite("FROM \(scene.baseImage)\nRUN mkdir -p /site && echo kept > /site/index.html\n")
            try await TestServer.withServer(configure: { $0.keepDeployments = 1 }) { server in
                let api = server.client
                let project = try await scene.createProject(api, name: "kept", site: site)
                let first = try await api.waitForDeployment(try await api.deploy(projectIDs: [project.id]).deploymentIds[0])
                #expect(first.state == "success", "\(first.error ?? "")")
                let firstImage = scene.image(project: project, buildID: try #require(first.buildId))
                #expect(try await scene.client.imageExists(firstImage))
                let second = try await api.waitForDeployment(try await api.deploy(projectIDs: [project.id]).deploymentIds[0])
                #expect(second.state == "success", "\(second.error ?? "")")
                // The first deployment lost its build to retention: its image went with it.
                #expect(try await api.deployment(first.id).buildId == nil)
                #expect(try await !scene.client.imageExists(firstImage))
                #expect(try await scene.client.imageExists(scene.image(project: project, buildID: try #require(second.buildId))))
                #expect(try await server.edge("kept").body == "kept\n")
            }
        }
    }

    @Test func aDockerfileOrContextThatLeavesTheCheckoutThroughALinkIsRefused() async throws {
        try await Scene.with { scene in
            let site = try TemporaryGitRepository()
            try site.write("app/index.html", "<p>app</p>\n")
            try FileManager.default.createSymbolicLink(atPath: site.path + "/Dockerfile", withDestinationPath: "/etc/passwd")
            try FileManager.default.createSymbolicLink(atPath: site.path + "/outside", withDestinationPath: "/etc")
            try site.commit("links")
            try await TestServer.withServer { server in
                let api = server.client
                let project = try await scene.createProject(api, name: "linked", site: site)
                let deployment = try await api.waitForDeployment(try await api.deploy(projectIDs: [project.id]).deploymentIds[0])
                #expect(deployment.state == "failed")
                #expect(
                    deployment.error == "dockerfile_path 'Dockerfile' is a symbolic link (to '/etc/passwd'); links are not followed",
                    "\(deployment.error ?? "")")

                _ = try await api.updateProject(
                    "linked", ProjectUpdateRequest(build: BuildTypeRequest(dockerfilePath: "outside/passwd")))
                let throughDirectory = try await api.waitForDeployment(try await api.deploy(projectIDs: [project.id]).deploymentIds[0])
                #expect(
                    throughDirectory.error
                        == "dockerfile_path 'outside/passwd': 'outside' is a symbolic link (to '/etc'); links are not followed",
                    "\(throughDirectory.error ?? "")")

                _ = try await api.updateProject(
                    "linked", ProjectUpdateRequest(build: BuildTypeRequest(dockerfilePath: "app/index.html", dockerContext: "outside")))
                let context = try await api.waitForDeployment(try await api.deploy(projectIDs: [project.id]).deploymentIds[0])
                #expect(
                    context.error == "docker_context 'outside': 'outside' is a symbolic link (to '/etc'); links are not followed",
                    "\(context.error ?? "")")
                #expect(try await scene.client.images(withLabel: "slipway.project=\(project.uid)").isEmpty)
            }
        }
    }
}
