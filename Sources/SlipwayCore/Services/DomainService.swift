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
    /// hostname that any project of the install has is a 409. A certificate may come with it (`certificatePEM` and
    /// `privateKeyPEM`, checked as an upload is); a wildcard (`*.example.com`) must bring one, since ACME cannot issue
    /// it. The domain and its certificate are stored together or not at all.
    public func add(
        hostname: String, branch: String?, certificatePEM: String? = nil, privateKeyPEM: String? = nil, to project: Project
    ) async throws -> Domain {
        var problems: [FieldProblem] = []
        var validHostname = ""
        var validBranch: String?
        do { validHostname = try rules.hostname(hostname) } catch { problems.append(contentsOf: error.problems) }
        do { validBranch = try rules.branch(branch) } catch { problems.append(contentsOf: error.problems) }
        if certificatePEM == nil, DomainRules.isWildcard(validHostname) || privateKeyPEM != nil {
            let reason = privateKeyPEM == nil ? "for a wildcard domain: ACME cannot issue one, so it is uploaded with it" : "with private_key"
            problems.append(FieldProblem(field: "certificate", message: "is required \(reason)"))
        }
        if privateKeyPEM == nil, certificatePEM != nil || DomainRules.isWildcard(validHostname) {
            problems.append(FieldProblem(field: "private_key", message: "is required with certificate"))
        }
        if !problems.isEmpty { throw SlipwayError.invalid(problems) }
        let new = NewDomain(hostname: validHostname, projectID: project.id, branch: validBranch)
        let domain: Domain
        var stored: StoredCertificate?
        if let certificatePEM, let privateKeyPEM {
            let (certificate, state) = try checkedUpload(chainPEM: certificatePEM, privateKeyPEM: privateKeyPEM, hostname: validHostname)
            guard let work = certificates else { throw Self.noCertificates }
            domain = try await work.certificates.createDomain(new, certificate: certificate, state: state)
            stored = certificate
        } else {
            domain = try await domains.create(new)
        }
        routes.setCustomDomain(domain.hostname, DomainRoute(projectName: project.name, branch: domain.branch))
        if let stored { certificates?.observer.certificateStored(stored) }
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
        let (certificate, state) = try checkedUpload(chainPEM: chainPEM, privateKeyPEM: privateKeyPEM, hostname: domain.hostname)
        guard let work = certificates else { throw Self.noCertificates }
        guard try await work.certificates.storeCertificate(certificate, state: state) else { throw Self.notFound(reference) }
        work.observer.certificateStored(certificate)
        var updated = domain
        updated.certificate = state
        return updated
    }

    /// An uploaded chain and key for `hostname`, checked (a 422 naming `certificate` or `private_key`), with the state
    /// it gives its domain: `issued` from `uploaded`.
    private func checkedUpload(chainPEM: String, privateKeyPEM: String, hostname: String) throws -> (StoredCertificate, CertificateState) {
        guard let work = certificates else { throw Self.noCertificates }
        let checked: CheckedCertificate
        do {
            checked = try work.checker.check(chainPEM: chainPEM, privateKeyPEM: privateKeyPEM, hostname: hostname, at: work.now())
        } catch {
            throw SlipwayError.invalid(error.field, error.message)
        }
        let state = CertificateState(status: .issued, notAfter: checked.notAfter, issuer: checked.issuer, source: .uploaded)
        return (StoredCertificate(hostname: hostname, chainPEM: chainPEM, privateKeyPEM: privateKeyPEM), state)
    }

    private static let noCertificates = SlipwayError.conflict("this server does not serve HTTPS: certificates cannot be uploaded")

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
