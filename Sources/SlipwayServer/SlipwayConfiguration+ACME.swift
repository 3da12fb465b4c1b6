public import Foundation

/// How custom domains get their certificates through ACME (RFC 8555): the CA, the account's contact, the operator's
/// agreement to the CA's terms (without it ACME is off), a CA certificate to trust, and the certificate work's timing.
public struct ACMESettings: Sendable {
    /// Let's Encrypt's production directory, the default CA.
    public static let letsEncryptProduction = "https://acme-v02.api.letsencrypt.org/directory"

    /// `--acme-directory` / `SLIPWAY_ACME_DIRECTORY`: the CA's directory URL.
    public var directoryURL: String = ACMESettings.letsEncryptProduction
    /// `--acme-email` / `SLIPWAY_ACME_EMAIL`: the account's contact address (the CA's expiry warnings go there).
    public var email: String?
    /// `--acme-accept-terms` / `SLIPWAY_ACME_ACCEPT_TERMS=1`: the operator agrees to the CA's terms of service; without
    /// it no certificate is requested and domains stay `pending` saying why.
    public var acceptsTerms: Bool = false
    /// `--acme-ca-file` / `SLIPWAY_ACME_CA_FILE`: a PEM certificate the connection to the CA trusts (a private or test
    /// CA such as pebble) in place of the system's roots.
    public var caFile: String?
    /// `--acme-challenge` / `SLIPWAY_ACME_CHALLENGE`: the challenge types offered to the CA, in order of preference
    /// (`http-01`, `tls-alpn-01`; both by default).
    public var challenges: [String] = ["http-01", "tls-alpn-01"]
    /// How long the certificate work sleeps when nothing is due and nobody wakes it (a new domain wakes it at once).
    public var idleInterval: Duration = .seconds(60)
    /// The first wait after a failed attempt; it doubles with each failure in a row, up to `longestRetryDelay`.
    public var firstRetryDelay: Duration = .seconds(60)
    /// The longest wait between failed attempts.
    public var longestRetryDelay: Duration = .seconds(6 * 3600)
    /// The time now, for certificate expiry, renewal and retries (tests move it).
    public var now: @Sendable () -> Date = { Date() }

    public init() {}

    /// The challenge type names the CA may be offered.
    public static let challengeNames = ["http-01", "tls-alpn-01"]

    /// Sets `challenges` from `http-01`, `tls-alpn-01` or both comma-separated; `name` is named in the error.
    public mutating func setChallenges(_ text: String, name: String) throws {
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard !names.isEmpty, names.allSatisfy(Self.challengeNames.contains) else {
            throw ConfigurationError("\(name) must be http-01, tls-alpn-01 or both comma-separated, got '\(text)'")
        }
        challenges = names
    }
}

extension SlipwayConfiguration {
    /// `SLIPWAY_ACME_DIRECTORY`, `SLIPWAY_ACME_EMAIL`, `SLIPWAY_ACME_ACCEPT_TERMS`, `SLIPWAY_ACME_CA_FILE` and
    /// `SLIPWAY_ACME_CHALLENGE`.
    mutating func readACME(from environment: [String: String]) throws {
        if let value = environment["SLIPWAY_ACME_DIRECTORY"], !value.isEmpty { acme.directoryURL = value }
        if let value = environment["SLIPWAY_ACME_EMAIL"], !value.isEmpty { acme.email = value }
        if let value = environment["SLIPWAY_ACME_CA_FILE"], !value.isEmpty { acme.caFile = value }
        if let value = environment["SLIPWAY_ACME_CHALLENGE"], !value.isEmpty { try acme.setChallenges(value, name: "SLIPWAY_ACME_CHALLENGE") }
        if let value = environment["SLIPWAY_ACME_ACCEPT_TERMS"], !value.isEmpty {
            switch value.lowercased() {
            case "1", "true", "yes", "on": acme.acceptsTerms = true
            case "0", "false", "no", "off": acme.acceptsTerms = false
            default: throw ConfigurationError("SLIPWAY_ACME_ACCEPT_TERMS must be 1 or 0, got '\(value)'")
            }
        }
    }

    /// Why no certificate is requested through ACME (recorded as the `lastError` of pending domains).
    var acmeOffReason: String {
        if httpsPort == nil {
            return "HTTPS is off: this server was started without --https-port, so no certificate is requested or served"
        }
        return "ACME is off: this server was started without --acme-accept-terms (agreeing to the CA's terms of service); "
            + "restart it with --acme-accept-terms, or upload a certificate"
    }

    /// Checks the ACME settings against the rest: ACME needs the HTTPS listener (certificates are served there, and
    /// TLS-ALPN-01 is answered there) and a directory URL over HTTPS; the CA file must be readable. Returns the CA
    /// file's PEM, if any.
    func checkACME() throws -> String? {
        guard acme.acceptsTerms else { return nil }
        guard httpsPort != nil else {
            throw StartupError("--acme-accept-terms needs --https-port (or SLIPWAY_HTTPS_PORT): certificates are served on the HTTPS listener")
        }
        guard let url = URL(string: acme.directoryURL), url.scheme == "https", url.host != nil else {
            throw StartupError("--acme-directory must be an https:// URL, got '\(acme.directoryURL)'")
        }
        guard let caFile = acme.caFile else { return nil }
        do {
            return try String(contentsOfFile: caFile, encoding: .utf8)
        } catch {
            throw StartupError("--acme-ca-file: \(caFile) cannot be read (\(error.localizedDescription))")
        }
    }
}
