import Foundation
import SQLKit
import SlipwayCore

extension SQLCertificateRepository {
    /// Inserts the domain's row with its certificate's state, then seals the key for the row's id and writes it with the
    /// chain, in one transaction: a failure leaves no domain behind. The unique index on `hostname` makes a taken name
    /// the domain's 409, as `SQLDomainRepository.create` does.
    func createDomain(_ new: NewDomain, certificate: StoredCertificate, state: CertificateState) async throws -> Domain {
        let now = StoredValue.storedPrecision(Timestamp.now())
        return try await UniqueConstraint.domainHostname.translatingViolation(into: SQLDomainRepository.taken(new.hostname)) {
            try await database.transaction { session in
                let id = try await session.insertReturningID(
                    """
                    INSERT INTO domains (
                        hostname, project_id, branch, created_at, certificate_status, certificate_source, certificate_not_after,
                        certificate_issuer, certificate_last_error, certificate_next_attempt_at, verified_at
                    ) VALUES (
                        \(bind: new.hostname), \(bind: new.projectID), \(bind: new.branch), \(bind: StoredValue.microseconds(now)),
                        \(bind: state.status.rawValue), \(bind: state.source.rawValue), \(bind: StoredValue.microseconds(state.notAfter)),
                        \(bind: state.issuer), \(bind: state.lastError), \(bind: StoredValue.microseconds(state.nextAttemptAt)),
                        \(bind: StoredValue.microseconds(new.verifiedAt.map(StoredValue.storedPrecision)))
                    )
                    RETURNING id
                    """
                )
                let sealed = try box.seal(certificate.privateKeyPEM, context: Self.keyContext(domainID: id))
                try await session.run(
                    """
                    UPDATE domains SET certificate_chain_pem = \(bind: certificate.chainPEM), certificate_sealed_private_key = \(bind: sealed)
                    WHERE id = \(bind: id)
                    """
                )
                return Domain(
                    id: id, hostname: new.hostname, projectID: new.projectID, branch: new.branch, createdAt: now, certificate: state,
                    verifiedAt: new.verifiedAt.map(StoredValue.storedPrecision))
            }
        }
    }
}
