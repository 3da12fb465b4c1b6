import ArgumentParser
import Foundation
import SlipwayClient

/// `slipway projects …`: manage projects.
struct ProjectsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "projects", abstract: "Manage projects.", subcommands: [Create.self]
    )

    /// `slipway projects create NAME --repository …`.
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a project from a git repository.",
            discussion: """
                Example:
                  slipway projects create hello-static --repository "$PWD/examples/hello-static" \\
                      --build-command "sh build.sh" --output-dir dist
                """
        )

        @Argument(help: "The project name: a DNS label (lower-case letters, digits, '-').") var name: String
        @Option(help: "The git URL or absolute path of the repository.") var repository: String
        @Option(help: "The production branch (default main).") var branch: String?
        @Option(help: "static (default) or service.") var kind: String?
        @Option(help: "The directory inside the repository where the build runs.") var rootDir: String?
        @Option(help: "The shell command that builds the site.") var buildCommand: String?
        @Option(help: "The directory the build writes the site to (default: the root dir).") var outputDir: String?
        @Flag(help: "Print the project as JSON.") var json = false
        @OptionGroup var client: ClientOptions

        func run() async throws {
            do {
                let project = try await client.makeClient().createProject(
                    NewProjectRequest(
                        name: name, repository: repository, productionBranch: branch, kind: kind, rootDir: rootDir,
                        buildCommand: buildCommand, outputDir: outputDir
                    )
                )
                if json {
                    print(try String(decoding: JSONEncoder.pretty.encode(ProjectJSON(project)), as: UTF8.self))
                } else {
                    print("Created project \(project.name) (id \(project.id)); production URL: \(project.url)")
                }
            } catch {
                throw fail(error)
            }
        }
    }
}

/// A project printed by `--json`.
struct ProjectJSON: Encodable {
    var id: Int64
    var name: String
    var repository: String
    var production_branch: String
    var url: String

    init(_ project: ProjectInfo) {
        id = project.id
        name = project.name
        repository = project.repository
        production_branch = project.productionBranch
        url = project.url
    }
}

extension JSONEncoder {
    static let pretty: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}
