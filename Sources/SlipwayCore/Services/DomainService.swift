import Foundation

/// The use cases of custom domains: add, list, read and remove a project's domains, with the route table kept in
/// step, so that the edge serves a domain from the moment it is added until it is removed.
public struct DomainService: Sendable {
    public let domains: any DomainRepository
    public let rules: DomainRules
    /// What the edge routes by.
    public let routes: RouteTable
    /// Certificates: uploads, and the certificate work told about additions and removals (nil: no certificates).
    public let certificates: DomainCertificateWork?

    public init(domains: any DomainRepository, rules: DomainRules, routes: RouteTable, certificates: DomainCertificateWork? = nil) {
        self.domains = domains
        self.rules = rules
        self.routes = routes
        self.certificates = certificates
    }

    /// Validates and adds a domain to `project` (production, or `branch`'s latest deployment), then routes it. A
    /// hostname that any project of the install has is a 409.
    public func add(hostname: String, branch: String?, to project: Project) async throws -> Domain {
        var problems: [FieldProblem] = []
        var validHostname = ""
        var validBranch: String?
        do { validHostname = try rules.hostname(hostname) } catch { problems.append(contentsOf: error.problems) }
        do { validBranch = try rules.branch(branch) } catch { problems.append(contentsOf: error.problems) }
        if !problems.isEmpty { throw SlipwayError.invalid(problems) }
        let domain = try await domains.create(NewDomain(hostname: validHostname, projectID: project.id, branch: validBranch))
        routes.setCustomDomain(domain.hostname, DomainRoute(projectName: project.name, branch: domain.branch))
        certificates?.observer.domainAdded(domain)
        return domain
    }

    /// The project's domains, by hostname.
    public func list(of project: Project) async throws -> [Domain] {
        try await domains.domains(projectID: project.id)
    }

    /// One domain of the project by the name in a request (normalised like a new one); 404 when it has none such.
    public func domain(_ reference: String, of project: Project) async throws -> Domain {
        guard let hostname = DomainRules.normalized(reference), let domain = try await domains.domain(hostname: hostname, projectID: project.id)
        else { throw Self.notFound(reference) }
        return domain
    }

    /// Removes a domain of the project; the edge stops serving it at once.
    public func remove(_ reference: String, of project: Project) async throws {
        guard let hostname = DomainRules.normalized(reference), try await domains.delete(hostname: hostname, projectID: project.id)
        else { throw Self.notFound(reference) }
        routes.removeCustomDomain(hostname)
        certificates?.observer.domainRemoved(hostname: hostname)
    }

    /// Replaces a domain's certificate with an uploaded chain and key, once checked (422 naming `certificate` or
    /// `private_key`); it is served from the next handshake on and never replaced by ACME.
    public func uploadCertificate(chainPEM: String, privateKeyPEM: String, for reference: String, of project: Project) async throws -> Domain {
        let domain = try await domain(reference, of: project)
        guard let work = certificates else { throw SlipwayError.conflict("this server does not serve HTTPS: certificates cannot be uploaded") }
        let checked: CheckedCertificate
        do {
            checked = try work.checker.check(chainPEM: chainPEM, privateKeyPEM: privateKeyPEM, hostname: domain.hostname, at: work.now())
        } catch {
            throw SlipwayError.invalid(error.field, error.message)
        }
        let state = CertificateState(status: .issued, notAfter: checked.notAfter, issuer: checked.issuer, source: .uploaded)
        let certificate = StoredCertificate(hostname: domain.hostname, chainPEM: chainPEM, privateKeyPEM: privateKeyPEM)
        guard try await work.certificates.storeCertificate(certificate, state: state) else { throw Self.notFound(reference) }
        work.observer.certificateStored(certificate)
        var updated = domain
        updated.certificate = state
        return updated
    }

    /// The DNS record to create for `domain` of `project`.
    public func dnsRecord(for domain: Domain, of project: Project) -> DomainDNSRecord {
        DomainDNSRecord.record(for: domain.hostname, projectName: project.name, platformDomain: rules.platformDomain)
    }

    private static func notFound(_ reference: String) -> SlipwayError {
        let shown = reference.count > 80 ? String(reference.prefix(80)) + "…" : reference
        return SlipwayError.notFound("domain '\(shown)' not found")
    }
}

extension SlipwayError {
    /// The field problems of an `invalid` error (none for the others).
    var problems: [FieldProblem] {
        if case .invalid(let problems) = self { return problems }
        return []
    }
}
