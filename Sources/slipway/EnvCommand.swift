import ArgumentParser
import Foundation
import SlipwayClient

/// `slipway env set|unset|list PROJECT`: a project's environment variables (production unless `--preview`).
struct EnvCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "env",
        abstract: "Manage a project's environment variables.",
        discussion: """
            Variables are per environment: production (the default) or preview (--preview). Secret values are
            encrypted at rest, read back as •••, and replaced by ••• in every log line. A deployment runs with the
            variables it was started with; set or unset, then deploy again.

            Examples:
              slipway env set hello API_URL=https://api.example.com
              slipway env set hello --secret API_TOKEN=s3cr3t
              slipway env set hello --preview API_URL=https://staging.example.com
              slipway env list hello
              slipway env unset hello API_URL
            """,
        subcommands: [EnvListCommand.self, EnvSetCommand.self, EnvUnsetCommand.self]
    )
}

/// `slipway env list PROJECT`: the variables of both environments (or one), secrets masked.
struct EnvListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List a project's environment variables (secrets show as •••).",
        discussion: "Examples:\n  slipway env list hello\n  slipway env list hello --preview --json"
    )

    @Argument(help: "The project's name or id.") var project: String
    @Flag(help: "Only the preview environment.") var preview = false
    @Flag(help: "Only the production environment.") var production = false
    @Flag(help: "Print as JSON: {\"production\": {\"KEY\": {\"value\": …, \"secret\": …}}, \"preview\": {…}}.") var json = false
    @OptionGroup var client: ClientOptions

    func run() async throws {
        let api = try client.makeClient()
        var environments = try await reportingErrors { try await api.environmentVariables(project: project) }
        if preview != production { environments = environments.filter { $0.key == (preview ? "preview" : "production") } }
        if json { return try Output.json(environments) }
        let rows = environments.sorted { $0.key > $1.key }.flatMap { environment, variables in
            variables.sorted { $0.key < $1.key }.map { [environment, $0.key, $0.value.secret ? "yes" : "", $0.value.value] }
        }
        if rows.isEmpty { return print("No environment variables.") }
        Output.table(["ENVIRONMENT", "NAME", "SECRET", "VALUE"], rows)
    }
}

/// `slipway env set PROJECT [--preview] [--secret] KEY=VALUE …`: sets variables, keeping the others.
struct EnvSetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set", abstract: "Set environment variables (KEY=VALUE …); the others are kept.",
        discussion: """
            Examples:
              slipway env set hello API_URL=https://api.example.com DEBUG=1
              slipway env set hello --secret --preview API_TOKEN=s3cr3t
            """
    )

    @Argument(help: "The project's name or id.") var project: String
    @Argument(help: "One or more KEY=VALUE.") var assignments: [String]
    @Flag(help: "Set them in the preview environment (default: production).") var preview = false
    @Flag(help: "Mark them secret: encrypted at rest, masked on read and in logs.") var secret = false
    @Flag(help: "Print the resulting variables as JSON.") var json = false
    @OptionGroup var client: ClientOptions

    func validate() throws {
        if assignments.isEmpty { throw ValidationError("give at least one KEY=VALUE") }
        for assignment in assignments where !assignment.contains("=") || assignment.hasPrefix("=") {
            throw ValidationError("'\(assignment)' is not KEY=VALUE")
        }
    }

    func run() async throws {
        let api = try client.makeClient()
        var changes: [String: EnvironmentVariableInfo?] = [:]
        for assignment in assignments {
            let parts = assignment.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            changes[String(parts[0])] = EnvironmentVariableInfo(value: parts.count > 1 ? String(parts[1]) : "", secret: secret)
        }
        let environment = preview ? "preview" : "production"
        let result = try await reportingErrors { try await api.updateEnvironmentVariables(project: project, environment: environment, changes) }
        if json { return try Output.json(result) }
        let names = changes.keys.sorted().joined(separator: ", ")
        print("Set \(names) in \(environment)\(secret ? " (secret)" : "") of \(project). Deploy again to use them.")
    }
}

/// `slipway env unset PROJECT [--preview] KEY …`: removes variables.
struct EnvUnsetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unset", abstract: "Remove environment variables.",
        discussion: "Examples:\n  slipway env unset hello API_URL\n  slipway env unset hello --preview API_TOKEN DEBUG"
    )

    @Argument(help: "The project's name or id.") var project: String
    @Argument(help: "One or more variable names.") var names: [String]
    @Flag(help: "Remove them from the preview environment (default: production).") var preview = false
    @Flag(help: "Print the resulting variables as JSON.") var json = false
    @OptionGroup var client: ClientOptions

    func validate() throws {
        if names.isEmpty { throw ValidationError("give at least one variable name") }
    }

    func run() async throws {
        let api = try client.makeClient()
        let environment = preview ? "preview" : "production"
        var changes: [String: EnvironmentVariableInfo?] = [:]
        for name in names { changes[name] = .some(nil) }
        let result = try await reportingErrors { try await api.updateEnvironmentVariables(project: project, environment: environment, changes) }
        if json { return try Output.json(result) }
        print("Removed \(names.joined(separator: ", ")) from \(environment) of \(project).")
    }
}
