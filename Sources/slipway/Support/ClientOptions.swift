import ArgumentParser
import Foundation
import SlipwayClient

/// Where the API is and which token to use: `--url`/`--token`, then `SLIPWAY_URL`/`SLIPWAY_TOKEN`, then what
/// `slipway login` saved, then (for a server started in this directory) `./.slipway/admin-token`. The workspace a
/// command acts in: `--workspace`, then `SLIPWAY_WORKSPACE`, then the one `slipway workspaces switch` saved with the
/// login (only while that login's token is the one in use), else the token's default workspace.
struct ClientOptions: ParsableArguments {
    @Option(help: "The Slipway API URL (default: $SLIPWAY_URL, the saved login, or http://localhost:8080).") var url: String?
    @Option(help: "The API token (default: $SLIPWAY_TOKEN, the saved login, or ./.slipway/admin-token).") var token: String?
    @Option(help: "The workspace to act in, by name or id (default: $SLIPWAY_WORKSPACE, the `slipway workspaces switch` choice, or your default).")
    var workspace: String?

    func makeClient() throws -> SlipwayClient {
        let environment = ProcessInfo.processInfo.environment
        let saved = CLIConfig.load()
        let baseURL = url ?? environment["SLIPWAY_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? saved?.url ?? "http://localhost:8080"
        let dataDir = environment["SLIPWAY_DATA_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "./.slipway"
        let localToken = try? String(contentsOfFile: dataDir + "/admin-token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let token = token ?? environment["SLIPWAY_TOKEN"].flatMap({ $0.isEmpty ? nil : $0 }) ?? saved?.token ?? localToken, !token.isEmpty
        else {
            throw CommandError(
                """
                no API token: pass --token, set SLIPWAY_TOKEN, or run `slipway login`.
                  The first `slipway serve` on an empty data directory prints an admin token and saves it to <data-dir>/admin-token;
                  run in the directory the server was started in, slipway reads it by itself (it looked for \(dataDir)/admin-token).
                """
            )
        }
        return SlipwayClient(
            baseURL: baseURL, token: token, workspace: try chosenWorkspace(token: token, saved: saved), timeout: try Self.requestTimeout(),
            httpClient: SlipwayClient.failingFastHTTPClient
        )
    }

    /// The workspace to act in: `--workspace`, `SLIPWAY_WORKSPACE`, then the saved choice when `token` is the saved
    /// login's (a choice made for one login means nothing to another token); nil: the token's default workspace.
    func chosenWorkspace(token: String, saved: CLIConfig?) throws -> String? {
        if let workspace { return try WorkspaceReference.validated(workspace, source: "--workspace") }
        if let variable = ProcessInfo.processInfo.environment["SLIPWAY_WORKSPACE"], !variable.isEmpty {
            return try WorkspaceReference.validated(variable, source: "SLIPWAY_WORKSPACE")
        }
        guard let saved, saved.token == token, let chosen = saved.workspace else { return nil }
        return try WorkspaceReference.validated(chosen, source: "the workspace saved in \(CLIConfig.path)")
    }

    /// `SLIPWAY_TIMEOUT`: the longest one request may take, in seconds (default 60).
    static func requestTimeout() throws -> Duration {
        guard let text = ProcessInfo.processInfo.environment["SLIPWAY_TIMEOUT"], !text.isEmpty else { return .seconds(60) }
        guard let seconds = Int(text), seconds >= 1 else {
            throw CommandError("SLIPWAY_TIMEOUT must be a number of seconds of at least 1, got '\(text)'")
        }
        return .seconds(seconds)
    }
}

/// Prints an error to stderr (`ErrorMessage`) and returns the failure exit code, for `throw fail(error)`.
func fail(_ error: any Error) -> ExitCode {
    ErrorMessage.print(ErrorMessage.text(for: error) ?? String(describing: error))
    return .failure
}

/// Runs `body`; an API or network error is printed to stderr and ends the command with exit status 1.
func reportingErrors<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as ExitCode {
        throw error
    } catch let error as ValidationError {
        throw error
    } catch {
        throw fail(error)
    }
}
