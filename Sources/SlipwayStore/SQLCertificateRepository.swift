import Foundation
import SQLKit
public import SlipwayCore

extension SQLStore {
    /// The certificates of custom domains and the ACME account keys, private keys sealed by `box`.
    public func certificates(box: SecretBox) -> any CertificateRepository {
        SQLCertificateRepository(database: database, box: box)
    }
}

/// Certificates and ACME accounts in SQL (migration 16). A domain's private key is sealed bound to the domain's id
/// (a ciphertext copied to another row does not open); an account key bound to its directory URL.
struct SQLCertificateRepository: CertificateRepository {
    let database: Database
    let box: SecretBox

    private struct CertificateRow: Decodable {
        var id: Int64
        var hostname: String
        var certificateChainPem: String
        var certificateSealedPrivateKey: String
    }

    private struct IDRow: Decodable {
        var id: Int64
    }

    private struct AccountRow: Decodable {
        var sealedPrivateKey: String
    }

    static func keyContext(domainID: Int64) -> String { "domains/\(domainID)/certificate_private_key" }
    static func accountContext(directoryURL: String) -> String { "acme_accounts/\(directoryURL)" }

    private func certificate(_ row: CertificateRow) throws -> StoredCertificate {
        StoredCertificate(
            hostname: row.hostname, chainPEM: row.certificateChainPem,
            privateKeyPEM: try box.unseal(row.certificateSealedPrivateKey, context: Self.keyContext(domainID: row.id)))
    }

    func allCertificates() async throws -> [StoredCertificate] {
        let rows = try await database.withConnection { session in
            try await session.all(
                CertificateRow.self,
                """
                SELECT id, hostname, certificate_chain_pem, certificate_sealed_private_key FROM domains
                WHERE certificate_chain_pem IS NOT NULL AND certificate_sealed_private_key IS NOT NULL AND verified_at IS NOT NULL
                ORDER BY hostname
                """
            )
        }
        return try rows.map(certificate)
    }

    func certificate(hostname: String) async throws -> StoredCertificate? {
        let row = try await database.withConnection { session in
            try await session.first(
                CertificateRow.self,
                """
                SELECT id, hostname, certificate_chain_pem, certificate_sealed_private_key FROM domains
                WHERE hostname = \(bind: hostname) AND certificate_chain_pem IS NOT NULL AND certificate_sealed_private_key IS NOT NULL
                """
            )
        }
        return try row.map(certificate)
    }

    func storeCertificate(_ certificate: StoredCertificate, state: CertificateState) async throws -> Bool {
        try await store(certificate, state: state, onlyFromACME: false)
    }

    func storeACMECertificate(_ certificate: StoredCertificate, state: CertificateState) async throws -> Bool {
        try await store(certificate, state: state, onlyFromACME: true)
    }

    /// Writes the chain, the sealed key and the state in one transaction (the key is sealed for the row's id).
    private func store(_ certificate: StoredCertificate, state: CertificateState, onlyFromACME: Bool) async throws -> Bool {
        try await database.transaction { session in
            let sourceCondition: SQLQueryString = onlyFromACME ? " AND certificate_source = 'acme'" : ""
            guard
                let row = try await session.first(
                    IDRow.self,
                    "SELECT id FROM domains WHERE hostname = \(bind: certificate.hostname)\(sourceCondition) \(session.rowLock(skipLocked: false))")
            else { return false }
            let sealed = try box.seal(certificate.privateKeyPEM, context: Self.keyContext(domainID: row.id))
            try await session.run(
                """
                UPDATE domains SET
                    certificate_chain_pem = \(bind: certificate.chainPEM),
                    certificate_sealed_private_key = \(bind: sealed),
                    \(SQLDomainRepository.certificateAssignments(state))
                WHERE id = \(bind: row.id)
                """
            )
            return true
        }
    }

    /// A failed state queues `certificate.failing` (once per failed attempt) in the same transaction.
    func setACMEState(_ state: CertificateState, hostname: String) async throws -> Bool {
        try await database.transaction { session in
            let updated = try await session.value(
                Int64.self, column: "project_id",
                """
                UPDATE domains SET \(SQLDomainRepository.certificateAssignments(state))
                WHERE hostname = \(bind: hostname) AND certificate_source = 'acme'
                RETURNING project_id
                """
            )
            guard let projectID = updated else { return false }
            if state.status == .failed,
                let workspaceID = try await session.value(
                    Int64.self, column: "workspace_id", "SELECT workspace_id FROM projects WHERE id = \(bind: projectID)")
            {
                let event = NotificationEvent(
                    kind: .certificateFailing, key: "\(NotificationEventKind.certificateFailing.rawValue)/\(hostname)/\(state.failedAttempts)",
                    occurredAt: Timestamp.now(), workspaceID: workspaceID, projectID: projectID,
                    detail: "\(hostname): \(state.lastError ?? "the certificate could not be obtained")")
                try await NotificationOutbox.publish(event, session)
            }
            return true
        }
    }

    func accountKey(directoryURL: String) async throws -> String? {
        let row = try await database.withConnection { session in
            try await session.first(AccountRow.self, "SELECT sealed_private_key FROM acme_accounts WHERE directory_url = \(bind: directoryURL)")
        }
        return try row.map { try box.unseal($0.sealedPrivateKey, context: Self.accountContext(directoryURL: directoryURL)) }
    }

    func storeAccountKey(_ pem: String, directoryURL: String) async throws -> String {
        let sealed = try box.seal(pem, context: Self.accountContext(directoryURL: directoryURL))
        let now = StoredValue.microseconds(Timestamp.now())
        try await database.withConnection { session in
            try await session.run(
                """
                INSERT INTO acme_accounts (directory_url, sealed_private_key, created_at)
                VALUES (\(bind: directoryURL), \(bind: sealed), \(bind: now))
                ON CONFLICT (directory_url) DO NOTHING
                """
            )
        }
        guard let stored = try await accountKey(directoryURL: directoryURL) else {
            throw SlipwayError.notFound("the ACME account key for \(directoryURL) vanished as it was stored")
        }
        return stored
    }
}
