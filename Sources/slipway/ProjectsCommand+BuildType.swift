import ArgumentParser
import Foundation
import SlipwayClient

/// The build type flags of `slipway projects create` and `update` (docs/api-v1.md "Build types").
struct BuildTypeOptions: ParsableArguments {
    @Option(help: "How the project builds: command (default: the build command in the sandbox), dockerfile or compose.")
    var buildType: String?
    @Option(help: "dockerfile: the Dockerfile, relative to the root dir (default Dockerfile).") var dockerfile: String?
    @Option(help: "dockerfile: the build context, relative to the root dir (default: the root dir).") var dockerContext: String?
    @Option(help: "dockerfile: the environment variables passed as build arguments, comma-separated ('' for none).")
    var buildArgs: String?
    @Option(help: "compose: the compose file, relative to the root dir (default docker-compose.yml).") var composeFile: String?
    @Option(help: "compose: the compose service the edge routes to.") var exposeService: String?
    @Option(help: "compose: the port the exposed service listens on.") var exposePort: Int?

    /// The fields given, as the API takes them.
    var request: BuildTypeRequest {
        BuildTypeRequest(
            buildType: buildType, dockerfilePath: dockerfile, dockerContext: dockerContext,
            buildArgs: buildArgs.map { text in text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } },
            composePath: composeFile, exposeService: exposeService, exposePort: exposePort
        )
    }
}

extension ProjectsCommand {
    /// `slipway projects update PROJECT --build-type dockerfile …`.
    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a project's settings; only the options given change.",
            discussion: """
                Example:
                  slipway projects update api --build-type dockerfile --dockerfile docker/Dockerfile --build-args NODE_ENV,API_URL
                """
        )

        @Argument(help: "The project's name or id.") var project: String
        @Option(help: "A new name: a DNS label.") var name: String?
        @Option(help: "The git URL or absolute path of the repository.") var repository: String?
        @Option(help: "The production branch.") var branch: String?
        @Option(help: "static or service.") var kind: String?
        @Option(help: "The directory inside the repository where the build runs.") var rootDir: String?
        @Option(help: "The shell command that builds the site (build type command).") var buildCommand: String?
        @Option(help: "The directory the build writes the site to.") var outputDir: String?
        @Option(help: "service: the command that starts the app on $PORT.") var startCommand: String?
        @Option(help: "service: the path polled until it answers 2xx before traffic switches.") var healthCheckPath: String?
        @Option(help: "service: seconds the replaced production version keeps running as a warm standby (0: none).")
        var standbyWindow: Double?
        @OptionGroup var build: BuildTypeOptions
        @Flag(help: "Print the project as JSON.") var json = false
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let update = ProjectUpdateRequest(
                name: name, repository: repository, productionBranch: branch, kind: kind, rootDir: rootDir, buildCommand: buildCommand,
                outputDir: outputDir, startCommand: startCommand, healthCheckPath: healthCheckPath, standbyWindow: standbyWindow,
                build: build.request
            )
            guard !update.isEmpty else { throw ValidationError("nothing to change: give at least one option") }
            let api = try client.makeClient()
            let reference = project
            let project = try await reportingErrors { try await api.updateProject(reference, update) }
            if json { return try Output.json(ProjectJSON(project)) }
            print("Updated project \(project.name) (id \(project.id)); build type \(project.buildType ?? "command")")
        }
    }

    /// The rows of `projects show` that describe the build type.
    static func buildTypeRows(_ project: ProjectInfo) -> [(String, String)] {
        let type = project.buildType ?? "command"
        var rows = [("build type", type)]
        switch type {
        case "dockerfile":
            let arguments = project.buildArgs ?? []
            rows += [
                ("dockerfile", project.dockerfilePath ?? "Dockerfile"), ("docker context", project.dockerContext ?? "."),
                ("build args", arguments.isEmpty ? "none" : arguments.joined(separator: ", ")),
            ]
        case "compose":
            rows += [
                ("compose file", project.composePath ?? "docker-compose.yml"), ("expose service", project.exposeService ?? "(not set)"),
                ("expose port", project.exposePort.map(String.init) ?? "(not set)"),
            ]
        default:
            break
        }
        return rows
    }
}
