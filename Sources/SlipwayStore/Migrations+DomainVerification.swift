import SQLKit

extension Migrations {
    /// Migration 19: when a domain's ownership was proven (a TXT record, docs/domains.md). Domains added before
    /// verification existed were routed and served already: they count as verified from their creation.
    @Sendable static func addDomainVerification(_ session: Session) async throws {
        try await session.run("ALTER TABLE domains ADD COLUMN verified_at BIGINT")
        try await session.run("UPDATE domains SET verified_at = created_at")
    }
}
