import ArgumentParser
import Foundation
import SlipwayClient

/// `slipway tokens create|list|revoke`: API keys of the workspace (needs an admin token).
struct TokensCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens", abstract: "Manage API tokens.", subcommands: [Create.self, List.self, Revoke.self]
    )

    struct TokenJSON: Encodable {
        var id: Int64
        var name: String
        var scopes: [String]
        var created_at: String
        var last_used_at: String?
        var expires_at: String?
        var token: String?

        init(_ token: TokenInfo) {
            id = token.id
            name = token.name
            scopes = token.scopes
            created_at = token.createdAt
            last_used_at = token.lastUsedAt
            expires_at = token.expiresAt
            self.token = token.token
        }
    }

    /// `slipway tokens create NAME --scope deploy`.
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a token; its secret is shown once.", discussion: "Example:\n  slipway tokens create ci --scope deploy"
        )

        @Argument(help: "A name to recognise it by.") var name: String
        @Option(name: .customLong("scope"), help: "read, deploy, admin or metrics (repeatable; default read; metrics: install administrators only).")
        var scopes: [String] = ["read"]
        @Option(help: "When it stops working, ISO 8601 (2027-01-31T00:00:00Z); default never.") var expiresAt: String?
        @Flag(help: "Print as JSON.") var json = false
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let api = try client.makeClient()
            let token = try await reportingErrors { try await api.createToken(name: name, scopes: scopes, expiresAt: expiresAt) }
            if json { return try Output.json(TokenJSON(token)) }
            print("Created token \(token.id) (\(token.scopes.joined(separator: ", "))). Its secret, shown only now:\n\n    \(token.token ?? "")\n")
        }
    }

    /// `slipway tokens list`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the workspace's tokens (never their secrets).")

        @Flag(help: "Print as JSON.") var json = false
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let api = try client.makeClient()
            let tokens = try await reportingErrors { try await api.tokens() }
            if json { return try Output.json(tokens.map(TokenJSON.init)) }
            Output.table(
                ["ID", "NAME", "SCOPES", "CREATED", "LAST USED", "EXPIRES"],
                tokens.map {
                    [
                        String($0.id), $0.name, $0.scopes.joined(separator: ","), Output.age($0.createdAt),
                        $0.lastUsedAt.map { Output.age($0) } ?? "never", $0.expiresAt ?? "never",
                    ]
                }
            )
        }
    }

    /// `slipway tokens revoke ID`.
    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token at once.")

        @Argument(help: "The token id.") var id: Int64
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let api = try client.makeClient()
            _ = try await reportingErrors { try await api.revokeToken(id) }
            print("Revoked token \(id)")
        }
    }
}
