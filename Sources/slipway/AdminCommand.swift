import ArgumentParser
import Foundation
import SlipwayClient

/// `slipway admin users list|create`: what install administrators do.
struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin", abstract: "Install administration (install administrators only).", subcommands: [Users.self]
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
            abstract: "Create a user in your workspace.",
            discussion: """
                The password is read from standard input with --password-stdin, or asked for on the terminal (not echoed).

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
}
