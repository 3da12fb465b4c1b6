import ArgumentParser
import Foundation
import SlipwayClient

/// `slipway admin limits show|set`: the install-wide limits (docs/tenancy.md).
struct AdminLimitsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "limits", abstract: "Show and set the limits that hold for every workspace.", subcommands: [Show.self, Set.self]
    )

    /// The limits, one per line: name, what is set, what applies where nothing is.
    static func print(_ info: InstallLimitsInfo) {
        func text(_ value: Int?) -> String { value.map(String.init) ?? "-" }
        func row(_ name: String, _ value: KeyPath<InstallLimitsValues, Int?>, noDefault: String) -> [String] {
            [name, text(info.limits[keyPath: value]), info.defaults[keyPath: value].map(String.init) ?? noDefault]
        }
        Output.table(
            ["LIMIT", "SET", "DEFAULT"],
            [
                row("projects-per-workspace", \.projectsPerWorkspace, noDefault: "no limit"),
                row("queued-deployments-per-workspace", \.queuedDeploymentsPerWorkspace, noDefault: "-"),
                row("workspace-workers", \.workspaceWorkers, noDefault: "-"),
            ]
        )
    }

    /// `slipway admin limits show`.
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the limits set, and the defaults where none is.")

        @Flag(help: "Print as JSON.") var json = false
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let api = try client.makeClient()
            let info = try await reportingErrors { try await api.installLimits() }
            if json { try Output.json(LimitsJSON(info)) } else { AdminLimitsCommand.print(info) }
        }
    }

    /// The limits as `--json` prints them: the API's names, null where not set, and the defaults.
    struct LimitsJSON: Encodable {
        var projects_per_workspace: Int?
        var queued_deployments_per_workspace: Int?
        var workspace_workers: Int?
        var defaults: [String: Int]

        init(_ info: InstallLimitsInfo) {
            projects_per_workspace = info.limits.projectsPerWorkspace
            queued_deployments_per_workspace = info.limits.queuedDeploymentsPerWorkspace
            workspace_workers = info.limits.workspaceWorkers
            var defaults: [String: Int] = [:]
            defaults["queued_deployments_per_workspace"] = info.defaults.queuedDeploymentsPerWorkspace
            defaults["workspace_workers"] = info.defaults.workspaceWorkers
            self.defaults = defaults
        }

        enum CodingKeys: String, CodingKey {
            case projects_per_workspace, queued_deployments_per_workspace, workspace_workers, defaults
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(projects_per_workspace, forKey: .projects_per_workspace)
            try container.encode(queued_deployments_per_workspace, forKey: .queued_deployments_per_workspace)
            try container.encode(workspace_workers, forKey: .workspace_workers)
            try container.encode(defaults, forKey: .defaults)
        }
    }

    /// `slipway admin limits set [--projects-per-workspace N|none] …`: changes the limits named, keeps the others.
    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change the limits named (a whole number, or 'none' to unset); the others stay as they are.")

        @Option(help: "The most projects one workspace may have (or 'none').") var projectsPerWorkspace: Limit?
        @Option(help: "The most deployments one workspace may have waiting (or 'none': --queue-cap).")
        var queuedDeploymentsPerWorkspace: Limit?
        @Option(help: "The most workers one workspace may hold at once (or 'none': --workspace-workers).") var workspaceWorkers: Limit?
        @OptionGroup var client: ClientOptions

        func validate() throws {
            if projectsPerWorkspace == nil && queuedDeploymentsPerWorkspace == nil && workspaceWorkers == nil {
                throw ValidationError("name at least one limit to set, e.g. --projects-per-workspace 20")
            }
        }

        func run() async throws {
            let api = try client.makeClient()
            let info = try await reportingErrors {
                var limits = try await api.installLimits().limits
                if let projectsPerWorkspace { limits.projectsPerWorkspace = projectsPerWorkspace.value }
                if let queuedDeploymentsPerWorkspace { limits.queuedDeploymentsPerWorkspace = queuedDeploymentsPerWorkspace.value }
                if let workspaceWorkers { limits.workspaceWorkers = workspaceWorkers.value }
                return try await api.setInstallLimits(limits)
            }
            AdminLimitsCommand.print(info)
        }
    }

    /// A limit given on the command line: a whole number, or `none`.
    struct Limit: ExpressibleByArgument {
        var value: Int?

        init?(argument: String) {
            if argument.lowercased() == "none" {
                value = nil
            } else if let number = Int(argument) {
                value = number
            } else {
                return nil
            }
        }
    }
}
