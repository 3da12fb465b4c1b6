import SQLKit

extension Migrations {
    /// Migration 12: an API token may expire (`expires_at`, microseconds; NULL for a token that does not).
    /// Authentication refuses a token whose time has come, in the same statement that finds it.
    @Sendable static func addTokenExpiry(_ session: Session) async throws {
        try await session.run("ALTER TABLE api_tokens ADD COLUMN expires_at BIGINT")
    }
}
