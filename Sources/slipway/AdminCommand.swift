import ArgumentParser
import Foundation
import SlipwayClient

/// `slipway admin users list|create`, `slipway admin workspaces list|create|rename|delete` and
/// `slipway admin limits show|set`: what install administrators do.
struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin", abstract: "Install administration (install administrators only).",
        subcommands: [Users.self, Workspaces.self, AdminLimitsCommand.self]
    )

    /// `slipway admin users …`.
    struct Users: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "users", abstract: "List and create the install's users.", subcommands: [List.self, Create.self]
        )
    }

    struct UserJSON: Encodable {
        var id: Int64
        var login: String
        var email: String?
        var is_install_admin: Bool
        var created_at: String

        init(_ user: UserInfo) {
            id = user.id
            login = user.login
            email = user.email
            is_install_admin = user.isInstallAdmin
            created_at = user.createdAt
        }
    }

    /// `slipway admin users list`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every user of the install.")

        @Flag(help: "Print as JSON.") var json = false
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let api = try client.makeClient()
            let users = try await reportingErrors { try await api.users() }
            if json { return try Output.json(users.map(UserJSON.init)) }
            Output.table(
                ["ID", "LOGIN", "EMAIL", "ADMIN", "CREATED"],
                users.map { [String($0.id), $0.login, $0.email ?? "", $0.isInstallAdmin ? "yes" : "", Output.age($0.createdAt)] }
            )
        }
    }

    /// `slipway admin users create LOGIN`.
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a user (a member of no workspace until invited or made a workspace's owner).",
            discussion: """
                The password is read from standard input with --password-stdin, or asked for on the terminal (not echoed).
                Then make them a workspace's owner (`slipway admin workspaces create NAME --owner LOGIN`), or have an
                owner invite them (`slipway members invite LOGIN --role ROLE`).

                Example:
                  slipway admin users create ada@example.com --email ada@example.com
                """
        )

        @Argument(help: "The new user's login (a name or an email address).") var login: String
        @Option(help: "The user's email address.") var email: String?
        @Flag(help: "Read the new user's password from the first line of standard input.") var passwordStdin = false
        @Flag(help: "Print as JSON.") var json = false
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let api = try client.makeClient()
            let password = try PasswordInput.read(prompt: "Password for \(login): ", variable: nil, fromStandardInput: passwordStdin)
            let user = try await reportingErrors { try await api.createUser(login: login, password: password, email: email) }
            if json { return try Output.json(UserJSON(user)) }
            print("Created user \(user.id) (\(user.login))")
        }
    }

    /// `slipway admin workspaces …`.
    struct Workspaces: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "workspaces", abstract: "List, create, rename and delete the install's workspaces.",
            subcommands: [WorkspacesCommand.List.self, WorkspacesCommand.Create.self, Rename.self, Delete.self]
        )
    }

    /// `slipway admin workspaces rename WORKSPACE NEW-NAME`.
    struct Rename: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Rename a workspace.")

        @Argument(help: "The workspace's name or id.") var workspace: String
        @Argument(help: "Its new name: lower-case letters, digits and dashes, beginning with a letter.") var name: String
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let api = try client.makeClient()
            let (old, renamed) = try await reportingErrors {
                let old = try await InstallWorkspace.resolve(workspace, with: api)
                return (old, try await api.renameWorkspace(old.id, to: name))
            }
            print("Renamed workspace \(old.name) (id \(renamed.id)) to \(renamed.name).")
        }
    }

    /// `slipway admin workspaces delete WORKSPACE`.
    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a workspace without projects: its memberships, tokens and invitations go, its sessions end."
        )

        @Argument(help: "The workspace's name or id.") var workspace: String
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let api = try client.makeClient()
            let result = try await reportingErrors {
                try await api.deleteWorkspace(try await InstallWorkspace.resolve(workspace, with: api).id)
            }
            print(result.message)
        }
    }
}

/// A workspace of the install named on the command line by an install administrator: its id or its name.
enum InstallWorkspace {
    /// The workspace `reference` names among every workspace of the install; a `CommandError` when it names none.
    static func resolve(_ reference: String, with api: SlipwayClient) async throws -> WorkspaceInfo {
        let text = try WorkspaceReference.validated(reference, source: "the workspace")
        guard let workspace = try await api.workspaces().first(where: { WorkspaceReference.names(text, $0) }) else {
            throw CommandError("no workspace '\(reference)' on this install: `slipway admin workspaces list` shows them")
        }
        return workspace
    }
}
