import ArgumentParser
import SlipwayServer

/// The flags of `slipway serve` for HTTPS: the listener's port, the certificate files, HSTS, ACME for custom domains. Each has a `SLIPWAY_*`
/// variable; a flag wins over it.
struct ServeHTTPSOptions: ParsableArguments {
    @Option(help: "The HTTPS port beside --port (default none; 443 in production; SLIPWAY_HTTPS_PORT).")
    var httpsPort: Int?
    @Option(help: "A PEM certificate chain: the default certificate, and the one for the names it covers; reloaded on SIGHUP (SLIPWAY_TLS_CERT).")
    var tlsCert: String?
    @Option(help: "The PEM private key of --tls-cert (SLIPWAY_TLS_KEY).")
    var tlsKey: String?
    @Flag(help: "HTTPS answers carry Strict-Transport-Security: max-age=31536000 (default off; SLIPWAY_HSTS=1).")
    var hsts: Bool = false
    @Option(help: "The ACME CA's directory URL for custom domains' certificates (default Let's Encrypt production; SLIPWAY_ACME_DIRECTORY).")
    var acmeDirectory: String?
    @Option(help: "The ACME account's contact e-mail address (SLIPWAY_ACME_EMAIL).")
    var acmeEmail: String?
    @Flag(help: "Agree to the ACME CA's terms of service; without it no certificate is requested (SLIPWAY_ACME_ACCEPT_TERMS=1).")
    var acmeAcceptTerms: Bool = false
    @Option(help: "A PEM CA certificate the connection to the ACME CA trusts, for a private or test CA (SLIPWAY_ACME_CA_FILE).")
    var acmeCaFile: String?
    @Option(help: "The ACME challenges offered: http-01, tls-alpn-01, or both comma-separated (default both; SLIPWAY_ACME_CHALLENGE).")
    var acmeChallenge: String?
    @Option(
        help:
            "How a workspace proves a custom domain its own: txt (a TXT record, the default) or off (one team per install; SLIPWAY_DOMAIN_VERIFICATION)."
    )
    var domainVerification: String?
    @Option(help: "The DNS server ownership records are looked up at, IP[:PORT] (default: /etc/resolv.conf's first; SLIPWAY_DNS_RESOLVER).")
    var dnsResolver: String?

    /// Sets what was given on the command line.
    func apply(to configuration: inout SlipwayConfiguration) throws {
        if let httpsPort {
            guard (0...65535).contains(httpsPort) else { throw ValidationError("--https-port must be 0-65535") }
            configuration.httpsPort = httpsPort
        }
        if let tlsCert { configuration.tlsCertificatePath = tlsCert }
        if let tlsKey { configuration.tlsKeyPath = tlsKey }
        if hsts { configuration.strictTransportSecurity = true }
        if let acmeDirectory { configuration.acme.directoryURL = acmeDirectory }
        if let acmeEmail { configuration.acme.email = acmeEmail }
        if acmeAcceptTerms { configuration.acme.acceptsTerms = true }
        if let acmeCaFile { configuration.acme.caFile = acmeCaFile }
        do {
            if let acmeChallenge { try configuration.acme.setChallenges(acmeChallenge, name: "--acme-challenge") }
            if let domainVerification { try configuration.setDomainVerification(domainVerification, name: "--domain-verification") }
            if let dnsResolver { try configuration.setDNSResolver(dnsResolver, name: "--dns-resolver") }
        } catch {
            throw ValidationError("\(error)")
        }
    }
}
