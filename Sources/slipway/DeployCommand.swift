import ArgumentParser
import Foundation
import SlipwayClient

/// `slipway deploy PROJECT`: queue a deployment and, by default on a terminal, follow it to the end.
struct DeployCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract: "Deploy a project's branch head (or a given commit).",
        discussion: """
            With --wait (the default on a terminal) the stages and the build log are shown live, then the URL;
            the exit status is 0 when the deployment went live and 1 when it failed or was canceled.

            Examples:
              slipway deploy hello-static
              slipway deploy hello-static --branch feature/login --no-wait
            """
    )

    @Argument(help: "The project's name or id.") var project: String
    @Option(help: "The branch to deploy (default: the production branch).") var branch: String?
    @Option(help: "The commit to deploy (default: the branch head).") var commit: String?
    @Flag(inversion: .prefixedNo, help: "Follow the deployment until it ends.") var wait: Bool?
    @Flag(help: "Print the deployment as JSON.") var json = false
    @OptionGroup var client: ClientOptions

    func run() async throws {
        let api = try client.makeClient()
        let deployment: DeploymentInfo
        do {
            let project = try await api.project(project)
            let result = try await api.deploy(projectIDs: [project.id], branch: branch, commit: commit)
            deployment = result.deployments[0]
        } catch {
            throw fail(error)
        }
        let follow = wait ?? (isatty(STDOUT_FILENO) == 1)
        guard follow else {
            if json {
                print(String(decoding: try JSONEncoder.pretty.encode(["id": deployment.id]), as: UTF8.self))
            } else {
                print("Queued deployment \(deployment.id) (#\(deployment.sequenceNumber)): \(deployment.url)")
            }
            return
        }
        if !json {
            print("Deployment \(deployment.id) queued (#\(deployment.sequenceNumber), \(deployment.environment), branch \(deployment.gitBranch))")
        }
        let final: DeploymentInfo
        do {
            var stage: String?
            final = try await api.waitForDeployment(deployment.id, pollInterval: .milliseconds(200)) { line in
                guard !json else { return }
                if line.stage != stage, let next = line.stage {
                    stage = next
                    print("── \(next)")
                }
                print(line.stream == "system" ? "   \(line.line)" : "   │ \(line.line)")
            }
        } catch {
            throw fail(error)
        }
        if json {
            print(String(decoding: try JSONEncoder.pretty.encode(["id": String(final.id), "state": final.state, "url": final.url]), as: UTF8.self))
        } else if final.state == "success" {
            print("✓ Live at \(final.aliases.first ?? final.url)\n  This deployment: \(final.url)")
        } else {
            print("✗ Deployment \(final.id) \(final.state)\(final.error.map { ": \($0)" } ?? "")")
        }
        if final.state != "success" { throw ExitCode.failure }
    }
}
