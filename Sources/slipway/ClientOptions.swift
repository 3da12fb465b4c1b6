import ArgumentParser
import Foundation
import SlipwayClient

/// Where the API is and which token to use: flags, then SLIPWAY_URL / SLIPWAY_TOKEN,
/// then the admin token a local server wrote to ./.slipway/admin-token.
struct ClientOptions: ParsableArguments {
    @Option(help: "The Slipway API URL (default $SLIPWAY_URL or http://localhost:8080).") var url: String?
    @Option(help: "The API token (default $SLIPWAY_TOKEN, or ./.slipway/admin-token).") var token: String?

    func makeClient() throws -> SlipwayClient {
        let environment = ProcessInfo.processInfo.environment
        let baseURL = url ?? environment["SLIPWAY_URL"] ?? "http://localhost:8080"
        let dataDir = environment["SLIPWAY_DATA_DIR"] ?? "./.slipway"
        let savedToken = try? String(contentsOfFile: dataDir + "/admin-token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let token = token ?? environment["SLIPWAY_TOKEN"] ?? savedToken, !token.isEmpty else {
            throw ValidationError("no API token: pass --token, set SLIPWAY_TOKEN, or run next to the server's ./.slipway directory")
        }
        return SlipwayClient(baseURL: baseURL, token: token)
    }
}

/// Prints an API error to stderr and exits 1.
func fail(_ error: any Error) -> ExitCode {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    return .failure
}
