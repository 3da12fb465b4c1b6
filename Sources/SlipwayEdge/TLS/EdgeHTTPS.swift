import Synchronization

/// The edge's HTTPS settings, shared by both listeners: where certificates come from, whether HTTPS answers carry
/// HSTS, and the port the HTTPS listener is bound to (for the plain listener's redirects; known once it runs).
public final class EdgeHTTPS: Sendable {
    /// Certificates by SNI, the default one, and which hosts are redirected from HTTP.
    public let certificates: any TLSCertificateSource
    /// `Strict-Transport-Security: max-age=31536000` on every HTTPS answer (`--hsts`).
    public let strictTransportSecurity: Bool
    private let boundPort: Atomic<Int>

    /// The header line HTTPS answers carry when `strictTransportSecurity` is on.
    static let strictTransportSecurityLine = "Strict-Transport-Security: max-age=31536000\r\n"

    /// Settings for a listener on `port` (0 until it is bound: `listening(on:)` then tells the real one).
    public init(certificates: any TLSCertificateSource, strictTransportSecurity: Bool = false, port: Int = 443) {
        self.certificates = certificates
        self.strictTransportSecurity = strictTransportSecurity
        self.boundPort = Atomic(port)
    }

    /// The HTTPS listener's port.
    public var port: Int { boundPort.load(ordering: .relaxed) }

    /// The HTTPS listener is bound to `port`.
    public func listening(on port: Int) {
        boundPort.store(port, ordering: .relaxed)
    }

    /// The `https://` URL a plain request for `host` (lower case, without port) and `target` (its path and query)
    /// is redirected to: the port is written unless it is 443.
    func redirectLocation(host: String, target: String) -> String {
        let port = self.port
        // Only names a certificate covers are redirected: DNS names, never an IP literal.
        return port == 443 ? "https://\(host)\(target)" : "https://\(host):\(port)\(target)"
    }
}
