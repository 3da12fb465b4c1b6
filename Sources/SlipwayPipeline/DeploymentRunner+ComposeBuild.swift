public import Foundation
public import SlipwayCore
import SlipwaySandbox

extension DeploymentRunner {
    /// The build stage of a `compose` project (docs/containers.md "Compose apps"): the compose file read (what it uses
    /// that Slipway does not run named in the log; what would break isolation refused), an image built for every
    /// service with `build:` (tagged per service and build id: a rollback starts the same images), the images named by
    /// `image:` looked up locally (nothing is pulled), and the resolved set written into the build's directory.
    func buildCompose(
        _ build: BuildTypeConfig, buildID: UUID, project: Project, workDirectory: String, client: ContainerClient, run: DeploymentRun
    ) async throws {
        guard client.engine.kind == .podman else {
            throw PipelineError("compose builds run their services in a pod, which needs Podman; this server runs \(client.engine.kind.rawValue)")
        }
        guard let exposePort = build.exposePort, !build.exposeService.isEmpty else {
            throw PipelineError("expose_service and expose_port must be set for a compose build")
        }
        let config = run.deployment.config
        let root = workDirectory + "/src" + (config.rootDir.isEmpty ? "" : "/" + config.rootDir)
        let rootDirectory: SandboxFiles.Directory
        let text: String
        do {
            rootDirectory = try SandboxFiles.Directory.open(workDirectory).directory("src", field: "the checkout")
                .directory(config.rootDir, field: "root_dir")
            let path = try rootDirectory.regularFile(build.composePath, field: "compose_path")
            text = try Self.readSmallFile(root + "/" + path, field: "compose_path '\(build.composePath)'", limit: ComposeFile.maximumBytes)
        } catch let error as SandboxFiles.PathError {
            throw PipelineError(error.description)
        }
        let parsed: ComposeFile.Parsed
        do {
            parsed = try ComposeFile.parse(text, composePath: build.composePath, exposeService: build.exposeService, exposePort: exposePort)
        } catch {
            throw PipelineError(error.description)
        }
        for warning in parsed.warnings { run.system("Warning: compose: \(warning)", stage: .build) }
        var set = parsed.set
        set.project = project.uid.lowercased
        run.system("Compose services, in start order: \(set.services.map(\.name).joined(separator: ", "))", stage: .build)

        // Every path first (before any image is built): inside root_dir, no link on the way.
        var contexts: [String: (dockerfile: String, context: String)] = [:]
        do {
            for (index, service) in set.services.enumerated() {
                let field = "services.\(service.name)"
                for file in parsed.environmentFiles[service.name] ?? [] {
                    let path = try rootDirectory.regularFile(file, field: "\(field).env_file")
                    let contents = try Self.readSmallFile(root + "/" + path, field: "\(field).env_file '\(file)'", limit: 256 * 1024)
                    let (variables, skipped) = ComposeFile.environmentFile(contents)
                    for line in skipped {
                        run.system("Warning: compose: \(field).env_file '\(file)': line '\(line)' is not NAME=value, skipped", stage: .build)
                    }
                    // env_file first; `environment:` wins.
                    for (name, value) in variables where parsed.set.services[index].environment[name] == nil {
                        set.services[index].environment[name] = value
                    }
                }
                if let imageBuild = service.build {
                    _ = try rootDirectory.directory(imageBuild.context, field: "\(field).build.context")
                    let dockerfile = try rootDirectory.regularFile(imageBuild.dockerfile, field: "\(field).build.dockerfile")
                    contexts[service.name] = (root + "/" + dockerfile, imageBuild.context.isEmpty ? root : root + "/" + imageBuild.context)
                }
            }
        } catch let error as SandboxFiles.PathError {
            throw PipelineError(error.description)
        }
        do {
            for (index, service) in set.services.enumerated() {
                if let paths = contexts[service.name] {
                    let tag = ImageBuildSpec.composeImageName(project: project.uid.lowercased, service: service.name, buildID: buildID.lowercased)
                    run.system("Service \(service.name): building its image", stage: .build)
                    try await buildImage(
                        dockerfile: paths.dockerfile, context: paths.context, tag: tag, buildArgs: build.buildArgs, buildID: buildID,
                        project: project, client: client, run: run)
                    set.services[index].image = tag
                } else {
                    guard try await client.imageExists(service.image) else {
                        throw PipelineError(
                            "services.\(service.name).image: '\(service.image)' is not on this server, and images are never pulled here "
                                + "(give the service a 'build', or load the image with podman load)")
                    }
                    run.system("Service \(service.name): image \(service.image) (present on this server)", stage: .build)
                }
                try run.checkStop()
            }
            // The set is the build: written into its directory, read again by every start of it.
            let staging = workDirectory + "/image-build"
            try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            try encoder.encode(set).write(to: URL(fileURLWithPath: staging + "/" + ComposeSet.fileName))
            let removed = try ArtifactStore(layout: configuration.layout).publish(directory: staging, as: buildID)
            try run.checkStop()
            try await store(buildID, removed: removed, project: project, run: run)
        } catch {
            // Not a build: its images go (their layers stay, as the project's cache).
            try? SandboxFiles.remove(configuration.layout.buildDirectory(buildID))
            let label = "slipway.build=" + buildID.lowercased
            try? await Task.detached { try await client.removeAll(withLabel: label) }.value
            throw error
        }
    }

    /// The compose set a service deployment runs: read from its build's directory when its config snapshot builds with
    /// compose, else nil.
    public static func composeSet(config: BuildConfig, layout: DataLayout, buildID: UUID) throws -> ComposeSet? {
        guard config.build.type == .compose else { return nil }
        let path = layout.buildDirectory(buildID) + "/" + ComposeSet.fileName
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PipelineError("the compose build \(buildID.lowercased) has no \(ComposeSet.fileName)")
        }
        return try JSONDecoder().decode(ComposeSet.self, from: data)
    }

    /// A file of the checkout (reached without a link already), at most `limit` bytes, as UTF-8.
    static func readSmallFile(_ path: String, field: String, limit: Int) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw PipelineError("\(field) cannot be read") }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: limit + 1)) ?? Data()
        guard data.count <= limit else { throw PipelineError("\(field) is larger than \(limit / 1024) KiB") }
        guard let text = String(data: data, encoding: .utf8) else { throw PipelineError("\(field) is not UTF-8 text") }
        return text
    }
}
