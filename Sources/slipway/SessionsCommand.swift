import ArgumentParser
import Foundation
import SlipwayClient

/// `slipway sessions list|revoke`: the login sessions of the current user.
struct SessionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sessions", abstract: "List and end your login sessions.", subcommands: [List.self, Revoke.self]
    )

    /// `slipway sessions list`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List your active sessions (never their secrets).")

        @Flag(help: "Print as JSON.") var json = false
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let api = try client.makeClient()
            let sessions = try await reportingErrors { try await api.sessions() }
            if json {
                return try Output.json(
                    sessions.map { session in
                        [
                            "id": String(session.id), "created_at": session.createdAt, "expires_at": session.expiresAt,
                            "last_used_at": session.lastUsedAt ?? "", "current": String(session.current),
                        ]
                    })
            }
            Output.table(
                ["ID", "CREATED", "LAST USED", "EXPIRES", ""],
                sessions.map {
                    [
                        String($0.id), Output.age($0.createdAt), $0.lastUsedAt.map { Output.age($0) } ?? "never", $0.expiresAt,
                        $0.current ? "(this one)" : "",
                    ]
                }
            )
        }
    }

    /// `slipway sessions revoke ID`.
    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "End a session at once.")

        @Argument(help: "The session id.") var id: Int64
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let api = try client.makeClient()
            _ = try await reportingErrors { try await api.revokeSession(id) }
            print("Revoked session \(id)")
        }
    }
}
