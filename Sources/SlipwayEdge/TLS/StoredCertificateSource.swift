public import Foundation
import SlipwayCore
import Synchronization

/// The certificates of custom domains, from the store, in memory by hostname: loaded at start-up before the HTTPS
/// listener serves, then changed as certificates are issued, uploaded and removed. A hostname's certificate is
/// served for that SNI name; a wildcard domain's (`*.example.com`) for a name it matches (`a.example.com`, one label)
/// that has none of its own. A plain HTTP request for a name is redirected to HTTPS while the certificate it would be
/// served is valid.
public final class StoredCertificateSource: TLSCertificateSource {
    private let certificates = Mutex<[String: EdgeCertificate]>([:])
    /// The time now, in seconds since 1970, for the validity of a redirect.
    private let now: @Sendable () -> Date

    /// An empty source; `now` is the clock the redirect's validity is judged by.
    public init(now: @escaping @Sendable () -> Date = { Date() }) {
        self.now = now
    }

    /// Serves `certificate` for `hostname` (lower case, ASCII) from the next handshake on, replacing the one before.
    public func set(_ certificate: EdgeCertificate, hostname: String) {
        certificates.withLock { $0[hostname] = certificate }
    }

    /// Stops serving a certificate for `hostname`.
    public func remove(hostname: String) {
        certificates.withLock { $0[hostname] = nil }
    }

    /// Replaces every certificate at once (the load at start-up).
    public func replaceAll(_ byHostname: [String: EdgeCertificate]) {
        certificates.withLock { $0 = byHostname }
    }

    /// The certificate served for `hostname`, if any.
    public func certificate(hostname: String) -> EdgeCertificate? {
        certificates.withLock { $0[hostname] }
    }

    /// The hostnames with a certificate.
    public var hostnames: [String] {
        certificates.withLock { $0.keys.sorted() }
    }

    /// The certificate served for `host`: its own, else the one of the wildcard that matches it.
    public func certificate(servedFor host: String) -> EdgeCertificate? {
        certificates.withLock { certificates in
            if let own = certificates[host] { return own }
            return DomainRules.wildcard(matching: host).flatMap { certificates[$0] }
        }
    }

    public func certificate(forServerName serverName: String?, applicationProtocols: [String]) -> EdgeCertificate? {
        guard let serverName else { return nil }
        return certificate(servedFor: serverName)
    }

    /// None: a connection for an unknown name gets the file certificate, or is refused.
    public var defaultCertificate: EdgeCertificate? { nil }

    public func redirectsToHTTPS(host: String) -> Bool {
        guard let certificate = certificate(servedFor: host) else { return false }
        return Double(certificate.notValidAfter) > now().timeIntervalSince1970
    }
}
