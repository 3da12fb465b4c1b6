import Synchronization

/// The ACME challenges the edge answers itself, registered by the ACME client while an order is validated:
/// - HTTP-01 (RFC 8555 §8.3): `GET /.well-known/acme-challenge/<token>` on the plain HTTP port, for any host,
///   answers the key authorization as `text/plain` (before host routing and before the redirect to HTTPS);
/// - TLS-ALPN-01 (RFC 8737): a TLS connection whose hello offers exactly `acme-tls/1` for a registered name gets
///   that name's challenge certificate, negotiates `acme-tls/1`, and is closed after the handshake.
/// In memory and thread-safe: one registry for the whole edge.
public final class ACMEChallenges: Sendable {
    /// The path prefix of HTTP-01 challenges.
    public static let http01PathPrefix = "/.well-known/acme-challenge/"

    private let http01 = Mutex<[String: String]>([:])
    private let tlsALPN01 = Mutex<[String: EdgeCertificate]>([:])

    /// An empty registry.
    public init() {}

    /// Answers `GET /.well-known/acme-challenge/<token>` with `keyAuthorization` until removed.
    public func setHTTP01(token: String, keyAuthorization: String) {
        http01.withLock { $0[token] = keyAuthorization }
    }

    /// Stops answering the HTTP-01 challenge `token`.
    public func removeHTTP01(token: String) {
        http01.withLock { $0[token] = nil }
    }

    /// The key authorization registered for `token`, if any.
    public func keyAuthorization(token: String) -> String? {
        http01.withLock { $0[token] }
    }

    /// Serves the TLS-ALPN-01 challenge certificate (with its `acmeIdentifier` extension, made by the ACME client) for
    /// `domain` until removed; throws when the PEM cannot be used (`EdgeCertificateError`).
    public func setTLSALPN01(domain: String, certificateChainPEM: String, privateKeyPEM: String) throws {
        let certificate = try EdgeCertificate(chainPEM: certificateChainPEM, privateKeyPEM: privateKeyPEM, purpose: .acmeTLSALPN01)
        let name = Self.normalized(domain)
        tlsALPN01.withLock { $0[name] = certificate }
    }

    /// Stops serving the TLS-ALPN-01 challenge for `domain`.
    public func removeTLSALPN01(domain: String) {
        let name = Self.normalized(domain)
        tlsALPN01.withLock { $0[name] = nil }
    }

    /// The challenge certificate registered for `domain`, if any.
    func tlsALPN01Certificate(domain: String) -> EdgeCertificate? {
        tlsALPN01.withLock { $0[domain] }
    }

    private static func normalized(_ domain: String) -> String {
        var name = domain.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        return name
    }
}
