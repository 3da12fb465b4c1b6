import ArgumentParser
import Foundation
import SlipwayClient

/// `slipway login`: checks a token against a server and saves both for later commands.
struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Save the API URL and token that later commands use.",
        discussion: """
            The token is checked against the server, then saved to ~/.config/slipway/config.json (mode 0600).
            SLIPWAY_URL and SLIPWAY_TOKEN, when set, win over what is saved.

            Examples:
              slipway login --url http://localhost:8080 --token slw_…
              slipway login            # asks for the token
            """
    )

    @Option(help: "The Slipway API URL (default http://localhost:8080).") var url: String = "http://localhost:8080"
    @Option(help: "The API token (asked for when not given).") var token: String?

    func run() async throws {
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
        try CLIConfig(url: url, token: secret).save()
        print("Logged in to \(url) as \(me.user.name) (workspace \(me.workspace.name); scopes \(me.scopes.joined(separator: ", ")))")
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
                    "url": api.baseURL, "user": me.user.name, "workspace": me.workspace.name,
                    "scopes": me.scopes.joined(separator: ","), "cloudflare_account_id": me.workspace.cloudflareAccountId,
                ]
            )
        } else {
            print("\(me.user.name) in workspace \(me.workspace.name) on \(api.baseURL)")
            print("scopes: \(me.scopes.joined(separator: ", "))")
        }
    }
}
