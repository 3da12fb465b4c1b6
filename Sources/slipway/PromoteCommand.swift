import ArgumentParser
import Foundation
import SlipwayClient

/// `slipway promote ID`: a successful deployment (a preview too) becomes production, without a rebuild.
struct PromoteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "promote",
        abstract: "Make a successful deployment production, without rebuilding it.",
        discussion: """
            The new production deployment reuses the target's build, config and environment snapshot; clone and build
            are skipped. A promote also unpins production after a rollback.

            Examples:
              slipway promote 42
              slipway promote 42 --json
            """
    )

    @Argument(help: "The deployment to promote.") var id: Int64
    @Flag(help: "Print as JSON.") var json = false
    @OptionGroup var client: ClientOptions

    func run() async throws {
        let api = try client.makeClient()
        let result = try await reportingErrors { try await api.promote(id) }
        if json { return try Output.json(["deployment_id": result.deploymentId]) }
        print("\(result.message) New deployment: \(result.deploymentId.map(String.init) ?? "?")")
    }
}
