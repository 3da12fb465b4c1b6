import ArgumentParser
import Foundation
import SlipwayClient

/// `slipway cancel ID`: stop a queued or running deployment (SIGTERM, then SIGKILL after a grace period).
struct CancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel", abstract: "Cancel a queued or running deployment.",
        discussion: "Example:\n  slipway cancel 42 --reason \"wrong branch\""
    )

    @Argument(help: "The deployment id.") var id: Int64
    @Option(help: "Why (shown on the deployment).") var reason: String?
    @Flag(help: "Print the deployment as JSON.") var json = false
    @OptionGroup var client: ClientOptions

    func run() async throws {
        let api = try client.makeClient()
        let result = try await reportingErrors { try await api.cancel(id, reason: reason) }
        if json { return try Output.json(DeploymentJSON(result.deployment)) }
        print("\(result.message) (deployment \(id) is \(result.deployment.state))")
    }
}

/// `slipway kill ID`: SIGKILL a deployment's processes at once.
struct KillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kill", abstract: "Kill a running deployment at once (SIGKILL).")

    @Argument(help: "The deployment id.") var id: Int64
    @Flag(help: "Print the deployment as JSON.") var json = false
    @OptionGroup var client: ClientOptions

    func run() async throws {
        let api = try client.makeClient()
        let result = try await reportingErrors { try await api.cancel(id, kill: true) }
        if json { return try Output.json(DeploymentJSON(result.deployment)) }
        print("\(result.message) (deployment \(id) is \(result.deployment.state))")
    }
}

/// `slipway rerun ID`: a new deployment of the same commit as a failed one.
struct RerunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rerun", abstract: "Rerun a failed deployment (a new deployment of the same commit).")

    @Argument(help: "The failed deployment's id.") var id: Int64
    @Flag(help: "Print as JSON.") var json = false
    @OptionGroup var client: ClientOptions

    func run() async throws {
        let api = try client.makeClient()
        let result = try await reportingErrors { try await api.rerun(id) }
        if json { return try Output.json(["deployment_id": result.deploymentId]) }
        print("\(result.message) New deployment: \(result.deploymentId.map(String.init) ?? "?")")
    }
}

/// `slipway rollback ID|PROJECT`: make an older build live again, without rebuilding.
struct RollbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Roll production back to an earlier successful deployment.",
        discussion: """
            With a deployment id, rolls back to it. With a project name, lists the candidates and asks which one
            (on a terminal), or takes the newest with --yes.

            Examples:
              slipway rollback 40
              slipway rollback hello-static
            """
    )

    @Argument(help: "A deployment id, or a project's name to choose among its candidates.") var target: String
    @Flag(help: "With a project: take the newest candidate without asking.") var yes = false
    @Flag(help: "Print as JSON.") var json = false
    @OptionGroup var client: ClientOptions

    func run() async throws {
        let api = try client.makeClient()
        let result = try await reportingErrors { () -> ActionResult in
            if let id = Int64(target) { return try await api.rollback(to: id) }
            let candidates = try await api.rollbackCandidates(project: target)
            guard !candidates.isEmpty else { throw ValidationError("\(target) has no deployment to roll back to") }
            var choice = candidates[0]
            if !yes {
                guard isatty(STDIN_FILENO) == 1 else { throw ValidationError("name a deployment id, or pass --yes for the newest candidate") }
                for (index, candidate) in candidates.enumerated() {
                    print(
                        "  \(index + 1)) deployment \(candidate.id)  \(candidate.commitId.map { String($0.prefix(7)) } ?? "-")  \(Output.age(candidate.createdAt))  \(candidate.description)"
                    )
                }
                print("Roll back to which one? [1] ", terminator: "")
                let answer = readLine()?.trimmingCharacters(in: .whitespaces) ?? ""
                guard let number = answer.isEmpty ? 1 : Int(answer), candidates.indices.contains(number - 1) else {
                    throw ValidationError("no such choice: \(answer)")
                }
                choice = candidates[number - 1]
            }
            return try await api.rollback(to: choice.id)
        }
        if json { return try Output.json(["deployment_id": result.deploymentId]) }
        print("\(result.message) New deployment: \(result.deploymentId.map(String.init) ?? "?")")
    }
}

/// `slipway rm ID`: delete a finished deployment.
struct RemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm", abstract: "Delete a finished deployment, its log and (when unused) its build.",
        discussion: "An aliased deployment (the latest of its branch) needs --force; the active production deployment cannot be deleted."
    )

    @Argument(help: "The deployment id.") var id: Int64
    @Flag(help: "Delete even when an alias points at it.") var force = false
    @OptionGroup var client: ClientOptions

    func run() async throws {
        let api = try client.makeClient()
        _ = try await reportingErrors { try await api.deleteDeployment(id, force: force) }
        print("Deleted deployment \(id)")
    }
}

/// `slipway queue`: what is running and what waits.
struct QueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "queue", abstract: "Show running and waiting deployments.")

    @Flag(help: "Print as JSON.") var json = false
    @OptionGroup var client: ClientOptions

    struct EntryJSON: Encodable {
        var deployment_id: Int64
        var project: String
        var state: String
        var position: Int?
        var git_branch: String
        var queued_at: String
        var started_at: String?
        var waiting_reason: String?
    }

    func run() async throws {
        let api = try client.makeClient()
        let queue = try await reportingErrors { try await api.queue() }
        if json {
            return try Output.json(
                queue.data.map {
                    EntryJSON(
                        deployment_id: $0.deploymentId, project: $0.projectName, state: $0.state, position: $0.position,
                        git_branch: $0.gitBranch, queued_at: $0.queuedAt, started_at: $0.startedAt,
                        waiting_reason: $0.waitingReason
                    )
                }
            )
        }
        if queue.data.isEmpty { return print("The queue is empty.") }
        Output.table(
            ["ID", "PROJECT", "STATE", "POSITION", "BRANCH", "QUEUED", "STAGE", "WAITING FOR"],
            queue.data.map {
                [
                    String($0.deploymentId), $0.projectName, $0.state, $0.position.map(String.init) ?? "-", $0.gitBranch,
                    Output.age($0.queuedAt), $0.activeStage ?? "-", $0.waitingReason ?? "-",
                ]
            }
        )
    }
}
