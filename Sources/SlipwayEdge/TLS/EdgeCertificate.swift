import NIOCore
public import NIOSSL

/// A certificate chain and its private key, ready for handshakes: the TLS context for it is made once, when the
/// certificate is loaded (a mismatched key or an unreadable PEM fails then, not on a client's connection), and every
/// connection that is given this certificate uses it.
public final class EdgeCertificate: Sendable {
    /// What a connection given this certificate will speak.
    public enum Purpose: Sendable {
        /// HTTP: TLS 1.2 and 1.3, ALPN `h2` (preferred) and `http/1.1`.
        case http
        /// An ACME TLS-ALPN-01 challenge (RFC 8737): ALPN `acme-tls/1` only; the connection closes after the handshake.
        case acmeTLSALPN01
    }

    /// The chain, leaf first.
    public let chain: [NIOSSLCertificate]
    /// The DNS names the leaf is valid for (its subject alternative names), lower case.
    public let dnsNames: [String]
    /// The leaf's expiry, in seconds since 1970.
    public let notValidAfter: Int
    let purpose: Purpose
    let context: NIOSSLContext

    /// The application protocols a connection for `purpose` may negotiate, in the server's order of preference.
    /// How long a connection the edge closes waits for the client's close_notify (or for its last bytes to drain)
    /// before its socket is closed anyway. NIO's TLS handler keeps the connection's TLS state (about 60 KiB) for that
    /// long even when the client has gone: NIO's 5 seconds made 5 seconds' worth of closed connections resident under
    /// churn (about 300 MiB at a thousand handshakes a second). Clients that answer close_notify end it at once.
    static let shutdownTimeout = TimeAmount.seconds(1)

    static func applicationProtocols(for purpose: Purpose) -> [String] {
        switch purpose {
        case .http: ["h2", "http/1.1"]
        case .acmeTLSALPN01: ["acme-tls/1"]
        }
    }

    /// A certificate from its chain (leaf first) and key; throws when the chain is empty or the key does not fit.
    public init(chain: [NIOSSLCertificate], privateKey: NIOSSLPrivateKey, purpose: Purpose = .http) throws {
        guard let leaf = chain.first else { throw EdgeCertificateError.noCertificate }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
        configuration.minimumTLSVersion = .tlsv12
        configuration.shutdownTimeout = Self.shutdownTimeout
        configuration.applicationProtocols = Self.applicationProtocols(for: purpose)
        do {
            self.context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw EdgeCertificateError.keyDoesNotMatch("\(error)")
        }
        self.chain = chain
        self.purpose = purpose
        self.notValidAfter = Int(leaf.notValidAfter)
        var names: [String] = []
        for name in leaf._subjectAlternativeNames() where name.nameType == .dnsName {
            names.append(String(decoding: name.contents, as: UTF8.self).lowercased())
        }
        self.dnsNames = names
    }

    /// A certificate from PEM text: the chain (leaf first) and the private key.
    public convenience init(chainPEM: String, privateKeyPEM: String, purpose: Purpose = .http) throws {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMBytes(Array(chainPEM.utf8))
        } catch {
            throw EdgeCertificateError.unreadableCertificate("\(error)")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(bytes: Array(privateKeyPEM.utf8), format: .pem)
        } catch {
            throw EdgeCertificateError.unreadableKey("\(error)")
        }
        try self.init(chain: chain, privateKey: key, purpose: purpose)
    }

    /// Whether the leaf names `host` (lower case, without port): exactly, or by a wildcard `*.parent` for one label
    /// (RFC 6125 §6.4.3: `*.example.com` covers `a.example.com`, not `example.com` nor `a.b.example.com`).
    public func covers(host: String) -> Bool {
        for name in dnsNames {
            if name == host { return true }
            if name.hasPrefix("*."), let dot = host.firstIndex(of: "."), host[host.index(after: dot)...] == name.dropFirst(2),
                dot > host.startIndex
            {
                return true
            }
        }
        return false
    }
}

/// Why a certificate could not be loaded, in words.
public enum EdgeCertificateError: Error, CustomStringConvertible, Equatable {
    case noCertificate
    case unreadableCertificate(String)
    case unreadableKey(String)
    case keyDoesNotMatch(String)

    public var description: String {
        switch self {
        case .noCertificate: "the PEM holds no certificate"
        case .unreadableCertificate(let reason): "the certificate is not a readable PEM (\(reason))"
        case .unreadableKey(let reason): "the private key is not a readable PEM (\(reason))"
        case .keyDoesNotMatch(let reason): "the private key does not match the certificate (\(reason))"
        }
    }
}
