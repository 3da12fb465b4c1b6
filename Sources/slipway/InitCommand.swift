import ArgumentParser
import Foundation
import SlipwayClient

/// `slipway init`: creates a project from the git checkout the command runs in.
struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a project from the current git checkout.",
        discussion: """
            The repository is the checkout's `origin` URL (or its path when it has none), the production branch is
            the branch checked out now, the name is the directory's name. On a terminal it asks for the build
            command and the output directory unless they are given; --yes takes the defaults.

            Example:
              cd my-site && slipway init --build-command "npm run build" --output-dir dist
            """
    )

    @Option(help: "The project name (default: the directory's name as a DNS label).") var name: String?
    @Option(help: "The shell command that builds the site.") var buildCommand: String?
    @Option(help: "The directory the build writes the site to.") var outputDir: String?
    @Flag(help: "Ask nothing; take the defaults.") var yes = false
    @Flag(help: "Print the project as JSON.") var json = false
    @OptionGroup var client: ClientOptions

    func run() async throws {
        guard let checkout = GitDirectory.current() else { throw ValidationError("not inside a git checkout") }
        let interactive = !yes && isatty(STDIN_FILENO) == 1
        let projectName = name ?? Self.label(from: (checkout.root as NSString).lastPathComponent)
        let command = buildCommand ?? (interactive ? Self.ask("Build command (empty for none)", default: "") : "")
        let output = outputDir ?? (interactive ? Self.ask("Output directory", default: ".") : ".")
        let api = try client.makeClient()
        let project = try await reportingErrors {
            try await api.createProject(
                NewProjectRequest(
                    name: projectName, repository: checkout.repository, productionBranch: checkout.branch ?? "main",
                    buildCommand: command, outputDir: output
                )
            )
        }
        if json { return try Output.json(ProjectJSON(project)) }
        print("Created project \(project.name) from \(project.repository) (production branch \(project.productionBranch))")
        print("Deploy it with: slipway deploy \(project.name)")
    }

    /// A directory name as a DNS label: lower case, other characters to '-', at most 63.
    static func label(from name: String) -> String {
        let mapped = name.lowercased().map { $0.isLetter && $0.isASCII || $0.isNumber && $0.isASCII ? $0 : "-" }
        let collapsed = String(mapped).split(separator: "-", omittingEmptySubsequences: true).joined(separator: "-")
        return String(collapsed.prefix(63)).trimmingCharacters(in: CharacterSet(charactersIn: "-"))
    }

    static func ask(_ question: String, default value: String) -> String {
        print("\(question) [\(value)]: ", terminator: "")
        let answer = readLine()?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        return answer.isEmpty ? value : answer
    }
}
