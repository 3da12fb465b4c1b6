import ArgumentParser
import Foundation
import SlipwayClient

/// `slipway ls [PROJECT]`: the latest deployments as a table.
struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "List deployments, newest first.",
        discussion: """
            Columns: id, state, environment, branch, commit, age, duration, URL. Without PROJECT the deployments of
            every project are listed.

            Examples:
              slipway ls hello-static
              slipway ls --limit 50 --json
            """
    )

    @Argument(help: "The project's name or id (default: every project).") var project: String?
    @Option(help: "How many deployments to show (1–100).") var limit: Int = 20
    @Flag(help: "Print as JSON.") var json = false
    @OptionGroup var client: ClientOptions

    func validate() throws {
        guard (1...100).contains(limit) else { throw ValidationError("--limit must be 1 to 100") }
    }

    func run() async throws {
        let api = try client.makeClient()
        let deployments = try await reportingErrors { () -> [DeploymentInfo] in
            if let project { return try await api.deployments(project: project, perPage: limit).data }
            var all: [DeploymentInfo] = []
            for project in try await api.allProjects() {
                all += try await api.deployments(project: String(project.id), perPage: limit).data
            }
            return Array(all.sorted { $0.id > $1.id }.prefix(limit))
        }
        if json { return try Output.json(deployments.map(DeploymentJSON.init)) }
        if deployments.isEmpty { return print("No deployments yet.") }
        Output.table(
            ["ID", "STATE", "ENVIRONMENT", "BRANCH", "COMMIT", "AGE", "DURATION", "URL"],
            deployments.map {
                [
                    String($0.id), $0.state + ($0.isActive ? " ●" : ""), $0.environment, $0.gitBranch,
                    $0.commitId.map { String($0.prefix(7)) } ?? "-", Output.age($0.createdAt), Output.duration($0.duration),
                    $0.aliases.first ?? $0.url,
                ]
            },
            colors: [(1, Output.state)]
        )
    }
}

/// `slipway show ID`: one deployment with its stages.
struct ShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one deployment with its stages.")

    @Argument(help: "The deployment id.") var id: Int64
    @Flag(help: "Print as JSON.") var json = false
    @OptionGroup var client: ClientOptions

    func run() async throws {
        let api = try client.makeClient()
        let deployment = try await reportingErrors { try await api.deployment(id) }
        if json { return try Output.json(DeploymentJSON(deployment)) }
        print(
            "Deployment \(deployment.id) (#\(deployment.sequenceNumber)) — \(Output.state(deployment.state))\(deployment.isActive ? " (active production)" : "")"
        )
        print("  \(deployment.environment), \(deployment.trigger), branch \(deployment.gitBranch), commit \(deployment.commitId ?? "-")")
        if let message = deployment.commitMessage { print("  \(message)") }
        print("  created \(Output.age(deployment.createdAt)), took \(Output.duration(deployment.duration))")
        print("  url: \(deployment.url)")
        for alias in deployment.aliases { print("  alias: \(alias)") }
        if let error = deployment.error { print("  error: \(error)") }
        print("Stages:")
        for stage in deployment.stages { print("  \(stage.name.padding(toLength: 14, withPad: " ", startingAt: 0)) \(Output.state(stage.status))") }
    }
}

/// `slipway logs ID [--follow]`: a deployment's log.
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs", abstract: "Print a deployment's log; --follow keeps printing until it ends.",
        discussion: "Example:\n  slipway logs 42 --follow"
    )

    @Argument(help: "The deployment id.") var id: Int64
    @Flag(name: .shortAndLong, help: "Keep printing new lines until the deployment ends.") var follow = false
    @Flag(help: "Print each line as a JSON object.") var json = false
    @OptionGroup var client: ClientOptions

    func run() async throws {
        let api = try client.makeClient()
        func show(_ line: LogPageInfo.Line) {
            if json {
                let record = ["ts": line.ts, "stream": line.stream, "stage": line.stage ?? "", "line": line.line]
                let data = (try? JSONSerialization.data(withJSONObject: record, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
                print(String(decoding: data, as: UTF8.self))
            } else {
                print(line.line)
            }
        }
        try await reportingErrors {
            if follow {
                _ = try await api.waitForDeployment(id, pollInterval: .milliseconds(200)) { show($0) }
            } else {
                var offset: Int64 = 0
                while true {
                    let page = try await api.logs(id, after: offset)
                    if page.data.isEmpty { break }
                    page.data.forEach(show)
                    offset = page.nextOffset
                }
            }
        }
    }
}
