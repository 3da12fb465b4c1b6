import SQLKit

extension Migrations {
    /// Migration 17: a domain's failed certificate attempts in a row, so that the backoff after a restart goes on
    /// where it was instead of asking the CA again at once (docs/domains.md).
    @Sendable static func addCertificateFailedAttempts(_ session: Session) async throws {
        try await session.run("ALTER TABLE domains ADD COLUMN certificate_failed_attempts INTEGER NOT NULL DEFAULT 0")
    }
}
