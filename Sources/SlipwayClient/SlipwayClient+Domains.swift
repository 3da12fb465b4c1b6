import Foundation
import NIOHTTP1

/// A custom domain as the API shows it (docs/domains.md).
public struct DomainInfo: Codable, Sendable, Equatable {
    /// The DNS record to create.
    public struct DNSRecord: Codable, Sendable, Equatable {
        /// `CNAME` for a subdomain, `A` for an apex.
        public var type: String
        public var name: String
        /// The CNAME's target; nil for an apex (this server's address).
        public var value: String?
        public var note: String
    }

    /// Where the domain's certificate stands.
    public struct Certificate: Codable, Sendable, Equatable {
        /// `pending`, `issued`, `failed` or `renewing`.
        public var status: String
        /// `acme` or `uploaded`.
        public var source: String
        public var notAfter: String?
        public var issuer: String?
        public var lastError: String?
        public var nextAttemptAt: String?
        /// Failed attempts in a row since the last success (absent from servers before it was shown).
        public var failedAttempts: Int?
    }

    public var hostname: String
    public var projectId: Int64
    /// The branch it serves; nil: production.
    public var branch: String?
    public var createdAt: String
    /// Whether the workspace has proven the name its own (absent from servers before verification).
    public struct Verification: Codable, Sendable, Equatable {
        /// `pending` or `verified`.
        public var status: String
        public var verifiedAt: String?
        /// `TXT`, with the record's name and value; nil when the server does not ask for proof.
        public var type: String?
        public var name: String?
        public var value: String?
    }

    public var dns: DNSRecord
    public var verification: Verification?
    public var certificate: Certificate
}

/// A certificate to upload: the PEM chain (leaf first) and its PEM private key.
public struct CertificateFiles: Sendable, Equatable {
    public var chainPEM: String
    public var privateKeyPEM: String

    public init(chainPEM: String, privateKeyPEM: String) {
        self.chainPEM = chainPEM
        self.privateKeyPEM = privateKeyPEM
    }
}

/// `{data: [domain]}`.
public struct DomainList: Decodable, Sendable, Equatable {
    public var data: [DomainInfo]
}

extension SlipwayClient {
    /// The project's custom domains.
    public func domains(project: String) async throws -> [DomainInfo] {
        let list: DomainList = try await send(.GET, "/api/v1/projects/\(Self.pathComponent(project))/domains")
        return list.data
    }

    /// Adds a custom domain serving production, or the latest deployment of `branch`; with `certificate`, its
    /// uploaded certificate (required for a wildcard, `*.example.com`), stored with it.
    public func addDomain(project: String, hostname: String, branch: String? = nil, certificate: CertificateFiles? = nil) async throws
        -> DomainInfo
    {
        struct Body: Encodable {
            var hostname: String
            var branch: String?
            var certificate: String?
            var privateKey: String?
        }
        let body = Body(hostname: hostname, branch: branch, certificate: certificate?.chainPEM, privateKey: certificate?.privateKeyPEM)
        return try await send(.POST, "/api/v1/projects/\(Self.pathComponent(project))/domains", body: body)
    }

    /// Replaces a domain's certificate with an uploaded one (it is then never replaced by ACME).
    public func uploadCertificate(project: String, hostname: String, certificate: CertificateFiles) async throws -> DomainInfo {
        struct Body: Encodable {
            var certificate: String
            var privateKey: String
        }
        return try await send(
            .PUT, "/api/v1/projects/\(Self.pathComponent(project))/domains/\(Self.pathComponent(hostname))/certificate",
            body: Body(certificate: certificate.chainPEM, privateKey: certificate.privateKeyPEM))
    }

    /// Checks a domain's ownership record now: verified, it is served from then on; not found, a 409 that says
    /// what to create.
    public func verifyDomain(project: String, hostname: String) async throws -> DomainInfo {
        try await send(.POST, "/api/v1/projects/\(Self.pathComponent(project))/domains/\(Self.pathComponent(hostname))/verify")
    }

    /// One custom domain of the project.
    public func domain(project: String, hostname: String) async throws -> DomainInfo {
        try await send(.GET, "/api/v1/projects/\(Self.pathComponent(project))/domains/\(Self.pathComponent(hostname))")
    }

    /// Removes a custom domain of the project.
    public func removeDomain(project: String, hostname: String) async throws -> ActionResult {
        try await send(.DELETE, "/api/v1/projects/\(Self.pathComponent(project))/domains/\(Self.pathComponent(hostname))")
    }
}
