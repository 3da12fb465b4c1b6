import Foundation
import SlipwayCore
import SlipwaySandbox
import Synchronization

extension DeploymentRunner {
    /// The build stage of a `dockerfile` or `compose` project (docs/containers.md "Dockerfile builds"). It owns the whole
    /// stage: the image build streamed into the log, and what the build is. A container build is never run as `sh -c`.
    func buildWithContainerEngine(_ build: BuildTypeConfig, project: Project, workDirectory: String, run: DeploymentRun) async throws {
        run.system("Build type: \(build.summary)", stage: .build)
        let client: ContainerClient
        switch configuration.containers {
        case .failure(let unavailable): throw PipelineError(Self.containerEngineUnavailable(build.type, reason: unavailable.reason))
        case .success(let found): client = found
        }
        let buildID = UUID()
        if build.type == .compose {
            return try await buildCompose(build, buildID: buildID, project: project, workDirectory: workDirectory, client: client, run: run)
        }
        let image = try await buildImage(build, buildID: buildID, project: project, workDirectory: workDirectory, client: client, run: run)
        do {
            let removed: SandboxFiles.Removed
            if run.deployment.config.kind == .service {
                // The image is the build; its directory in the artifact store stays empty.
                let staging = workDirectory + "/image-build"
                try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
                removed = try ArtifactStore(layout: configuration.layout).publish(directory: staging, as: buildID)
                try run.checkStop()
            } else {
                removed = try await copyOutput(of: image, workDirectory: workDirectory, buildID: buildID, client: client, run: run)
            }
            try await store(buildID, removed: removed, project: project, run: run)
        } catch {
            // Not a build: its image goes (its layers stay, as the project's cache).
            try? SandboxFiles.remove(configuration.layout.buildDirectory(buildID))
            try? await Task.detached { try await client.removeImage(image) }.value
            throw error
        }
    }

    /// The error of a container build on a server without a container engine.
    static func containerEngineUnavailable(_ type: BuildType, reason: String) -> String {
        "\(type.rawValue) builds need a container engine, and this server has none: \(reason) "
            + "(build_type '\(type.rawValue)'; build_type 'command' builds with a shell command)"
    }

    /// Builds the deployment's image, `localhost/slipway/<project uid>:<build id>`, its output streamed into the log
    /// under the build timeout; returns the image's name. Paths are checked first: the Dockerfile and the context are
    /// reached from `root_dir` without following a link.
    private func buildImage(
        _ build: BuildTypeConfig, buildID: UUID, project: Project, workDirectory: String, client: ContainerClient, run: DeploymentRun
    ) async throws -> String {
        let config = run.deployment.config
        let root = workDirectory + "/src" + (config.rootDir.isEmpty ? "" : "/" + config.rootDir)
        let dockerfile: String
        let context: String
        do {
            let rootDirectory = try SandboxFiles.Directory.open(workDirectory).directory("src", field: "the checkout")
                .directory(config.rootDir, field: "root_dir")
            dockerfile = root + "/" + (try rootDirectory.regularFile(build.dockerfilePath, field: "dockerfile_path"))
            _ = try rootDirectory.directory(build.dockerContext, field: "docker_context")
            let contextPath = BuildTypeRules.normalizedPath(build.dockerContext)
            context = contextPath.isEmpty ? root : root + "/" + contextPath
        } catch let error as SandboxFiles.PathError {
            throw PipelineError(error.description)
        }
        let tag = ImageBuildSpec.imageName(project: project.uid.lowercased, buildID: buildID.lowercased)
        try await buildImage(
            dockerfile: dockerfile, context: context, tag: tag, buildArgs: build.buildArgs, buildID: buildID, project: project, client: client,
            run: run)
        return tag
    }

    /// Builds one image from `dockerfile` and `context` (checked already), tagged `tag` and labelled with the build and
    /// the project, its output streamed into the log under the build timeout, stopped with the deployment.
    func buildImage(
        dockerfile: String, context: String, tag: String, buildArgs: [String], buildID: UUID, project: Project, client: ContainerClient,
        run: DeploymentRun
    ) async throws {
        // Values from the env snapshot, by name; only the names reach the command line.
        var arguments: [String: String] = [:]
        for name in buildArgs {
            guard let variable = run.environmentVariables[name] else { continue }
            arguments[name] = variable.value
            if variable.secret {
                run.system("Warning: build argument \(name) is a secret variable: its value stays readable in the image's history", stage: .build)
            }
        }
        let missing = buildArgs.filter { arguments[$0] == nil }
        if !missing.isEmpty {
            run.system("Build arguments not set in the environment, left out: \(missing.joined(separator: ", "))", stage: .build)
        }
        var spec = ImageBuildSpec(
            contextDirectory: context, dockerfile: dockerfile, tag: tag,
            labels: ["slipway.build": buildID.lowercased, "slipway.project": project.uid.lowercased], buildArguments: arguments,
            limits: ContainerLimits(resources: configuration.buildLimits), network: client.engine.buildNetwork,
            cgroupParent: Self.imageBuildCgroupParent(deploymentUID: run.deployment.uid)
        )
        spec.engineEnvironment = ["SLIPWAY_DEPLOYMENT_UID": run.deployment.uid.lowercased]
        run.system("Building image \(spec.tag) with \(client.engine.kind.rawValue) \(client.engine.version)", stage: .build)
        let recent = Mutex<[String]>([])
        let termination: Termination
        do {
            termination = try await client.build(spec, timeout: configuration.buildTimeout, handle: run.control.process) { line in
                recent.withLock {
                    $0.append(line.text)
                    if $0.count > 20 { $0.removeFirst() }
                }
                run.log?.append(LogLine(timestamp: Date(), stream: line.stream == .stdout ? .stdout : .stderr, stage: .build, text: line.text))
            }
        } catch let error as ContainerCommandError {
            throw PipelineError("\(error)")
        }
        try run.checkStop()
        if termination.timedOut {
            throw PipelineError("the build ran longer than the build timeout (\(configuration.buildTimeout)) and was stopped")
        }
        guard termination.succeeded else {
            throw PipelineError("the image build \(termination.summary): " + Self.failureDetail(recent.withLock { $0 }))
        }
        run.system("Image \(spec.tag) built", stage: .build)
    }

    /// What a failed image build said: the engine's `Error:` line (it names the step), else its last lines.
    static func failureDetail(_ lines: [String]) -> String {
        if let error = lines.last(where: { $0.hasPrefix("Error: ") || $0.hasPrefix("error ") || $0.hasPrefix("ERROR") }) {
            return error.hasPrefix("Error: ") ? String(error.dropFirst("Error: ".count)) : error
        }
        let tail = lines.suffix(3).joined(separator: " | ")
        return tail.isEmpty ? "no output" : tail
    }

    /// The cgroup parent of a deployment's image build, known from the deployment alone: the lease reaper removes what
    /// a build left when its server died during it (`removeContainerBuildLeftovers`).
    static func imageBuildCgroupParent(deploymentUID: UUID) -> String {
        ImageBuildSpec.cgroupParent(buildID: deploymentUID.lowercased)
    }

    /// The name of the container that `output_dir` is copied out of.
    static func outputCopyContainer(deploymentUID: UUID) -> String { "slipway-output-" + deploymentUID.lowercased }

    /// Copies a static site's `output_dir` out of the image into the artifact store as build `buildID` and returns what
    /// the store's checks left out. `output_dir` is absolute in the image, or relative to its working directory.
    private func copyOutput(
        of image: String, workDirectory: String, buildID: UUID, client: ContainerClient, run: DeploymentRun
    ) async throws -> SandboxFiles.Removed {
        let outputDir = run.deployment.config.outputDir
        let workingDirectory = try await client.imageWorkingDirectory(image)
        let path = Self.imagePath(outputDir: outputDir, workingDirectory: workingDirectory)
        let staging = workDirectory + "/image-output"
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        do {
            try await client.copyDirectory(
                path, of: image, to: staging, name: Self.outputCopyContainer(deploymentUID: run.deployment.uid),
                labels: ["slipway.build": buildID.lowercased, "slipway.deployment": run.deployment.uid.lowercased])
        } catch let error as ContainerEngineError {
            throw PipelineError("output_dir '\(outputDir)' (\(path) in the image) could not be copied out of the image: \(error)")
        }
        try run.checkStop()
        run.system("Copied \(path) out of the image", stage: .build)
        return try ArtifactStore(layout: configuration.layout).publish(directory: staging, as: buildID)
    }

    /// `output_dir` as a path of the image: absolute as it is, relative from the image's working directory.
    static func imagePath(outputDir: String, workingDirectory: String) -> String {
        let base = outputDir.hasPrefix("/") ? "" : workingDirectory
        let parts = (base + "/" + outputDir).split(separator: "/").filter { $0 != "." }
        return "/" + parts.joined(separator: "/")
    }

    /// Removes what the image build of an abandoned deployment left on this machine (its server died during it): the
    /// processes and working containers under its cgroup parent, and the container its output was being copied from.
    static func removeContainerBuildLeftovers(of deployment: Deployment, client: ContainerClient) async {
        await client.removeBuildLeftovers(cgroupParent: imageBuildCgroupParent(deploymentUID: deployment.uid))
        try? await client.remove(outputCopyContainer(deploymentUID: deployment.uid))
        // A container service that was being started or health checked.
        try? await client.remove(ContainerRunSpec.serviceName(deploymentUID: deployment.uid.lowercased))
        // A compose set, named the same way.
        if client.engine.kind == .podman { try? await client.removePods([ContainerRunSpec.serviceName(deploymentUID: deployment.uid.lowercased)]) }
    }
}
