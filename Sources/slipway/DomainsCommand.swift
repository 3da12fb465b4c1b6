import ArgumentParser
import Foundation
import SlipwayClient

/// `slipway domains add|list|rm|certificate PROJECT [DOMAIN]`: a project's custom domains, with the DNS record to
/// create and the certificate's state.
struct DomainsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "domains",
        abstract: "Manage a project's custom domains.",
        discussion: """
            A custom domain serves the project's production deployment (or the latest deployment of a branch, with
            --branch) exactly as its own URL does. Point the domain's DNS at this server (the command prints the
            record to create); a hostname belongs to one project of the server. A wildcard, '*.example.com', serves
            every name one label under it and needs its certificate uploaded with it. See docs/domains.md.

            Examples:
              slipway domains add shop shop.example.com
              slipway domains add shop staging.example.com --branch staging
              slipway domains add shop '*.example.com' --certificate chain.pem --private-key key.pem
              slipway domains certificate shop '*.example.com' --certificate chain.pem --private-key key.pem
              slipway domains list shop
              slipway domains rm shop staging.example.com
            """,
        subcommands: [
            DomainsAddCommand.self, DomainsListCommand.self, DomainsVerifyCommand.self, DomainsRemoveCommand.self, DomainsCertificateCommand.self,
        ]
    )

    /// The lines that describe a domain: what it serves, the DNS record to create, the certificate's state.
    static func describe(_ domain: DomainInfo) -> [String] {
        var lines = ["\(domain.hostname) → \(domain.branch.map { "branch \($0)" } ?? "production")"]
        lines.append("  DNS: " + record(domain.dns))
        if let verification = domain.verification, verification.status != "verified", let name = verification.name, let value = verification.value {
            lines.append("  ownership: not verified: create TXT \(name) \"\(value)\", then run slipway domains verify")
        }
        lines.append("  certificate: " + certificate(domain.certificate))
        return lines
    }

    /// `CNAME shop.example.com → shop.slipway.example.net`, or the note of an apex.
    static func record(_ record: DomainInfo.DNSRecord) -> String {
        if let value = record.value { return "\(record.type) \(record.name) → \(value)" }
        return "\(record.type) \(record.name): \(record.note)"
    }

    /// `pending (acme)`, `issued by X until T`, `failed: why (next attempt T)`.
    static func certificate(_ certificate: DomainInfo.Certificate) -> String {
        var text = certificate.status
        if let issuer = certificate.issuer { text += " by \(issuer)" }
        if let notAfter = certificate.notAfter { text += " until \(notAfter)" }
        if let lastError = certificate.lastError { text += ": \(lastError)" }
        if let failures = certificate.failedAttempts, failures > 1 { text += " (\(failures) failed attempts in a row)" }
        if let next = certificate.nextAttemptAt { text += " (next attempt \(next))" }
        return text + " [\(certificate.source)]"
    }
}

/// `--certificate FILE --private-key FILE`: a certificate to upload, read from two PEM files.
struct CertificateFileOptions: ParsableArguments {
    @Option(help: "The certificate chain's PEM file, leaf first.") var certificate: String?
    @Option(name: .customLong("private-key"), help: "The private key's PEM file.") var privateKey: String?

    func validate() throws {
        if (certificate == nil) != (privateKey == nil) { throw ValidationError("give --certificate and --private-key together") }
    }

    /// The two files' text; nil when neither is given.
    func read() throws -> CertificateFiles? {
        guard let certificate, let privateKey else { return nil }
        return CertificateFiles(chainPEM: try Self.text(of: certificate), privateKeyPEM: try Self.text(of: privateKey))
    }

    private static func text(of path: String) throws -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw CommandError("cannot read \(path): \(error.localizedDescription)")
        }
    }
}

/// `slipway domains add PROJECT DOMAIN [--branch B] [--certificate FILE --private-key FILE]`.
struct DomainsAddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Add a custom domain to a project and print the DNS record to create.",
        discussion: """
            A wildcard ('*.example.com', quoted for the shell) needs its certificate: --certificate and --private-key.
            Any other domain may bring one too; without, it gets one through ACME when the server has it on.

            Examples:
              slipway domains add shop shop.example.com
              slipway domains add shop staging.example.com --branch staging
              slipway domains add shop '*.example.com' --certificate chain.pem --private-key key.pem
            """
    )

    @Argument(help: "The project's name or id.") var project: String
    @Argument(help: "The host name, e.g. shop.example.com, or a wildcard, '*.example.com'.") var domain: String
    @Option(help: "Serve this branch's latest deployment instead of production.") var branch: String?
    @OptionGroup var certificate: CertificateFileOptions
    @Flag(help: "Print the domain as JSON.") var json = false
    @OptionGroup var client: ClientOptions

    func run() async throws {
        let api = try client.makeClient()
        let files = try certificate.read()
        let added = try await reportingErrors {
            try await api.addDomain(project: project, hostname: domain, branch: branch, certificate: files)
        }
        if json { return try Output.json(added) }
        print(Output.paint("✓ Added \(added.hostname)", code: "32"))
        DomainsCommand.describe(added).dropFirst().forEach { print($0) }
    }
}

/// `slipway domains list PROJECT`.
struct DomainsListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List a project's custom domains with their DNS records and certificates.",
        discussion: "Examples:\n  slipway domains list shop\n  slipway domains list shop --json"
    )

    @Argument(help: "The project's name or id.") var project: String
    @Flag(help: "Print as JSON.") var json = false
    @OptionGroup var client: ClientOptions

    func run() async throws {
        let api = try client.makeClient()
        let domains = try await reportingErrors { try await api.domains(project: project) }
        if json { return try Output.json(domains) }
        if domains.isEmpty { return print("No custom domains.") }
        Output.table(
            ["DOMAIN", "SERVES", "OWNERSHIP", "DNS", "CERTIFICATE", "NOT AFTER", "NEXT ATTEMPT", "LAST ERROR"],
            domains.map {
                [
                    $0.hostname, $0.branch.map { "branch \($0)" } ?? "production", $0.verification?.status ?? "-", DomainsCommand.record($0.dns),
                    "\($0.certificate.status) [\($0.certificate.source)]", $0.certificate.notAfter ?? "-", $0.certificate.nextAttemptAt ?? "-",
                    $0.certificate.lastError ?? "-",
                ]
            }
        )
    }
}

/// `slipway domains verify PROJECT DOMAIN`.
struct DomainsVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Check a custom domain's ownership record (TXT) now; verified, it is served from then on.",
        discussion: "Example:\n  slipway domains verify shop shop.example.com"
    )

    @Argument(help: "The project's name or id.") var project: String
    @Argument(help: "The host name.") var domain: String
    @Flag(help: "Print the domain as JSON.") var json = false
    @OptionGroup var client: ClientOptions

    func run() async throws {
        let api = try client.makeClient()
        let verified = try await reportingErrors { try await api.verifyDomain(project: project, hostname: domain) }
        if json { return try Output.json(verified) }
        print(Output.paint("✓ \(verified.hostname) is verified", code: "32"))
        DomainsCommand.describe(verified).dropFirst().forEach { print($0) }
    }
}

/// `slipway domains rm PROJECT DOMAIN`.
struct DomainsRemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm", abstract: "Remove a custom domain from a project; it stops being served at once.",
        discussion: "Example:\n  slipway domains rm shop staging.example.com"
    )

    @Argument(help: "The project's name or id.") var project: String
    @Argument(help: "The host name.") var domain: String
    @OptionGroup var client: ClientOptions

    func run() async throws {
        let api = try client.makeClient()
        _ = try await reportingErrors { try await api.removeDomain(project: project, hostname: domain) }
        print("Removed \(domain).")
    }
}

/// `slipway domains certificate PROJECT DOMAIN --certificate FILE --private-key FILE`.
struct DomainsCertificateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certificate", abstract: "Upload a custom domain's certificate, replacing the one it has; ACME never replaces it.",
        discussion: "Example:\n  slipway domains certificate shop '*.example.com' --certificate chain.pem --private-key key.pem"
    )

    @Argument(help: "The project's name or id.") var project: String
    @Argument(help: "The host name.") var domain: String
    @OptionGroup var certificate: CertificateFileOptions
    @Flag(help: "Print the domain as JSON.") var json = false
    @OptionGroup var client: ClientOptions

    func validate() throws {
        if certificate.certificate == nil || certificate.privateKey == nil { throw ValidationError("give --certificate and --private-key") }
    }

    func run() async throws {
        let api = try client.makeClient()
        guard let files = try certificate.read() else { throw ValidationError("give --certificate and --private-key") }
        let updated = try await reportingErrors { try await api.uploadCertificate(project: project, hostname: domain, certificate: files) }
        if json { return try Output.json(updated) }
        print(Output.paint("✓ Certificate of \(updated.hostname) stored", code: "32"))
        print("  certificate: " + DomainsCommand.certificate(updated.certificate))
    }
}
