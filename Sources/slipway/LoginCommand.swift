import ArgumentParser
import Foundation
import SlipwayClient

/// `slipway login`: logs in with a login and password (a session) or checks a token, and saves the URL and the token
/// for later commands.
struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Log in (or save an API token) for later commands.",
        discussion: """
            With --login, the password is read from SLIPWAY_PASSWORD, from standard input with --password-stdin, or
            asked for on the terminal (not echoed); the session token the server answers is saved. Without it, an API
            token is checked against the server and saved. Either goes to ~/.config/slipway/config.json (mode 0600).
            SLIPWAY_URL and SLIPWAY_TOKEN, when set, win over what is saved.

            Examples:
              slipway login --url http://localhost:8080 --login admin
              echo "$PASSWORD" | slipway login --login ada@example.com --password-stdin
              slipway login --url http://localhost:8080 --token slw_…
              slipway login            # asks for the token
            """
    )

    @Option(help: "The Slipway API URL (default http://localhost:8080).") var url: String = "http://localhost:8080"
    @Option(help: "Your login (a name or an email address): log in with a password instead of a token.") var login: String?
    @Flag(help: "Read the password from the first line of standard input.") var passwordStdin = false
    @Option(help: "The API token (asked for when neither it nor --login is given).") var token: String?

    func run() async throws {
        if let login {
            guard token == nil else { throw ValidationError("pass either --login or --token, not both") }
            return try await logIn(login)
        }
        var secret = token
        if secret == nil {
            guard isatty(STDIN_FILENO) == 1 else { throw ValidationError("pass --token (no terminal to ask on)") }
            print("API token: ", terminator: "")
            secret = readLine()?.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard let secret, !secret.isEmpty else { throw ValidationError("a token is required") }
        let me = try await reportingErrors {
            try await SlipwayClient(
                baseURL: url, token: secret, timeout: try ClientOptions.requestTimeout(), httpClient: SlipwayClient.failingFastHTTPClient
            ).me()
        }
        print("Logged in to \(url) as \(me.user.name) (\(WorkspaceText.describe(me.workspace)); scopes \(me.scopes.joined(separator: ", ")))")
        try await save(CLIConfig(url: url, token: secret))
    }

    /// Logs in with a password and saves the session token.
    private func logIn(_ login: String) async throws {
        let password = try PasswordInput.read(prompt: "Password for \(login): ", variable: "SLIPWAY_PASSWORD", fromStandardInput: passwordStdin)
        let client = SlipwayClient(
            baseURL: url, token: "", timeout: try ClientOptions.requestTimeout(), httpClient: SlipwayClient.failingFastHTTPClient)
        let session = try await reportingErrors {
            do {
                return try await client.logIn(login: login, password: password)
            } catch let error as ClientError where error.status == 401 {
                // Not a token problem: say what the server said ("wrong login or password"), without the token advice.
                throw CommandError(error.description)
            }
        }
        print("Logged in to \(url) as \(session.user.login) (\(WorkspaceText.describe(session.workspace)); session expires \(session.expiresAt))")
        try await save(CLIConfig(url: url, token: session.token))
    }

    /// Saves the new login, keeping the workspace `slipway workspaces switch` chose before when it is on the same
    /// server and the new login is a member there; otherwise commands act in the new login's default workspace.
    private func save(_ config: CLIConfig) async throws {
        var config = config
        if let previous = CLIConfig.load(), previous.url == config.url, let chosen = previous.workspace {
            let api = SlipwayClient(
                baseURL: config.url, token: config.token, timeout: try ClientOptions.requestTimeout(), httpClient: SlipwayClient.failingFastHTTPClient
            )
            if let me = try? await WorkspaceChoice.check(chosen, with: api), let workspace = me.workspace {
                config.workspace = chosen
                print("Commands act in \(WorkspaceText.describe(workspace)), as chosen before with `slipway workspaces switch`.")
            }
        }
        try config.save()
        print("Saved to \(CLIConfig.path)")
    }
}

/// `slipway whoami`: who the current token is.
struct WhoamiCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "whoami", abstract: "Show the user, workspace and scopes of the current token.")

    @Flag(help: "Print as JSON.") var json = false
    @OptionGroup var client: ClientOptions

    func run() async throws {
        let api = try client.makeClient()
        let me = try await reportingErrors { try await api.me() }
        if json {
            try Output.json(
                [
                    "url": api.baseURL, "user": me.user.name, "workspace": me.workspace?.name ?? "", "role": me.role ?? "",
                    "scopes": me.scopes.joined(separator: ","), "cloudflare_account_id": me.workspace?.cloudflareAccountId ?? "",
                ]
            )
        } else {
            if me.workspace == nil {
                print("\(me.user.name) on \(api.baseURL), in \(WorkspaceText.describe(nil))")
            } else {
                print("\(me.user.name) in \(WorkspaceText.describe(me.workspace)) on \(api.baseURL)")
            }
            print("scopes: \(me.scopes.joined(separator: ", "))")
        }
    }
}

/// How the CLI names the workspace a caller acts in.
enum WorkspaceText {
    static func describe(_ workspace: MeInfo.Workspace?) -> String {
        guard let workspace else { return "no workspace yet: accept an invitation with `slipway invites accept CODE`" }
        return "workspace \(workspace.name)" + (workspace.role.map { " as \($0)" } ?? "")
    }
}
