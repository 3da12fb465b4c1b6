import ArgumentParser
import Foundation
import SlipwayClient

/// Where the API is and which token to use: `--url`/`--token`, then `SLIPWAY_URL`/`SLIPWAY_TOKEN`, then what
/// `slipway login` saved, then (for a server started in this directory) `./.slipway/admin-token`.
struct ClientOptions: ParsableArguments {
    @Option(help: "The Slipway API URL (default: $SLIPWAY_URL, the saved login, or http://localhost:8080).") var url: String?
    @Option(help: "The API token (default: $SLIPWAY_TOKEN, the saved login, or ./.slipway/admin-token).") var token: String?

    func makeClient() throws -> SlipwayClient {
        let environment = ProcessInfo.processInfo.environment
        let saved = CLIConfig.load()
        let baseURL = url ?? environment["SLIPWAY_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? saved?.url ?? "http://localhost:8080"
        let dataDir = environment["SLIPWAY_DATA_DIR"] ?? "./.slipway"
        let localToken = try? String(contentsOfFile: dataDir + "/admin-token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let token = token ?? environment["SLIPWAY_TOKEN"].flatMap({ $0.isEmpty ? nil : $0 }) ?? saved?.token ?? localToken, !token.isEmpty
        else {
            throw ValidationError("no API token: run `slipway login`, pass --token, or set SLIPWAY_TOKEN")
        }
        return SlipwayClient(baseURL: baseURL, token: token)
    }
}

/// Prints an error to stderr and returns the failure exit code, for `throw fail(error)`.
func fail(_ error: any Error) -> ExitCode {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
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
