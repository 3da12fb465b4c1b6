import ArgumentParser
import Foundation
import SlipwayClient

/// `slipway workspaces list|switch|create`: the workspaces of the current user, and which one commands act in.
struct WorkspacesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workspaces",
        abstract: "List your workspaces and choose the one commands act in.",
        discussion: """
            Every command acts in one workspace: --workspace NAME, else SLIPWAY_WORKSPACE, else the one
            `slipway workspaces switch` saved with your login, else your default one (the first you joined).
            """,
        subcommands: [List.self, Switch.self, Create.self]
    )

    struct WorkspaceJSON: Encodable {
        var id: Int64
        var uid: String
        var name: String
        var role: String?
        var created_at: String
        var current: Bool

        init(_ workspace: WorkspaceInfo, current: Bool) {
            id = workspace.id
            uid = workspace.uid
            name = workspace.name
            role = workspace.role
            created_at = workspace.createdAt
            self.current = current
        }
    }

    /// `slipway workspaces list` (also `slipway admin workspaces list`).
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List your workspaces (every one of the install for an install administrator) and where commands act."
        )

        @Flag(help: "Print as JSON.") var json = false
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let chosen = try client.makeClient()
            // The list and the default workspace do not depend on the chosen one, which may no longer be the caller's.
            let api = chosen.acting(in: nil)
            let (workspaces, currentID) = try await reportingErrors {
                let workspaces = try await api.workspaces()
                guard let reference = chosen.workspace else { return (workspaces, try await api.me().workspace?.id) }
                return (workspaces, workspaces.first { WorkspaceReference.names(reference, $0) && $0.role != nil }?.id)
            }
            if let reference = chosen.workspace, currentID == nil {
                ErrorMessage.print("the chosen workspace '\(reference)' is not one of yours: choose one with `slipway workspaces switch NAME`")
            }
            if json { return try Output.json(workspaces.map { WorkspaceJSON($0, current: $0.id == currentID) }) }
            guard !workspaces.isEmpty else {
                return print("You are a member of no workspace yet: accept an invitation with `slipway invites accept CODE`.")
            }
            Output.table(
                ["ID", "NAME", "ROLE", "CREATED", ""],
                workspaces.map { [String($0.id), $0.name, $0.role ?? "-", Output.age($0.createdAt), $0.id == currentID ? "(current)" : ""] }
            )
        }
    }

    /// `slipway workspaces switch NAME-OR-ID` and `slipway workspaces switch --default`.
    struct Switch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Choose the workspace later commands act in (saved with your login).",
            discussion: """
                Checks that you are a member there, then saves the choice next to the login in
                ~/.config/slipway/config.json; every later command made with that login sends it. --workspace and
                SLIPWAY_WORKSPACE still win for one command. --default goes back to your default workspace.

                Examples:
                  slipway workspaces switch acme
                  slipway workspaces switch --default
                """
        )

        @Argument(help: "The workspace's name or id.") var workspace: String?
        @Flag(name: .customLong("default"), help: "Go back to your default workspace.") var backToDefault = false

        func validate() throws {
            guard (workspace != nil) != backToDefault else { throw ValidationError("name a workspace, or pass --default (not both)") }
        }

        func run() async throws {
            guard var config = CLIConfig.load() else {
                throw CommandError(
                    "no saved login to attach the choice to: run `slipway login` first; for a single command use --workspace or SLIPWAY_WORKSPACE"
                )
            }
            let api = SlipwayClient(
                baseURL: config.url, token: config.token, timeout: try ClientOptions.requestTimeout(), httpClient: SlipwayClient.failingFastHTTPClient
            )
            if let workspace {
                let reference = try WorkspaceReference.validated(workspace, source: "the workspace")
                let me = try await reportingErrors { try await WorkspaceChoice.check(reference, with: api) }
                guard let chosen = me.workspace else { throw CommandError("the server named no workspace for '\(reference)'") }
                config.workspace = String(chosen.id)
                try config.save()
                print("Commands now act in \(WorkspaceText.describe(chosen)) (saved in \(CLIConfig.path)).")
            } else {
                config.workspace = nil
                try config.save()
                let me = try await reportingErrors { try await api.me() }
                print("Commands now act in your default workspace: \(WorkspaceText.describe(me.workspace)).")
            }
            WorkspaceChoice.warnAboutOverrides(of: config)
        }
    }

    /// `slipway workspaces create NAME` (also `slipway admin workspaces create`).
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a workspace (install administrators only).",
            discussion: """
                Its owner is the user --owner names (they can then invite others), else you.

                Example:
                  slipway admin workspaces create acme --owner ada
                """
        )

        @Argument(help: "The workspace's name: lower-case letters, digits and dashes, beginning with a letter.") var name: String
        @Option(help: "The login of its owner (default: you).") var owner: String?
        @Flag(help: "Print as JSON.") var json = false
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let api = try client.makeClient()
            let created = try await reportingErrors { try await api.createWorkspace(name: name, ownerLogin: owner) }
            if json { return try Output.json(WorkspaceJSON(created.workspace, current: false)) }
            print("Created workspace \(created.workspace.name) (id \(created.workspace.id)), owned by \(created.owner.login).")
        }
    }
}

/// Choosing the workspace commands act in.
enum WorkspaceChoice {
    /// The caller as they act in `reference`: `GET /api/v1/me` sent with it. Not a member there: a `CommandError`
    /// that says so (the server answers 404, the same as for a workspace that does not exist).
    static func check(_ reference: String, with api: SlipwayClient) async throws -> MeInfo {
        do {
            return try await api.acting(in: reference).me()
        } catch let error as ClientError where error.status == 404 {
            throw CommandError(
                "you are not a member of a workspace '\(reference)' on \(api.baseURL) (or there is none): `slipway workspaces list` shows yours"
            )
        }
    }

    /// Says on stderr what makes a saved choice not apply: a token or workspace given by the environment.
    static func warnAboutOverrides(of config: CLIConfig) {
        let environment = ProcessInfo.processInfo.environment
        if let token = environment["SLIPWAY_TOKEN"], !token.isEmpty, token != config.token {
            FileHandle.standardError.write(
                Data("note: SLIPWAY_TOKEN is set to another token: the saved choice applies only to the saved login\n".utf8))
        }
        if let workspace = environment["SLIPWAY_WORKSPACE"], !workspace.isEmpty {
            FileHandle.standardError.write(Data("note: SLIPWAY_WORKSPACE ('\(workspace)') wins over the saved choice while it is set\n".utf8))
        }
    }
}
