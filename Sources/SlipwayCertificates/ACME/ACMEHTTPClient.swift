public import AsyncHTTPClient
import NIOCore
import NIOSSL

/// The HTTP client the ACME client talks through: no redirects followed, and optionally a private CA's certificate
/// trusted (`--acme-ca-file`, pebble in tests). The caller owns it and shuts it down.
public enum ACMEHTTPClient {
    /// A client trusting the system's roots, or, when `trustedCertificatesPEM` is given, only those certificates.
    public static func make(trustedCertificatesPEM: String? = nil) throws -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let trustedCertificatesPEM {
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(trustedCertificatesPEM.utf8)))
        }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls, redirectConfiguration: .disallow)
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(60))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }
}
