import ArgumentParser
import SlipwayServer

/// The flags of `slipway serve` for HTTPS: the listener's port, the certificate files, HSTS. Each has a `SLIPWAY_*`
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

    /// Sets what was given on the command line.
    func apply(to configuration: inout SlipwayConfiguration) throws {
        if let httpsPort {
            guard (0...65535).contains(httpsPort) else { throw ValidationError("--https-port must be 0-65535") }
            configuration.httpsPort = httpsPort
        }
        if let tlsCert { configuration.tlsCertificatePath = tlsCert }
        if let tlsKey { configuration.tlsKeyPath = tlsKey }
        if hsts { configuration.strictTransportSecurity = true }
    }
}
