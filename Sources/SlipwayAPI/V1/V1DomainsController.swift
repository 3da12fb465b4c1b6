import Foundation
import Hummingbird
import SlipwayCore

/// `GET/POST /api/v1/projects/{id}/domains`, `GET/DELETE /api/v1/projects/{id}/domains/{domain}`: a project's
/// custom domains (docs/domains.md). Reading needs `read`; adding and removing change the project's settings and
/// need `admin`, like the project's own PATCH.
struct V1DomainsController {
    /// Projects by the references of the native API's paths.
    let lookup: V1Lookup
    let domains: DomainService

    /// Adds the routes to the `/api/v1` group.
    func addRoutes(to group: RouterGroup<SlipwayRequestContext>) {
        group.get("projects/:project/domains", use: list)
        group.post("projects/:project/domains", use: add)
        group.get("projects/:project/domains/:domain", use: show)
        group.delete("projects/:project/domains/:domain", use: remove)
        group.put("projects/:project/domains/:domain/certificate", use: uploadCertificate)
        group.post("projects/:project/domains/:domain/verify", use: verify)
    }

    /// A domain as the API shows it, with the DNS records to create.
    private func shape(_ domain: Domain, of project: Project) -> V1Domain {
        V1Domain(
            domain, dns: domains.dnsRecord(for: domain, of: project),
            ownership: domains.ownership.record(for: domain.hostname, workspaceID: project.workspaceID))
    }

    /// The body of a certificate upload: the PEM chain (leaf first) and its private key.
    struct CertificateBody: Decodable {
        var certificate: String
        var privateKey: String

        enum CodingKeys: String, CodingKey {
            case certificate, privateKey = "private_key"
        }
    }

    /// The body of a POST: the hostname, the branch whose latest deployment it serves (production without one), and
    /// optionally its certificate (required for a wildcard): the PEM chain and its private key.
    struct AddBody: Decodable {
        var hostname: String
        var branch: String?
        var certificate: String?
        var privateKey: String?

        enum CodingKeys: String, CodingKey {
            case hostname, branch, certificate, privateKey = "private_key"
        }
    }

    /// The project's domains, by hostname: `{data: [domain]}`.
    @Sendable func list(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.read)
        let project = try await lookup.project(context.parameters.get("project"), identity)
        let found = try await domains.list(of: project)
        return try JSONBody.response(V1DomainList(data: found.map { shape($0, of: project) }))
    }

    /// Adds a domain: 201 with it and the DNS record to create; 422 naming `hostname`, `branch`, `certificate` or
    /// `private_key`; 409 when a project of the install has it.
    @Sendable func add(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.admin)
        let project = try await lookup.project(context.parameters.get("project"), identity)
        let body = try await JSONBody.decode(AddBody.self, from: request)
        context.audit.target(id: nil, name: body.hostname)
        context.audit.detail("project", .text(project.name))
        let domain = try await domains.add(
            hostname: body.hostname, branch: body.branch, certificatePEM: body.certificate, privateKeyPEM: body.privateKey, to: project)
        return try JSONBody.response(shape(domain, of: project), status: .created)
    }

    /// One domain of the project, by its name (normalised like a new one).
    @Sendable func show(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.read)
        let project = try await lookup.project(context.parameters.get("project"), identity)
        let domain = try await domains.domain(try Self.domainReference(context), of: project)
        return try JSONBody.response(shape(domain, of: project))
    }

    /// Removes a domain: the edge stops serving it at once.
    @Sendable func remove(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.admin)
        let project = try await lookup.project(context.parameters.get("project"), identity)
        try await domains.remove(try Self.domainReference(context), of: project)
        return try JSONBody.response(V1ActionResult(message: "Domain removed."))
    }

    /// Uploads the domain's certificate: 200 with the domain (`issued`, source `uploaded`); 422 naming `certificate` or
    /// `private_key` with what the check found.
    @Sendable func uploadCertificate(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.admin)
        let project = try await lookup.project(context.parameters.get("project"), identity)
        let body = try await JSONBody.decode(CertificateBody.self, from: request)
        let domain = try await domains.uploadCertificate(
            chainPEM: body.certificate, privateKeyPEM: body.privateKey, for: try Self.domainReference(context), of: project)
        return try JSONBody.response(shape(domain, of: project))
    }

    /// Checks the ownership record of a domain not verified yet: 200 with the domain, verified and served from now
    /// on; 409 saying what to create and what was found instead.
    @Sendable func verify(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.admin)
        let project = try await lookup.project(context.parameters.get("project"), identity)
        let domain = try await domains.verify(try Self.domainReference(context), of: project)
        return try JSONBody.response(shape(domain, of: project))
    }

    /// The domain named in the path, its percent-encoding undone (`b%C3%BCcher.example`, `%2A.example.com`).
    private static func domainReference(_ context: SlipwayRequestContext) throws -> String {
        let raw = try context.parameters.require("domain")
        return raw.removingPercentEncoding ?? raw
    }
}

/// `{data: [domain]}`.
struct V1DomainList: Encodable {
    var data: [V1Domain]
}

/// A domain as the native API shows it: `{hostname, project_id, branch, created_at, dns, certificate}`, nulls written.
struct V1Domain: Encodable {
    var domain: Domain
    var dns: DomainDNSRecord
    /// The record that proves the name the workspace's; nil when the install does not ask for one.
    var ownership: DomainOwnership.Record?

    init(_ domain: Domain, dns: DomainDNSRecord, ownership: DomainOwnership.Record?) {
        self.domain = domain
        self.dns = dns
        self.ownership = ownership
    }

    enum Key: String, CodingKey {
        case hostname, projectID = "project_id", branch, createdAt = "created_at", dns, certificate, verification
    }

    enum VerificationKey: String, CodingKey {
        case status, verifiedAt = "verified_at", type, name, value
    }

    enum DNSKey: String, CodingKey {
        case type, name, value, note
    }

    enum CertificateKey: String, CodingKey {
        case status, source, notAfter = "not_after", issuer, lastError = "last_error", nextAttemptAt = "next_attempt_at"
        case failedAttempts = "failed_attempts"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(domain.hostname, forKey: .hostname)
        try container.encode(domain.projectID, forKey: .projectID)
        try container.encode(domain.branch, forKey: .branch)
        try container.encode(Timestamp.format(domain.createdAt), forKey: .createdAt)
        var record = container.nestedContainer(keyedBy: DNSKey.self, forKey: .dns)
        try record.encode(dns.type, forKey: .type)
        try record.encode(dns.name, forKey: .name)
        try record.encode(dns.value, forKey: .value)
        try record.encode(dns.note, forKey: .note)
        var verification = container.nestedContainer(keyedBy: VerificationKey.self, forKey: .verification)
        try verification.encode(domain.verifiedAt == nil ? "pending" : "verified", forKey: .status)
        try verification.encode(domain.verifiedAt.map(Timestamp.format), forKey: .verifiedAt)
        try verification.encode(ownership.map { _ in "TXT" }, forKey: .type)
        try verification.encode(ownership?.name, forKey: .name)
        try verification.encode(ownership?.value, forKey: .value)
        let state = domain.certificate
        var certificate = container.nestedContainer(keyedBy: CertificateKey.self, forKey: .certificate)
        try certificate.encode(state.status.rawValue, forKey: .status)
        try certificate.encode(state.source.rawValue, forKey: .source)
        try certificate.encode(state.notAfter.map(Timestamp.format), forKey: .notAfter)
        try certificate.encode(state.issuer, forKey: .issuer)
        try certificate.encode(state.lastError, forKey: .lastError)
        try certificate.encode(state.nextAttemptAt.map(Timestamp.format), forKey: .nextAttemptAt)
        try certificate.encode(state.failedAttempts, forKey: .failedAttempts)
    }
}
