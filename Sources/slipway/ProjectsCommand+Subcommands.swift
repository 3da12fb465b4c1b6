import ArgumentParser
import Foundation
import SlipwayClient

extension ProjectsCommand {
    /// `slipway projects create NAME --repository …`.
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a project from a git repository.",
            discussion: """
                Example:
                  slipway projects create hello-static --repository "$PWD" --root-dir examples/hello-static \\
                      --build-command "sh build.sh" --output-dir dist
                  slipway projects create api --repository https://git.example.com/api.git --kind service \\
                      --build-type dockerfile --dockerfile Dockerfile --build-args NODE_ENV
                """
        )

        @Argument(help: "The project name: a DNS label (lower-case letters, digits, '-').") var name: String
        @Option(help: "The git URL or absolute path of the repository.") var repository: String
        @Option(help: "The production branch (default main).") var branch: String?
        @Option(help: "static (default) or service.") var kind: String?
        @Option(help: "The directory inside the repository where the build runs.") var rootDir: String?
        @Option(help: "The shell command that builds the site.") var buildCommand: String?
        @Option(help: "The directory the build writes the site to (default: the root dir).") var outputDir: String?
        @Option(help: "service: the command that starts the app on $PORT (default: the Procfile's web: line).") var startCommand: String?
        @Option(help: "service: the path polled until it answers 2xx before traffic switches (default /).") var healthCheckPath: String?
        @Option(help: "service: seconds the replaced production version keeps running as a warm standby (default 600; 0: none).")
        var standbyWindow: Double?
        @OptionGroup var build: BuildTypeOptions
        @Flag(help: "Print the project as JSON.") var json = false
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let api = try client.makeClient()
            let project = try await reportingErrors {
                try await api.createProject(
                    NewProjectRequest(
                        name: name, repository: repository, productionBranch: branch, kind: kind, rootDir: rootDir,
                        buildCommand: buildCommand, outputDir: outputDir, startCommand: startCommand, healthCheckPath: healthCheckPath,
                        standbyWindow: standbyWindow, build: build.request
                    )
                )
            }
            if json {
                try Output.json(ProjectJSON(project))
            } else {
                print("Created project \(project.name) (id \(project.id)); production URL: \(project.url)")
            }
        }
    }

    /// `slipway projects list`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the workspace's projects.")

        @Flag(help: "Print as JSON.") var json = false
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let api = try client.makeClient()
            let projects = try await reportingErrors { try await api.allProjects() }
            if json { return try Output.json(projects.map(ProjectJSON.init)) }
            Output.table(
                ["ID", "NAME", "BRANCH", "REPOSITORY", "URL"],
                projects.map { [String($0.id), $0.name, $0.productionBranch, $0.repository, $0.url] }
            )
        }
    }

    /// `slipway projects show PROJECT`.
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a project's settings.")

        @Argument(help: "The project's name or id.") var project: String
        @Flag(help: "Print as JSON.") var json = false
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let api = try client.makeClient()
            let reference = project
            let project = try await reportingErrors { try await api.project(reference) }
            if json { return try Output.json(ProjectJSON(project)) }
            var rows: [(String, String)] = [
                ("id", String(project.id)), ("name", project.name), ("repository", project.repository),
                ("production branch", project.productionBranch), ("kind", project.kind), ("root dir", project.rootDir),
            ]
            rows += ProjectsCommand.buildTypeRows(project)
            rows += [
                ("build command", project.buildCommand), ("output dir", project.outputDir),
                ("production deployment", project.productionDeploymentId.map(String.init) ?? "none"), ("url", project.url),
            ]
            if project.kind == "service" {
                rows += [
                    ("start command", project.startCommand.flatMap { $0.isEmpty ? nil : $0 } ?? "(Procfile web:)"),
                    ("port", project.port.map(String.init) ?? "assigned"), ("health check", project.healthCheckPath ?? "/"),
                    ("standby window", project.standbyWindow.map { $0 == $0.rounded() ? "\(Int($0)) s" : "\($0) s" } ?? "600 s"),
                ]
                for process in project.services?.processes ?? [] {
                    rows.append(
                        ("process", "deployment \(process.deploymentId): \(process.state) on port \(process.port), \(process.restarts) restarts"))
                }
            }
            for (key, value) in rows { print(key.padding(toLength: 22, withPad: " ", startingAt: 0) + value) }
        }
    }

    /// `slipway projects delete PROJECT`.
    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a project with all its deployments, builds and logs.",
            discussion: "Asks for confirmation on a terminal; --yes skips the question (required in scripts)."
        )

        @Argument(help: "The project's name or id.") var project: String
        @Flag(help: "Do not ask for confirmation.") var yes = false
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let api = try client.makeClient()
            if !yes {
                guard isatty(STDIN_FILENO) == 1 else { throw ValidationError("pass --yes to delete without a question") }
                print("Delete project \(project) with all its deployments? [y/N] ", terminator: "")
                guard readLine()?.lowercased().hasPrefix("y") == true else { throw ExitCode.failure }
            }
            _ = try await reportingErrors { try await api.deleteProject(project) }
            print("Deleted project \(project)")
        }
    }
}
