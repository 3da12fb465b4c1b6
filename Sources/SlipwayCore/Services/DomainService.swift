public import Foundation

/// The use cases of custom domains: add, list, read and remove a project's domains, with the route table kept in
/// step, so that the edge serves a domain from the moment it is added until it is removed.
public struct DomainService: Sendable {
    public let domains: any DomainRepository
    public let rules: DomainRules
    /// What the edge routes by.
    public let routes: RouteTable
    /// Certificates: uploads, and the certificate work told about additions and removals (nil: no certificates).
    public let certificates: DomainCertificateWork?
    /// How a workspace proves a name is its own.
    public let ownership: DomainOwnership
    /// The time now (when a domain was verified).
    public let now: @Sendable () -> Date

    public init(
        domains: any DomainRepository, rules: DomainRules, routes: RouteTable, certificates: DomainCertificateWork? = nil,
        ownership: DomainOwnership = .off, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.domains = domains
        self.rules = rules
        self.routes = routes
        self.certificates = certificates
        self.ownership = ownership
        self.now = now
    }

    /// Validates and adds a domain to `project` (production, or `branch`'s latest deployment). A domain whose name the
    /// workspace has proven (`ownership`: its TXT record is there now, or ownership is not checked) is verified and
    /// routed at once; another waits for `verify`. A hostname that another project has is a 409, unless the
    /// workspace proves it: then it is taken over. A certificate may come with it (`certificatePEM` and
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
        let proof = await ownership.check(validHostname, workspaceID: project.workspaceID)
        let new = NewDomain(hostname: validHostname, projectID: project.id, branch: validBranch, verifiedAt: proof == .proven ? now() : nil)
        let domain: Domain
        var stored: StoredCertificate?
        if let certificatePEM, let privateKeyPEM {
            let (certificate, state) = try checkedUpload(chainPEM: certificatePEM, privateKeyPEM: privateKeyPEM, hostname: validHostname)
            guard let work = certificates else { throw Self.noCertificates }
            domain = try await takingOverIfProven(proof, new, project: project) {
                try await work.certificates.createDomain(new, certificate: certificate, state: state)
            }
            stored = certificate
        } else {
            domain = try await takingOverIfProven(proof, new, project: project) { try await domains.create(new) }
        }
        if domain.verifiedAt != nil { serve(domain, of: project, certificate: stored) }
        return domain
    }

    /// Adds the domain through `create`; when its name is another project's and the workspace has proven it, takes
    /// it over instead (the other project's domain goes, and the edge stops serving it there). Otherwise the 409
    /// says how to prove it.
    private func takingOverIfProven(
        _ proof: DomainOwnership.Check, _ new: NewDomain, project: Project, create: () async throws -> Domain
    ) async throws -> Domain {
        do {
            return try await create()
        } catch SlipwayError.conflict(let message) {
            guard ownership.mode == .txt, let record = ownership.record(for: new.hostname, workspaceID: project.workspaceID) else {
                throw SlipwayError.conflict(message)
            }
            guard proof == .proven, new.verifiedAt != nil else {
                throw SlipwayError.conflict(
                    "\(message); if the name is yours, create the DNS record TXT \(record.name) \"\(record.value)\" and add it again to take it over")
            }
            // The other claim goes first, then the domain is added as any other (with its certificate, if it brings
            // one, in one transaction). A claim the caller has proven wrong is not worth keeping should the addition
            // then fail.
            if let released = try await domains.release(hostname: new.hostname, exceptProjectID: project.id) {
                routes.removeCustomDomain(released.hostname)
                certificates?.observer.domainRemoved(hostname: released.hostname)
            }
            return try await create()
        }
    }

    /// Routes a verified domain and tells the certificate work (its uploaded certificate, if any, is served).
    private func serve(_ domain: Domain, of project: Project, certificate: StoredCertificate?) {
        routes.setCustomDomain(domain.hostname, DomainRoute(projectName: project.name, branch: domain.branch))
        if let certificate { certificates?.observer.certificateStored(certificate) }
        certificates?.observer.domainAdded(domain)
    }

    /// Checks the ownership record of a domain not verified yet: found, the domain is verified and served at once;
    /// not found, a 409 that says what to create and what was found instead. A verified domain is answered as it is.
    public func verify(_ reference: String, of project: Project) async throws -> Domain {
        var domain = try await domain(reference, of: project)
        guard domain.verifiedAt == nil else { return domain }
        let proof = await ownership.check(domain.hostname, workspaceID: project.workspaceID)
        guard proof == .proven else {
            let record = ownership.record(for: domain.hostname, workspaceID: project.workspaceID)
            let wanted = record.map { "create the DNS record TXT \($0.name) \"\($0.value)\"" } ?? ""
            let reason = if case .notProven(let why) = proof { why } else { "" }
            throw SlipwayError.conflict("\(domain.hostname) is not verified yet: \(reason); \(wanted), then verify again")
        }
        let date = now()
        guard try await domains.setVerified(hostname: domain.hostname, projectID: project.id, at: date) else { throw Self.notFound(reference) }
        domain.verifiedAt = date
        let stored = try await certificates?.certificates.certificate(hostname: domain.hostname)
        serve(domain, of: project, certificate: stored)
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
        // Served once the name is proven (`verify` loads it then).
        if domain.verifiedAt != nil { work.observer.certificateStored(certificate) }
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
