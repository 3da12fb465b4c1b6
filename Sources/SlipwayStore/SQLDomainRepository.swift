import Foundation
import SQLKit
import SlipwayCore

/// Custom domains in SQL (migration 15). The unique index on `hostname` decides which of two concurrent additions of
/// one name wins; the other gets the domain's 409.
struct SQLDomainRepository: DomainRepository {
    let database: Database

    /// A row of `domains`.
    struct Row: Decodable {
        var id: Int64
        var hostname: String
        var projectId: Int64
        var branch: String?
        var createdAt: Int64
        var certificateStatus: String
        var certificateSource: String
        var certificateNotAfter: Int64?
        var certificateIssuer: String?
        var certificateLastError: String?
        var certificateNextAttemptAt: Int64?
        var certificateFailedAttempts: Int
        var verifiedAt: Int64?

        func domain() throws -> Domain {
            let status = try StoredValue.enumeration(CertificateState.Status.self, certificateStatus, table: "domains", column: "certificate_status")
            let source = try StoredValue.enumeration(CertificateState.Source.self, certificateSource, table: "domains", column: "certificate_source")
            return Domain(
                id: id, hostname: hostname, projectID: projectId, branch: branch, createdAt: StoredValue.date(createdAt),
                certificate: CertificateState(
                    status: status, notAfter: StoredValue.date(certificateNotAfter), issuer: certificateIssuer, lastError: certificateLastError,
                    nextAttemptAt: StoredValue.date(certificateNextAttemptAt), failedAttempts: certificateFailedAttempts, source: source
                ),
                verifiedAt: StoredValue.date(verifiedAt)
            )
        }
    }

    /// Any project of the install has the hostname: one answer, whoever holds it.
    static func taken(_ hostname: String) -> SlipwayError {
        .conflict("hostname \(hostname) is already a domain of a project on this server")
    }

    func create(_ new: NewDomain) async throws -> Domain {
        let now = StoredValue.storedPrecision(Timestamp.now())
        let verifiedAt = new.verifiedAt.map(StoredValue.storedPrecision)
        return try await UniqueConstraint.domainHostname.translatingViolation(into: Self.taken(new.hostname)) {
            try await database.withConnection { session in
                let id = try await session.insertReturningID(
                    """
                    INSERT INTO domains (hostname, project_id, branch, created_at, verified_at)
                    VALUES (\(bind: new.hostname), \(bind: new.projectID), \(bind: new.branch), \(bind: StoredValue.microseconds(now)),
                        \(bind: StoredValue.microseconds(verifiedAt)))
                    RETURNING id
                    """
                )
                return Domain(id: id, hostname: new.hostname, projectID: new.projectID, branch: new.branch, createdAt: now, verifiedAt: verifiedAt)
            }
        }
    }

    func release(hostname: String, exceptProjectID projectID: Int64) async throws -> Domain? {
        try await database.withConnection { session in
            try await session.first(
                Row.self,
                "DELETE FROM domains WHERE hostname = \(bind: hostname) AND project_id <> \(bind: projectID) RETURNING *"
            )?.domain()
        }
    }

    func setVerified(hostname: String, projectID: Int64, at date: Date) async throws -> Bool {
        try await database.withConnection { session in
            let updated = try await session.rows(
                """
                UPDATE domains SET verified_at = \(bind: StoredValue.microseconds(StoredValue.storedPrecision(date)))
                WHERE hostname = \(bind: hostname) AND project_id = \(bind: projectID)
                RETURNING id
                """
            )
            return !updated.isEmpty
        }
    }

    func domains(projectID: Int64) async throws -> [Domain] {
        try await database.withConnection { session in
            try await session.all(Row.self, "SELECT * FROM domains WHERE project_id = \(bind: projectID) ORDER BY hostname").map { try $0.domain() }
        }
    }

    func domain(hostname: String, projectID: Int64) async throws -> Domain? {
        try await database.withConnection { session in
            try await session.first(
                Row.self, "SELECT * FROM domains WHERE hostname = \(bind: hostname) AND project_id = \(bind: projectID)"
            )?.domain()
        }
    }

    func delete(hostname: String, projectID: Int64) async throws -> Bool {
        try await database.withConnection { session in
            let deleted = try await session.rows(
                "DELETE FROM domains WHERE hostname = \(bind: hostname) AND project_id = \(bind: projectID) RETURNING id"
            )
            return !deleted.isEmpty
        }
    }

    /// A domain with its project's name.
    struct RouteRow: Decodable {
        var hostname: String
        var branch: String?
        var projectName: String
    }

    func routes() async throws -> [String: DomainRoute] {
        let rows = try await database.withConnection { session in
            try await session.all(
                RouteRow.self,
                """
                SELECT domains.hostname, domains.branch, projects.name AS project_name FROM domains
                JOIN projects ON projects.id = domains.project_id WHERE domains.verified_at IS NOT NULL
                """
            )
        }
        return Dictionary(uniqueKeysWithValues: rows.map { ($0.hostname, DomainRoute(projectName: $0.projectName, branch: $0.branch)) })
    }

    func allDomains() async throws -> [Domain] {
        try await database.withConnection { session in
            try await session.all(Row.self, "SELECT * FROM domains ORDER BY hostname").map { try $0.domain() }
        }
    }

    func setCertificate(_ certificate: CertificateState, hostname: String) async throws -> Bool {
        try await database.withConnection { session in
            let updated = try await session.rows(
                """
                UPDATE domains SET \(Self.certificateAssignments(certificate))
                WHERE hostname = \(bind: hostname)
                RETURNING id
                """
            )
            return !updated.isEmpty
        }
    }

    /// The `SET` assignments of a certificate state's columns.
    static func certificateAssignments(_ state: CertificateState) -> SQLQueryString {
        """
        certificate_status = \(bind: state.status.rawValue),
        certificate_source = \(bind: state.source.rawValue),
        certificate_not_after = \(bind: StoredValue.microseconds(state.notAfter)),
        certificate_issuer = \(bind: state.issuer),
        certificate_last_error = \(bind: state.lastError),
        certificate_next_attempt_at = \(bind: StoredValue.microseconds(state.nextAttemptAt)),
        certificate_failed_attempts = \(bind: state.failedAttempts)
        """
    }
}
