import SQLKit

extension Migrations {
    /// Migration 16: the certificates of custom domains and the ACME accounts (docs/domains.md). A domain's PEM chain
    /// and its private key, sealed with the install's secret key, are columns of its row (removed with it); one ACME
    /// account key per CA directory URL, sealed too. Nothing secret is written in clear.
    @Sendable static func addCertificates(_ session: Session) async throws {
        try await session.run("ALTER TABLE domains ADD COLUMN certificate_chain_pem TEXT")
        try await session.run("ALTER TABLE domains ADD COLUMN certificate_sealed_private_key TEXT")
        try await session.run(
            """
            CREATE TABLE acme_accounts (
                directory_url TEXT PRIMARY KEY,
                sealed_private_key TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )
            """
        )
    }
}
