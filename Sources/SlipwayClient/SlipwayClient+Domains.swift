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
    public var dns: DNSRecord
    public var certificate: Certificate
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

    /// Adds a custom domain serving production, or the latest deployment of `branch`.
    public func addDomain(project: String, hostname: String, branch: String? = nil) async throws -> DomainInfo {
        struct Body: Encodable {
            var hostname: String
            var branch: String?
        }
        return try await send(.POST, "/api/v1/projects/\(Self.pathComponent(project))/domains", body: Body(hostname: hostname, branch: branch))
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
