import Foundation
import NIOHTTP1
import SlipwayClient
import SlipwayServer
import SlipwayTesting
import Testing

/// The `build_type` project setting end to end: the native API, the dialects that show a build config, the CLI, and
/// a container build failing honestly at its build stage on a server without a container engine.
@Suite struct BuildTypeTests {
    /// A JSON request with the admin token, checked against the OpenAPI document.
    func send(_ server: TestServer, _ method: HTTPMethod, _ path: String, _ body: String? = nil) async throws -> (Int, [String: Any]) {
        let answer = try await server.send(
            method, path, headers: [("Authorization", "Bearer \(server.adminToken)")], body: body.map { Data($0.utf8) })
        return (answer.status, answer.json as? [String: Any] ?? [:])
    }

    /// The fields a 422 names.
    func rejectedFields(_ server: TestServer, _ method: HTTPMethod, _ path: String, _ body: String) async throws -> [String] {
        let (status, json) = try await send(server, method, path, body)
        #expect(status == 422, "\(body): \(json)")
        return ((json["errors"] as? [String: Any]) ?? [:]).keys.sorted()
    }

    @Test func theNativeAPISetsShowsChangesAndChecksTheBuildType() async throws {
        try await TestServer.withServer { server in
            let repository = "https://git.example.com/api.git"
            // Every project builds with a command unless told otherwise, and shows the defaults of the other types.
            let (plainStatus, plain) = try await send(server, .POST, "/api/v1/projects", #"{"name": "plain", "repository": "\#(repository)"}"#)
            #expect(plainStatus == 201)
            #expect(plain["build_type"] as? String == "command")
            #expect(plain["dockerfile_path"] as? String == "Dockerfile" && plain["docker_context"] as? String == ".")
            #expect(plain["compose_path"] as? String == "docker-compose.yml" && (plain["build_args"] as? [String]) == [])
            #expect(plain["expose_service"] is NSNull && plain["expose_port"] is NSNull)

            let (createdStatus, created) = try await send(
                server, .POST, "/api/v1/projects",
                #"""
                {"name": "api", "repository": "\#(repository)", "kind": "service", "build_type": "dockerfile",
                 "dockerfile_path": "./docker/Dockerfile", "docker_context": "docker/", "build_args": ["NODE_ENV", "API_URL"]}
                """#)
            #expect(createdStatus == 201, "\(created)")
            #expect(created["build_type"] as? String == "dockerfile")
            #expect(created["dockerfile_path"] as? String == "docker/Dockerfile" && created["docker_context"] as? String == "docker")
            #expect(created["build_args"] as? [String] == ["NODE_ENV", "API_URL"])
            let (_, shown) = try await send(server, .GET, "/api/v1/projects/api")
            #expect(shown["build_type"] as? String == "dockerfile" && shown["build_args"] as? [String] == ["NODE_ENV", "API_URL"])

            let (patchedStatus, patched) = try await send(
                server, .PATCH, "/api/v1/projects/api", #"{"build_type": "compose", "expose_service": "web", "expose_port": 8080}"#)
            #expect(patchedStatus == 200, "\(patched)")
            #expect(patched["build_type"] as? String == "compose" && patched["compose_path"] as? String == "docker-compose.yml")
            #expect(patched["expose_service"] as? String == "web" && patched["expose_port"] as? Int == 8080)
            // The Dockerfile settings are kept for a switch back.
            #expect(patched["dockerfile_path"] as? String == "docker/Dockerfile")

            // 422s name the field.
            let create = "/api/v1/projects"
            func new(_ fields: String) -> String { #"{"name": "bad", "repository": "\#(repository)", "kind": "service", \#(fields)}"# }
            #expect(try await rejectedFields(server, .POST, create, new(#""build_type": "podman""#)) == ["build_type"])
            #expect(try await rejectedFields(server, .POST, create, new(#""dockerfile_path": "../Dockerfile""#)) == ["dockerfile_path"])
            #expect(try await rejectedFields(server, .POST, create, new(#""dockerfile_path": "/Dockerfile""#)) == ["dockerfile_path"])
            #expect(try await rejectedFields(server, .POST, create, new(#""docker_context": "/srv""#)) == ["docker_context"])
            #expect(try await rejectedFields(server, .POST, create, new(#""docker_context": "a\u0000b""#)) == ["docker_context"])
            #expect(try await rejectedFields(server, .POST, create, new(#""compose_path": "x/../../compose.yml""#)) == ["compose_path"])
            #expect(try await rejectedFields(server, .POST, create, new(#""expose_service": "web app""#)) == ["expose_service"])
            #expect(try await rejectedFields(server, .POST, create, new(#""expose_port": 70000"#)) == ["expose_port"])
            #expect(try await rejectedFields(server, .POST, create, new(#""build_args": ["OK", "1BAD"]"#)) == ["build_args.1"])
            #expect(try await rejectedFields(server, .POST, create, new(#""build_type": "compose""#)) == ["expose_port", "expose_service"])
            #expect(
                try await rejectedFields(
                    server, .POST, create,
                    #"{"name": "bad", "repository": "\#(repository)", "build_type": "compose", "expose_service": "web", "expose_port": 80}"#)
                    == ["build_type"])
            #expect(try await rejectedFields(server, .PATCH, "/api/v1/projects/api", #"{"kind": "static"}"#) == ["kind"])
            #expect(try await rejectedFields(server, .PATCH, "/api/v1/projects/api", #"{"expose_port": null}"#) == ["expose_port"])
            let (_, unchanged) = try await send(server, .GET, "/api/v1/projects/api")
            #expect(unchanged["build_type"] as? String == "compose" && unchanged["kind"] as? String == "service")
        }
    }

    @Test func aDockerfileDeploymentFailsAtItsBuildStageAndNeverRunsItsCommand() async throws {
        let site = try TemporaryGitRepository()
        try site.write("build.sh", "mkdir -p dist && echo '<p>built by sh</p>' > dist/index.html && echo ran the command\n")
        try site.write("Dockerfile", "FROM scratch\nCOPY dist /dist\n")
        try site.commit("site")
        // A server told to use no container engine (`--container-engine none`); DockerfileBuildTests build with Podman.
        try await TestServer.withServer(configure: { $0.containerEngine = nil }) { server in
            let api = server.client
            let project = try await api.createProject(
                NewProjectRequest(
                    name: "boxed", repository: site.path, buildCommand: "sh build.sh", outputDir: "dist",
                    build: BuildTypeRequest(buildType: "dockerfile", buildArgs: ["GREETING"])))
            #expect(project.buildType == "dockerfile")
            let result = try await api.deploy(projectIDs: [project.id])
            let deployment = try await api.waitForDeployment(result.deploymentIds[0])
            let expected =
                "dockerfile builds need a container engine, and this server has none: turned off (--container-engine none) "
                + "(build_type 'dockerfile'; build_type 'command' builds with a shell command)"
            #expect(deployment.state == "failed")
            #expect(deployment.error == expected)
            #expect(deployment.stages.first { $0.name == "clone_repo" }?.status == "success")
            #expect(deployment.stages.first { $0.name == "build" }?.status == "failure")
            #expect(deployment.stages.first { $0.name == "deploy" }?.status == "idle")
            #expect(deployment.buildId == nil)
            let log = try await api.logs(deployment.id).data
            #expect(log.contains { $0.stage == "build" && $0.line == "✗ Deployment failed: \(expected)" }, "\(log)")
            #expect(log.contains { $0.stage == "build" && $0.line.hasPrefix("Build type: dockerfile (dockerfile_path 'Dockerfile'") })
            #expect(!log.contains { $0.line.contains("ran the command") || $0.line.hasPrefix("Running:") })
            #expect(try await server.edge("boxed").status == 404)

            // The dialects that show a deployment's build settings show this one's.
            let account = try await api.me().workspace?.cloudflareAccountId ?? ""
            let (pagesStatus, pages) = try await send(
                server, .GET, "/client/v4/accounts/\(account)/pages/projects/boxed/deployments/\(deployment.uid)")
            #expect(pagesStatus == 200)
            let buildConfig = try #require((pages["result"] as? [String: Any])?["build_config"] as? [String: Any])
            #expect(
                buildConfig.keys.sorted() == [
                    "build_caching", "build_command", "destination_dir", "root_dir", "web_analytics_tag", "web_analytics_token",
                ])
            #expect(buildConfig["build_command"] as? String == "")
            let deployID = "dep_" + deployment.uid.replacingOccurrences(of: "-", with: "")
            let (deployStatus, deploy) = try await send(server, .GET, "/api/deploys/\(deployID)")
            #expect(deployStatus == 200)
            #expect((deploy["metadata"] as? [String: Any])?["buildType"] as? String == "dockerfile")

            // A compose project fails the same way; a command project still builds with its command.
            _ = try await api.updateProject(
                "boxed", ProjectUpdateRequest(kind: "service", build: BuildTypeRequest(buildType: "compose", exposeService: "web", exposePort: 8080)))
            let composed = try await api.waitForDeployment(try await api.deploy(projectIDs: [project.id]).deploymentIds[0])
            #expect(composed.error?.hasPrefix("compose builds need a container engine, and this server has none: turned off") == true)
            _ = try await api.updateProject("boxed", ProjectUpdateRequest(kind: "static", build: BuildTypeRequest(buildType: "command")))
            let commanded = try await api.waitForDeployment(try await api.deploy(projectIDs: [project.id]).deploymentIds[0])
            #expect(commanded.state == "success")
            #expect(try await server.edge("boxed").body == "<p>built by sh</p>\n")
            let (_, commandPages) = try await send(
                server, .GET, "/client/v4/accounts/\(account)/pages/projects/boxed/deployments/\(commanded.uid)")
            #expect(((commandPages["result"] as? [String: Any])?["build_config"] as? [String: Any])?["build_command"] as? String == "sh build.sh")
        }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: CommandLineTests.executable)))
    func theCommandLineSetsShowsAndChangesTheBuildType() async throws {
        try await TestServer.withServer { server in
            let environment = ["SLIPWAY_URL": server.baseURL, "SLIPWAY_TOKEN": server.adminToken]
            let (createStatus, createOutput) = try await CommandLineTests.slipway(
                [
                    "projects", "create", "boxed", "--repository", "https://git.example.com/boxed.git", "--kind", "service",
                    "--build-type", "dockerfile", "--dockerfile", "deploy/Dockerfile", "--docker-context", "deploy", "--build-args",
                    "NODE_ENV, API_URL",
                ],
                environment: environment)
            #expect(createStatus == 0, "\(createOutput)")
            let (showStatus, showOutput) = try await CommandLineTests.slipway(["projects", "show", "boxed"], environment: environment)
            #expect(showStatus == 0, "\(showOutput)")
            let lines = showOutput.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
            #expect(lines.contains("build type dockerfile"), "\(showOutput)")
            #expect(lines.contains("dockerfile deploy/Dockerfile") && lines.contains("docker context deploy"))
            #expect(lines.contains("build args NODE_ENV, API_URL"))

            let (updateStatus, updateOutput) = try await CommandLineTests.slipway(
                [
                    "projects", "update", "boxed", "--build-type", "compose", "--compose-file", "compose.yaml", "--expose-service", "web",
                    "--expose-port", "8080",
                ],
                environment: environment)
            #expect(updateStatus == 0, "\(updateOutput)")
            #expect(updateOutput.contains("Updated project boxed (id 1); build type compose"))
            let (jsonStatus, jsonOutput) = try await CommandLineTests.slipway(["projects", "show", "boxed", "--json"], environment: environment)
            #expect(jsonStatus == 0)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(jsonOutput.utf8)) as? [String: Any])
            #expect(json["build_type"] as? String == "compose" && json["compose_path"] as? String == "compose.yaml")
            #expect(json["expose_service"] as? String == "web" && json["expose_port"] as? Int == 8080)

            let (badStatus, badOutput) = try await CommandLineTests.slipway(
                ["projects", "update", "boxed", "--dockerfile", "../Dockerfile"], environment: environment)
            #expect(badStatus == 1)
            #expect(badOutput.contains("dockerfile_path: must not contain '..'"), "\(badOutput)")
            let (staticStatus, staticOutput) = try await CommandLineTests.slipway(
                ["projects", "update", "boxed", "--kind", "static"], environment: environment)
            #expect(staticStatus == 1)
            #expect(staticOutput.contains("kind: a 'compose' build runs services"), "\(staticOutput)")
        }
    }
}
