/// Where the edge's HTTPS listener gets certificates: asked once per connection, with what the client's hello
/// says, before the handshake. Implementations answer from memory (the file certificate, the store's certificates
/// loaded by the ACME integration); they are called on an event loop and must not block.
public protocol TLSCertificateSource: Sendable {
    /// The certificate for a connection whose ClientHello names `serverName` (lower case, nil when the client sent no
    /// SNI) and offers `applicationProtocols`; nil when this source has none for it.
    func certificate(forServerName serverName: String?, applicationProtocols: [String]) -> EdgeCertificate?
    /// The certificate for a connection no source has one for (an unknown name, no SNI); nil: the handshake is
    /// refused with an `unrecognized_name` alert.
    var defaultCertificate: EdgeCertificate? { get }
    /// Whether a plain HTTP request for `host` (lower case, without port) is redirected to HTTPS: the host has a
    /// certificate.
    func redirectsToHTTPS(host: String) -> Bool
}

/// Several sources asked in order: the first certificate wins, the first default is the default, and a host is
/// redirected when any source says so.
public struct CombinedCertificateSource: TLSCertificateSource {
    /// The sources, in the order they are asked.
    public let sources: [any TLSCertificateSource]

    /// Combines `sources`, asked in this order.
    public init(_ sources: [any TLSCertificateSource]) {
        self.sources = sources
    }

    public func certificate(forServerName serverName: String?, applicationProtocols: [String]) -> EdgeCertificate? {
        for source in sources {
            if let certificate = source.certificate(forServerName: serverName, applicationProtocols: applicationProtocols) { return certificate }
        }
        return nil
    }

    public var defaultCertificate: EdgeCertificate? {
        for source in sources {
            if let certificate = source.defaultCertificate { return certificate }
        }
        return nil
    }

    public func redirectsToHTTPS(host: String) -> Bool {
        sources.contains { $0.redirectsToHTTPS(host: host) }
    }
}
