import ArgumentParser
import Dispatch
import Foundation
import SlipwayClient

/// `slipway deploy [PROJECT]`: queue a deployment and, by default on a terminal, follow it to the end.
struct DeployCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract: "Deploy a project's branch head (or a given commit).",
        discussion: """
            Without PROJECT, the project whose repository is the current git checkout is deployed.
            With --wait (the default on a terminal) the stages and the build log are shown live, then the URL;
            the exit status is 0 when the deployment went live and 1 when it failed or was canceled.
            Ctrl-C while waiting asks whether to cancel the deployment.

            Examples:
              slipway deploy hello-static
              slipway deploy hello-static --branch feature/login --no-wait
            """
    )

    @Argument(help: "The project's name or id (default: the project of the current checkout).") var project: String?
    @Option(help: "The branch to deploy (default: the production branch).") var branch: String?
    @Option(help: "The commit to deploy (default: the branch head).") var commit: String?
    @Flag(inversion: .prefixedNo, help: "Follow the deployment until it ends.") var wait: Bool?
    @Flag(help: "Print the deployment as JSON.") var json = false
    @OptionGroup var client: ClientOptions

    func run() async throws {
        let api = try client.makeClient()
        let deployment = try await reportingErrors {
            let project = try await resolveProject(api)
            return try await api.deploy(projectIDs: [project.id], branch: branch, commit: commit).deployments[0]
        }
        guard wait ?? Output.isTerminal else {
            if json { return try Output.json(DeploymentJSON(deployment)) }
            print("Queued deployment \(deployment.id) (#\(deployment.sequenceNumber)): \(deployment.url)")
            return
        }
        if !json {
            print("Deployment \(deployment.id) queued (#\(deployment.sequenceNumber), \(deployment.environment), branch \(deployment.gitBranch))")
        }
        let interrupt = CancelOnInterrupt(api: api, deploymentID: deployment.id)
        let final = try await reportingErrors { try await follow(deployment.id, api: api) }
        interrupt.stop()
        if json {
            try Output.json(DeploymentJSON(final))
        } else if final.state == "success" {
            print(Output.paint("✓ Live at \(final.aliases.first ?? final.url)", code: "32"))
            print("  This deployment: \(final.url)")
        } else {
            print(Output.paint("✗ Deployment \(final.id) \(final.state)\(final.error.map { ": \($0)" } ?? "")", code: "31"))
        }
        if final.state != "success" { throw ExitCode.failure }
    }

    /// Streams the log, stage by stage, until the deployment ends.
    private func follow(_ id: Int64, api: SlipwayClient) async throws -> DeploymentInfo {
        var stage: String?
        return try await api.waitForDeployment(id, pollInterval: .milliseconds(200)) { line in
            guard !json else { return }
            if line.stage != stage, let next = line.stage {
                stage = next
                print(Output.paint("── \(next)", code: "1"))
            }
            print(line.stream == "system" ? "   \(line.line)" : "   │ \(line.line)")
        }
    }

    private func resolveProject(_ api: SlipwayClient) async throws -> ProjectInfo {
        if let project { return try await api.project(project) }
        guard let checkout = GitDirectory.current() else {
            throw ValidationError("name a project, or run this inside the git checkout of one")
        }
        let candidates = try await api.allProjects().filter { $0.repository == checkout.repository || $0.repository == checkout.root }
        guard candidates.count == 1 else {
            throw ValidationError(
                candidates.isEmpty
                    ? "no project uses \(checkout.repository); create one with `slipway init`" : "several projects use this checkout; name one"
            )
        }
        return candidates[0]
    }
}

/// While a deployment is followed, Ctrl-C asks whether to cancel it instead of leaving it running unseen.
final class CancelOnInterrupt: @unchecked Sendable {
    private let source: any DispatchSourceSignal

    init(api: SlipwayClient, deploymentID: Int64) {
        signal(SIGINT, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: DispatchQueue(label: "slipway.interrupt"))
        source.setEventHandler {
            print("\nCancel deployment \(deploymentID)? [y/N] ", terminator: "")
            fflush(nil)
            guard readLine()?.lowercased().hasPrefix("y") == true else {
                print("Still following deployment \(deploymentID); it keeps running if you quit.")
                return
            }
            // From a signal handler's dispatch queue into async code: the task is waited for right here, so it
            // neither outlives the handler nor runs unseen.
            let done = DispatchSemaphore(value: 0)
            Task {
                _ = try? await api.cancel(deploymentID)
                done.signal()
            }
            done.wait()
        }
        source.resume()
    }

    func stop() {
        source.cancel()
        signal(SIGINT, SIG_DFL)
    }
}
