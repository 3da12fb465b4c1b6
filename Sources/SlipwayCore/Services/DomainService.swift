import Foundation

/// The use cases of custom domains: add, list, read and remove a project's domains, with the route table kept in
/// step, so that the edge serves a domain from the moment it is added until it is removed.
public struct DomainService: Sendable {
    public let domains: any DomainRepository
    public let rules: DomainRules
    /// What the edge routes by.
    public let routes: RouteTable

    public init(domains: any DomainRepository, rules: DomainRules, routes: RouteTable) {
        self.domains = domains
        self.rules = rules
        self.routes = routes
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
