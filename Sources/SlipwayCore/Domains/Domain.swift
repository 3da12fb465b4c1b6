public import Foundation

/// A host name of the team's own (`shop.example.com`) that serves one project: its production deployment, or the
/// latest deployment of one branch. Unique on the install.
public struct Domain: Sendable, Equatable {
    public var id: Int64
    /// The name in its ASCII form: lower case, IDNA labels as `xn--…` (see `DomainRules`).
    public var hostname: String
    public var projectID: Int64
    /// The branch whose latest deployment it serves; nil: the project's production deployment.
    public var branch: String?
    public var createdAt: Date
    /// Where its certificate stands (filled by the ACME work; `pending` until then).
    public var certificate: CertificateState
    /// When the project's workspace proved the name its own (`DomainOwnership`); until then it is neither routed nor
    /// given a certificate.
    public var verifiedAt: Date?

    public init(
        id: Int64, hostname: String, projectID: Int64, branch: String?, createdAt: Date, certificate: CertificateState = CertificateState(),
        verifiedAt: Date? = nil
    ) {
        self.id = id
        self.hostname = hostname
        self.projectID = projectID
        self.branch = branch
        self.createdAt = createdAt
        self.certificate = certificate
        self.verifiedAt = verifiedAt
    }
}

/// A domain to add, already validated and normalised (`DomainRules`).
public struct NewDomain: Sendable, Equatable {
    public var hostname: String
    public var projectID: Int64
    public var branch: String?
    /// When its ownership was proven; nil: not yet.
    public var verifiedAt: Date?

    public init(hostname: String, projectID: Int64, branch: String?, verifiedAt: Date? = nil) {
        self.hostname = hostname
        self.projectID = projectID
        self.branch = branch
        self.verifiedAt = verifiedAt
    }
}

/// What the edge needs to route a domain: the name of its project and, for a branch domain, the branch.
public struct DomainRoute: Sendable, Equatable {
    public var projectName: String
    public var branch: String?

    public init(projectName: String, branch: String?) {
        self.projectName = projectName
        self.branch = branch
    }

    /// The route key (`RouteKey`) the domain serves like: `<project>` or `<branch-slug>.<project>`.
    public var key: String {
        branch.map { RouteKey.branch($0, project: projectName) } ?? RouteKey.production(project: projectName)
    }
}

/// Where a domain's certificate stands. A new domain's is `pending` from `acme` with every other field null.
public struct CertificateState: Sendable, Equatable {
    /// The life of a certificate.
    public enum Status: String, Sendable, Codable, CaseIterable {
        /// None yet: not asked for, or being obtained for the first time.
        case pending
        /// Issued and served.
        case issued
        /// The last attempt failed (`lastError`); tried again at `nextAttemptAt`.
        case failed
        /// Being renewed; the current one is still served.
        case renewing
    }

    /// Where a certificate comes from.
    public enum Source: String, Sendable, Codable, CaseIterable {
        /// Obtained and renewed by Slipway's ACME client.
        case acme
        /// Uploaded by the team (wildcards, private CAs); never replaced by ACME.
        case uploaded
    }

    public var status: Status
    /// When the served certificate expires.
    public var notAfter: Date?
    /// Who issued it (the issuer's name).
    public var issuer: String?
    /// Why the last attempt failed, as the CA or the network said it.
    public var lastError: String?
    /// When the next attempt (a retry or a renewal) is due.
    public var nextAttemptAt: Date?
    /// Failed attempts in a row since the last success: the backoff's exponent, kept across restarts.
    public var failedAttempts: Int
    public var source: Source

    public init(
        status: Status = .pending, notAfter: Date? = nil, issuer: String? = nil, lastError: String? = nil, nextAttemptAt: Date? = nil,
        failedAttempts: Int = 0, source: Source = .acme
    ) {
        self.status = status
        self.notAfter = notAfter
        self.issuer = issuer
        self.lastError = lastError
        self.nextAttemptAt = nextAttemptAt
        self.failedAttempts = failedAttempts
        self.source = source
    }
}

/// The DNS record a team creates so that a domain reaches the install.
public struct DomainDNSRecord: Sendable, Equatable {
    /// `CNAME` for a subdomain; `A` for an apex (a CNAME is not allowed there).
    public var type: String
    /// The name the record is created on: the domain itself.
    public var name: String
    /// What it points at: the project's production host for a CNAME; nil for an apex, whose address Slipway
    /// does not know (see `note`).
    public var value: String?
    /// What to do, in words.
    public var note: String

    public init(type: String, name: String, value: String?, note: String) {
        self.type = type
        self.name = name
        self.value = value
        self.note = note
    }

    /// The record for `hostname` serving a project named `projectName` on an install at `platformDomain`. A name
    /// of two labels (`example.com`) is taken as an apex: Slipway has no list of public suffixes, so
    /// `example.co.uk` is shown a CNAME, which its DNS host may only offer as ALIAS or ANAME.
    public static func record(for hostname: String, projectName: String, platformDomain: String) -> DomainDNSRecord {
        let productionHost = RouteKey.production(project: projectName) + "." + platformDomain
        if hostname.split(separator: ".").count <= 2 {
            return DomainDNSRecord(
                type: "A", name: hostname, value: nil,
                note: "an apex domain: create an A record to this server's address (and an AAAA record for its IPv6 address), "
                    + "or an ALIAS/ANAME to \(productionHost) where your DNS host offers one")
        }
        return DomainDNSRecord(
            type: "CNAME", name: hostname, value: productionHost, note: "create a CNAME record from \(hostname) to \(productionHost)")
    }
}
