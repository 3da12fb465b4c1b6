import SQLKit

extension Migrations {
    /// Migration 15: custom domains (docs/domains.md). A hostname is unique on the install (`domains_hostname_unique`
    /// decides between concurrent additions); a project's deletion removes its domains (the project's delete does it,
    /// and `ON DELETE CASCADE` says so in the schema). The certificate's state lives in the row, `pending` from `acme`
    /// until the certificate work fills it; times are microseconds, like every other timestamp.
    @Sendable static func addDomains(_ session: Session) async throws {
        try await session.run(
            """
            CREATE TABLE domains (
                id \(idColumn(session.dialect)),
                hostname TEXT NOT NULL CONSTRAINT domains_hostname_unique UNIQUE,
                project_id BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
                branch TEXT,
                created_at BIGINT NOT NULL,
                certificate_status TEXT NOT NULL DEFAULT 'pending',
                certificate_source TEXT NOT NULL DEFAULT 'acme',
                certificate_not_after BIGINT,
                certificate_issuer TEXT,
                certificate_last_error TEXT,
                certificate_next_attempt_at BIGINT
            )
            """
        )
        try await session.run("CREATE INDEX domains_project_id ON domains (project_id, hostname)")
    }
}
