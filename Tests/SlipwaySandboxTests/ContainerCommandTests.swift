import Foundation
import Testing

@testable import SlipwaySandbox

@Suite struct ContainerCommandTests {
    let podman = ContainerEngine(
        kind: .podman, executable: "/usr/bin/podman", version: "4.3.1", runtime: "runc", userMode: .automaticNamespace,
        network: .slirp4netns, storageRoot: "/var/lib/containers/storage", storageDriver: "overlay", secretLauncher: "/bin/busybox"
    )
    let docker = ContainerEngine(
        kind: .docker, executable: "/usr/bin/docker", version: "28.2.2", runtime: nil, userMode: ContainerEngine.fallbackUser, network: .none
    )
    var commands: ContainerCommands { ContainerCommands(engine: podman) }
    let limits = ContainerLimits(
        resources: ResourceLimits(memoryBytes: 512 * 1024 * 1024, maxProcesses: 256), openFiles: 4096, userProcesses: 2048
    )

    var buildSpec: ImageBuildSpec {
        ImageBuildSpec(
            project: "Shop", buildID: "bld_42", contextDirectory: "/data/work/42/src", dockerfile: "/data/work/42/src/Dockerfile",
            buildArguments: ["NODE_ENV": "production", "API_KEY": "k3y value"], limits: limits
        )
    }

    @Test func anImageBuildNamesTagsLabelsAndLimitsItselfAndKeepsBuildArgumentValuesOffTheCommandLine() throws {
        let command = try commands.build(buildSpec)
        #expect(
            command.arguments == [
                "/usr/bin/podman", "build", "--runtime", "runc", "--layers", "--force-rm",
                "-f", "/data/work/42/src/Dockerfile", "-t", "localhost/slipway/shop:bld_42",
                "--label", "slipway.build=bld_42", "--label", "slipway.project=Shop",
                "--build-arg", "API_KEY", "--build-arg", "NODE_ENV",
                "--ulimit", "nofile=4096:4096", "--ulimit", "nproc=2048:2048",
                "--memory", "536870912", "--memory-swap", "536870912",
                "--network", "none", "--cgroup-parent", "/slipway-build-bld_42", "/data/work/42/src",
            ])
        #expect(command.environment == ["PATH": Sandbox.defaultPath, "API_KEY": "k3y value", "NODE_ENV": "production"])
        #expect(!command.arguments.contains { $0.contains("k3y") || $0.contains("production") })
        // The pipeline marks the engine process itself, without a build argument.
        var marked = buildSpec
        marked.engineEnvironment = ["SLIPWAY_DEPLOYMENT_UID": "d-1"]
        let markedCommand = try commands.build(marked)
        #expect(markedCommand.arguments == command.arguments)
        #expect(markedCommand.environment["SLIPWAY_DEPLOYMENT_UID"] == "d-1" && markedCommand.environment["API_KEY"] == "k3y value")
    }

    @Test func aBuildJoinsAGivenNetworkNamespaceAndDockerGetsNoPodmanOnlyFlags() throws {
        var spec = buildSpec
        spec.network = .slirp4netns
        #expect(throws: ContainerCommandError("network: a slirp4netns build needs its namespace first (ContainerClient.build makes it)")) {
            try commands.build(spec)
        }
        spec.network = .namespace(path: "/proc/4242/ns/net", dnsServer: "10.0.2.3")
        spec.buildArguments = [:]
        spec.limits.resources.memoryBytes = nil
        #expect(
            try commands.build(spec).arguments.suffix(7) == [
                "--network", "ns:/proc/4242/ns/net", "--dns", "10.0.2.3", "--cgroup-parent", "/slipway-build-bld_42", "/data/work/42/src",
            ])
        spec.network = .none
        #expect(
            try ContainerCommands(engine: docker).build(spec).arguments == [
                "/usr/bin/docker", "build", "-f", "/data/work/42/src/Dockerfile", "-t", "localhost/slipway/shop:bld_42",
                "--label", "slipway.build=bld_42", "--label", "slipway.project=Shop",
                "--ulimit", "nofile=4096:4096", "--ulimit", "nproc=2048:2048", "--network", "none", "/data/work/42/src",
            ])
    }

    @Test func buildArgumentsTheEngineReadsItselfOrThatAreNoVariableNamesAreRefusedByName() {
        for name in ["CONTAINERS_CONF", "PATH", "HOME", "http_proxy", "XDG_RUNTIME_DIR", "GODEBUG"] {
            var spec = buildSpec
            spec.buildArguments = [name: "x"]
            #expect(throws: ContainerCommandError("build_args: \(name) is read by the container engine itself and cannot be a build argument")) {
                try commands.build(spec)
            }
        }
        var spec = buildSpec
        spec.buildArguments = ["1BAD": "x"]
        #expect(throws: ContainerCommandError("build_args: \"1BAD\" is not a valid variable name")) { try commands.build(spec) }
        spec.buildArguments = ["GOPROXY": "off"]
        #expect(throws: Never.self) { try commands.build(spec) }
    }

    @Test func imageNamesAndContainerNamesKeepOnlyTheCharactersTheEngineAllows() {
        #expect(ImageBuildSpec.imageName(project: "My App/2", buildID: "BLD:7") == "localhost/slipway/my-app-2:bld-7")
        #expect(ImageBuildSpec.imageName(project: "-x", buildID: "_1") == "localhost/slipway/x-x:x_1")
        #expect(ContainerRunSpec.serviceName(deploymentUID: "dpl_AB12") == "slipway-dpl_ab12")
        #expect(ImageBuildSpec.cgroupParent(buildID: "BLD/7") == "/slipway-build-bld-7")
    }

    var runSpec: ContainerRunSpec {
        ContainerRunSpec(
            name: "slipway-dpl_1", image: "localhost/slipway/shop:bld_42", labels: ["slipway.deployment": "dpl_1", "slipway.project": "shop"],
            environment: ["PORT": "8080", "GREETING": "hi there"], limits: limits
        )
    }

    @Test func aServiceContainerIsDetachedNamedUnprivilegedLimitedAndOnItsOwnNetwork() throws {
        let command = try commands.run(runSpec, environmentFile: "/tmp/slipway-container-x/env")
        #expect(
            command.arguments == [
                "/usr/bin/podman", "run", "--detach", "--name", "slipway-dpl_1",
                "--label", "slipway.deployment=dpl_1", "--label", "slipway.project=shop",
                "--runtime", "runc", "--pull", "never", "--init", "--cap-drop", "all", "--security-opt", "no-new-privileges", "--userns", "auto",
                "--pids-limit", "256", "--memory", "536870912", "--memory-swap", "536870912",
                "--ulimit", "nofile=4096:4096", "--ulimit", "nproc=2048:2048",
                "--network", "slirp4netns:allow_host_loopback=false", "--env-file", "/tmp/slipway-container-x/env",
                "localhost/slipway/shop:bld_42",
            ])
        #expect(command.environment == ["PATH": Sandbox.defaultPath])
        #expect(!command.arguments.contains { $0.contains("hi there") || $0.contains("8080") })
    }

    @Test func withoutUserNamespacesOrSlirpTheContainerIsNobodyWithOnlyItsLoopback() throws {
        var engine = podman
        engine.userMode = ContainerEngine.fallbackUser
        engine.network = .none
        var spec = runSpec
        spec.readOnlyRootFilesystem = true
        spec.command = ["httpd", "-f"]
        let arguments = try ContainerCommands(engine: engine).run(spec, environmentFile: nil).arguments
        #expect(arguments.joined(separator: " ").contains(" --security-opt no-new-privileges --user 65534:65534 --pids-limit 256 "))
        #expect(!arguments.contains("--userns"))
        #expect(arguments.suffix(6) == ["--network", "none", "--read-only", "localhost/slipway/shop:bld_42", "httpd", "-f"])
    }

    /// Docker (docs/containers.md "Docker"): no `--runtime`, no user namespace (nobody instead), and `--network none`:
    /// never Docker's default bridge (172.17.0.0/16) nor a user-defined network, whose bridge would join the containers
    /// of every tenant; the edge reaches the container's own loopback through its network namespace, as with Podman.
    @Test func aDockerServiceContainerIsNobodyWithOnlyItsOwnLoopbackAndNoPodmanOnlyFlag() throws {
        var spec = runSpec
        spec.command = ["httpd", "-f"]
        let command = try ContainerCommands(engine: docker).run(spec, environmentFile: "/tmp/slipway-container-x/env")
        #expect(
            command.arguments == [
                "/usr/bin/docker", "run", "--detach", "--name", "slipway-dpl_1",
                "--label", "slipway.deployment=dpl_1", "--label", "slipway.project=shop",
                "--pull", "never", "--init", "--cap-drop", "all", "--security-opt", "no-new-privileges", "--user", "65534:65534",
                "--pids-limit", "256", "--memory", "536870912", "--memory-swap", "536870912",
                "--ulimit", "nofile=4096:4096", "--ulimit", "nproc=2048:2048",
                "--network", "none", "--env-file", "/tmp/slipway-container-x/env",
                "localhost/slipway/shop:bld_42", "httpd", "-f",
            ])
        #expect(command.environment == ["PATH": Sandbox.defaultPath])
        #expect(!command.arguments.contains { $0.contains("hi there") || $0.contains("8080") })
    }

    @Test func dockersOtherOperationsAreThePodmanOnesWhereTheCLIAgrees() {
        let d = "/usr/bin/docker"
        let commands = ContainerCommands(engine: docker)
        // Docker before 23.0 prints `--format json` as the word json: the template works in every version.
        #expect(commands.version().arguments == [d, "version", "--format", "{{json .}}"])
        #expect(commands.info().arguments == [d, "info", "--format", "{{json .}}"])
        #expect(commands.stop("slipway-dpl_1", timeoutSeconds: 7).arguments == [d, "stop", "--time", "7", "slipway-dpl_1"])
        #expect(commands.logs("slipway-dpl_1").arguments == [d, "logs", "--follow", "slipway-dpl_1"])
        #expect(commands.kill("slipway-dpl_1").arguments == [d, "kill", "--signal", "KILL", "slipway-dpl_1"])
        #expect(commands.remove(containers: ["a1", "b2"]).arguments == [d, "rm", "--force", "a1", "b2"])
        #expect(commands.inspect("slipway-dpl_1").arguments == [d, "container", "inspect", "slipway-dpl_1"])
        #expect(
            commands.containersWithLabel("slipway.runtime=/data").arguments == [
                d, "ps", "--all", "--quiet", "--no-trunc", "--filter", "label=slipway.runtime=/data",
            ])
        #expect(commands.allContainerIDsAndNames().arguments == [d, "ps", "--all", "--no-trunc", "--format", "{{.ID}} {{.Names}}"])
        #expect(
            commands.imagesWithLabel("slipway.project=p").arguments == [
                d, "images", "--all", "--quiet", "--no-trunc", "--filter", "label=slipway.project=p",
            ])
        #expect(commands.imageRemove("localhost/x:1").arguments == [d, "image", "rm", "--force", "localhost/x:1"])
        #expect(commands.copy(from: "n", path: "/site/.", to: "/out").arguments == [d, "cp", "n:/site/.", "/out"])
    }

    @Test func secretsAreMountedAsEngineSecretsAndTheLauncherStartsTheImagesCommand() throws {
        var spec = runSpec
        spec.secrets = ["API_TOKEN": "s3cret", "DB_URL": "postgres://u:p@db/x"]
        spec.command = ["node", "server.js"]
        let arguments = try commands.run(spec, environmentFile: "/e").arguments
        let entrypoint = try #require(arguments.firstIndex(of: "--entrypoint"))
        #expect(
            arguments[(entrypoint - 6)...] == [
                "--secret", "slipway-dpl_1-API_TOKEN,type=mount,target=/run/slipway/env/API_TOKEN,mode=0444",
                "--secret", "slipway-dpl_1-DB_URL,type=mount,target=/run/slipway/env/DB_URL,mode=0444",
                "--mount", "type=bind,source=/bin/busybox,destination=/run/slipway/busybox,ro=true",
                "--entrypoint", ContainerCommands.launcherEntrypoint, "localhost/slipway/shop:bld_42", "node", "server.js",
            ])
        let decoded = try JSONDecoder().decode([String].self, from: Data(ContainerCommands.launcherEntrypoint.utf8))
        #expect(decoded == ["/run/slipway/busybox", "sh", "-c", ContainerCommands.secretLauncherScript, "slipway-launch"])
        #expect(!arguments.contains { $0.contains("s3cret") || $0.contains("u:p@") })
        #expect(ContainerCommands.secretName(container: "slipway-dpl_1", variable: "DB_URL") == "slipway-dpl_1-DB_URL")
    }

    @Test func secretsNeedTheImagesCommandAStaticBusyboxAndPodman() {
        var spec = runSpec
        spec.secrets = ["API_TOKEN": "s3cret"]
        #expect(throws: ContainerCommandError("command: a container with secrets needs its command (the image's entrypoint and command)")) {
            try commands.run(spec, environmentFile: nil)
        }
        spec.command = ["app"]
        var engine = podman
        engine.secretLauncher = nil
        #expect(throws: ContainerCommandError("secrets: a statically linked busybox (Debian's busybox-static) is needed to pass secrets")) {
            try ContainerCommands(engine: engine).run(spec, environmentFile: nil)
        }
        #expect(throws: ContainerCommandError("secrets: docker run cannot receive secrets (swarm only)")) {
            try ContainerCommands(engine: docker).run(spec, environmentFile: nil)
        }
        spec.secrets = ["BAD-NAME": "x"]
        #expect(throws: ContainerCommandError("secrets: \"BAD-NAME\" is not a valid variable name")) { try commands.run(spec, environmentFile: nil) }
    }

    @Test func theEnvironmentFileHasOneSortedLinePerVariableAndRefusesLineBreaksByName() throws {
        #expect(try ContainerCommands.environmentFile(for: ["PORT": "8080", "A_B": "x = \"y\" "]) == "A_B=x = \"y\" \nPORT=8080\n")
        #expect(throws: ContainerCommandError("environment: PEM contains a line break; make it a secret to pass it to a container")) {
            try ContainerCommands.environmentFile(for: ["PEM": "a\nb"])
        }
    }

    @Test func theOtherOperationsAreOneCommandEach() {
        let p = "/usr/bin/podman"
        #expect(commands.version().arguments == [p, "version", "--format", "json"])
        #expect(commands.info().arguments == [p, "info", "--format", "json"])
        #expect(commands.stop("slipway-dpl_1", timeoutSeconds: 7).arguments == [p, "stop", "--time", "7", "slipway-dpl_1"])
        #expect(commands.logs("slipway-dpl_1").arguments == [p, "logs", "--follow", "slipway-dpl_1"])
        #expect(commands.kill("slipway-dpl_1").arguments == [p, "kill", "--signal", "KILL", "slipway-dpl_1"])
        #expect(commands.remove("slipway-dpl_1").arguments == [p, "rm", "--force", "--time", "0", "slipway-dpl_1"])
        #expect(commands.remove(containers: ["a1", "b2"]).arguments == [p, "rm", "--force", "--time", "0", "a1", "b2"])
        #expect(ContainerCommands(engine: docker).remove("c").arguments == ["/usr/bin/docker", "rm", "--force", "c"])
        #expect(commands.inspect("slipway-dpl_1").arguments == [p, "container", "inspect", "slipway-dpl_1"])
        #expect(commands.imageInspect("localhost/x:1").arguments == [p, "image", "inspect", "localhost/x:1"])
        #expect(commands.imageRemove("localhost/x:1").arguments == [p, "image", "rm", "--force", "localhost/x:1"])
        #expect(commands.imageExists("localhost/x:1").arguments == [p, "image", "exists", "localhost/x:1"])
        #expect(
            ContainerCommands(engine: docker).imageExists("localhost/x:1").arguments == [
                "/usr/bin/docker", "image", "inspect", "--format", "{{.Id}}", "localhost/x:1",
            ])
        #expect(
            commands.containersWithLabel("slipway.build=b1").arguments == [
                p, "ps", "--all", "--quiet", "--no-trunc", "--filter", "label=slipway.build=b1",
            ])
        #expect(
            commands.imagesWithLabel("slipway.project").arguments == [
                p, "images", "--all", "--quiet", "--no-trunc", "--filter", "label=slipway.project",
            ])
        #expect(commands.allContainerIDsAndNames().arguments == [p, "ps", "--all", "--no-trunc", "--format", "{{.ID}} {{.Names}}"])
        #expect(commands.allContainersWithBuildContainers().arguments == [p, "ps", "--all", "--external", "--quiet", "--no-trunc"])
        #expect(
            commands.secretCreate("s1", labels: ["slipway.deployment": "d"]).arguments == [
                p, "secret", "create", "--label", "slipway.deployment=d", "s1", "-",
            ])
        #expect(commands.secretRemove(["s1", "s2"]).arguments == [p, "secret", "rm", "s1", "s2"])
    }

    @Test func filesAreCopiedOutOfAnImageThroughAContainerThatNeverRuns() {
        let p = "/usr/bin/podman"
        #expect(
            commands.createForCopy(image: "localhost/slipway/p:b", name: "slipway-output-d", labels: ["slipway.build": "b"]).arguments == [
                p, "create", "--name", "slipway-output-d", "--label", "slipway.build=b", "--runtime", "runc", "--pull", "never", "--network",
                "none", "localhost/slipway/p:b", "slipway-copy-only",
            ])
        #expect(
            ContainerCommands(engine: docker).createForCopy(image: "i", name: "n", labels: [:]).arguments == [
                "/usr/bin/docker", "create", "--name", "n", "--pull", "never", "--network", "none", "i", "slipway-copy-only",
            ])
        #expect(
            commands.copy(from: "slipway-output-d", path: "/site/.", to: "/data/work/x/image-output").arguments == [
                p, "cp", "slipway-output-d:/site/.", "/data/work/x/image-output",
            ])
    }

    @Test func inspectOutputGivesTheMainProcessStateExitCodeAndOutOfMemoryKill() throws {
        let running = #"[{"Id":"abc","State":{"Status":"running","Running":true,"Pid":4242,"ExitCode":0,"OOMKilled":false}}]"#
        #expect(
            try ContainerState.parse(inspectOutput: running)
                == ContainerState(id: "abc", status: "running", running: true, processID: 4242, exitCode: 0, outOfMemoryKilled: false))
        let killed = #"[{"Id":"abc","State":{"Status":"exited","Running":false,"Pid":0,"ExitCode":137,"OOMKilled":true}}]"#
        #expect(
            try ContainerState.parse(inspectOutput: killed)
                == ContainerState(id: "abc", status: "exited", running: false, processID: nil, exitCode: 137, outOfMemoryKilled: true))
        #expect(throws: ContainerEngineError.self) { try ContainerState.parse(inspectOutput: "[]") }
    }

    /// When `podman ps` fails as a whole (a container whose network namespace was unmounted under it), the containers
    /// of a label are found by inspecting the ones in storage.
    @Test func containersOfALabelAreFoundInAnInspectAnswerWhenTheListingFails() {
        #expect(commands.inspect(containers: ["a1", "b2"]).arguments == ["/usr/bin/podman", "container", "inspect", "a1", "b2"])
        let answer = """
            [{"Id":"a1","Config":{"Labels":{"slipway.runtime":"/data","slipway.deployment":"d1"}}},
             {"Id":"b2","Config":{"Labels":{"slipway.runtime":"/data2"}}},
             {"Id":"c3","Config":{"Labels":null}},
             {"Id":"d4","Config":{"Labels":{"slipway.runtime":"/data=x"}}}]
            """
        #expect(ContainerClient.containers(inInspectOutput: answer, withLabel: "slipway.runtime=/data") == ["a1"])
        #expect(ContainerClient.containers(inInspectOutput: answer, withLabel: "slipway.runtime=/data=x") == ["d4"])
        #expect(ContainerClient.containers(inInspectOutput: answer, withLabel: "slipway.runtime") == ["a1", "b2", "d4"])
        #expect(ContainerClient.containers(inInspectOutput: answer, withLabel: "slipway.build") == [])
        #expect(ContainerClient.containers(inInspectOutput: "Error: no such container", withLabel: "x") == nil)
    }

    @Test func detectionReadsVersionsSubordinateRangesAndStaticBinaries() throws {
        #expect(try ContainerEngine.parseVersion(["Client": ["Version": "4.3.1"]], kind: .podman).get() == "4.3.1")
        #expect(
            throws: ContainerEngineUnavailable("docker 28.2.2 cannot reach its daemon"),
            performing: { try ContainerEngine.parseVersion(["Client": ["Version": "28.2.2"], "Server": NSNull()], kind: .docker).get() })
        #expect(ContainerEngine.hasContainersRange("root:100000:65536\ncontainers:1000000000:500000000\n"))
        #expect(!ContainerEngine.hasContainersRange("root:100000:65536\n"))
        #expect(!ContainerEngine.hasContainersRange("containers:1000:10\n"))
        #expect(ContainerEngine.isStaticExecutable("/bin/busybox") == FileManager.default.fileExists(atPath: "/bin/busybox"))
        #expect(!ContainerEngine.isStaticExecutable("/bin/sh"))
        #expect(ContainerEngineUnavailable("podman not found").description == "containers unavailable: podman not found")
    }

    @Test func theStartUpLineSaysHowContainersAndBuildsAreIsolated() {
        var engine = podman
        engine.buildNetwork = .slirp4netns
        #expect(
            engine.summary
                == "podman 4.3.1 with runc, a user namespace per container (--userns=auto), own network namespace (slirp4netns, no host loopback), "
                + "builds reach out through slirp4netns (no host loopback), secrets as files turned into environment variables")
        #expect(
            docker.summary
                == "docker 28.2.2, containers run as 65534:65534, no network but the container's own loopback, builds have no network, "
                + "no secrets (docker run has none outside swarm)")
    }

    @Test func aKilledBuildsProcessesAreFoundByAnyComponentOfTheirCgroupPath() throws {
        let proc = FileManager.default.temporaryDirectory.appendingPathComponent("proc-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: proc) }
        let cgroups = [
            "11": "8:pids:/slipway-build-b1\n0::/slipway-build-b1/buildah-buildah123\n",
            "12": "4:memory:/process_api/abc/slipway-build-b1\n",
            "13": "0::/slipway-build-b10\n",
            "self": "0::/slipway-build-b1\n",
        ]
        for (entry, text) in cgroups {
            try FileManager.default.createDirectory(atPath: proc + "/" + entry, withIntermediateDirectories: true)
            try text.write(toFile: proc + "/" + entry + "/cgroup", atomically: true, encoding: .utf8)
        }
        #expect(BuildLeftovers.processes(inCgroupNamed: "slipway-build-b1", proc: proc).sorted() == [11, 12])
    }
}
