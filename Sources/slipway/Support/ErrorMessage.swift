import ArgumentParser
import Foundation
import SlipwayClient
import SlipwayServer

/// A failure of a command that is not a misuse of its arguments: printed as `error: …` without the usage banner.
struct CommandError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}

/// The one place that decides what `slipway` prints for an error: a sentence that says what failed, where, and what
/// to do. ArgumentParser's own errors (usage, `--help`, exit codes) are left to it.
enum ErrorMessage {
    /// The text after `error: `, or nil for an error ArgumentParser prints itself.
    static func text(for error: any Error) -> String? {
        switch error {
        case is ValidationError, is ExitCode, is CleanExit:
            return nil
        case let error as ConnectionError:
            return error.description + advice(error.reason)
        case let error as ClientError where error.status == 401:
            return error.description + " — the token is not valid on this server: check --token or SLIPWAY_TOKEN, or run `slipway login`"
        case let error as ClientError where error.status == 404 && error.message.hasSuffix("not found among yours"):
            return error.description
                + " — `slipway workspaces list` shows yours; `slipway workspaces switch NAME` (or `--default`) changes the saved choice,"
                + " --workspace or SLIPWAY_WORKSPACE the one of a command"
        case let error as ClientError:
            return error.description
        case let error as StartupError:
            return error.description
        case let error as CocoaError where StartupError.sentence(fileError: error) != nil:
            return StartupError.sentence(fileError: error)
        default:
            // `--help` and the like arrive as ArgumentParser's internal errors, also from `run`.
            if String(reflecting: type(of: error)).hasPrefix("ArgumentParser.") { return nil }
            return String(describing: error)
        }
    }

    /// What to do about a server that could not be reached.
    private static func advice(_ reason: ConnectionError.Reason) -> String {
        switch reason {
        case .refused: " — is `slipway serve` running? Pass --url (or set SLIPWAY_URL) if it listens elsewhere"
        case .unresolvedHost: " — check the host name in --url (or SLIPWAY_URL, or the URL `slipway login` saved)"
        case .timedOut: " — is the server overloaded, or is --url the address of something else? SLIPWAY_TIMEOUT sets the limit in seconds"
        case .tls: " — for a server without HTTPS use an http:// URL; otherwise check its certificate"
        case .closed, .other: " — check that --url is the address `slipway serve` printed"
        case .invalidURL: " — pass --url http://HOST:PORT"
        case .notSlipway: " — check that --url is the address `slipway serve` printed"
        }
    }

    /// Prints `error: …` to standard error.
    static func print(_ text: String) {
        FileHandle.standardError.write(Data("error: \(text)\n".utf8))
    }
}
