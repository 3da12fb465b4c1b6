public import Foundation

/// The custom domains of projects (migration 15). A hostname is unique on the install: the store's unique index
/// decides between concurrent additions.
public protocol DomainRepository: Sendable {
    /// Stores a new domain with a `pending` certificate; `SlipwayError.conflict` when any project of the install
    /// has the hostname already.
    func create(_ domain: NewDomain) async throws -> Domain
    /// The project's domains, by hostname.
    func domains(projectID: Int64) async throws -> [Domain]
    /// One domain of the project, by its (normalised) hostname.
    func domain(hostname: String, projectID: Int64) async throws -> Domain?
    /// Removes one domain of the project; false when it has none by that name.
    func delete(hostname: String, projectID: Int64) async throws -> Bool
    /// Removes the domain named `hostname` if a project other than `projectID` has it (a takeover by a workspace that
    /// proved the name); returns it.
    func release(hostname: String, exceptProjectID projectID: Int64) async throws -> Domain?
    /// Records that the project's domain was proven at `date`; false when the project has no such domain.
    func setVerified(hostname: String, projectID: Int64, at date: Date) async throws -> Bool
    /// Every verified domain of the install with what the edge routes it by, for the route table at start-up.
    func routes() async throws -> [String: DomainRoute]
    /// Every domain of the install, by hostname (for the certificate work).
    func allDomains() async throws -> [Domain]
    /// Records where a domain's certificate stands; false when no domain has that hostname.
    func setCertificate(_ certificate: CertificateState, hostname: String) async throws -> Bool
}
