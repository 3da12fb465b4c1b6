import Foundation
import SlipwayEdge
import Synchronization
import Testing

/// The custom domains' certificates in memory: served by exact name, redirected while valid, changed one by one.
@Suite struct StoredCertificateSourceTests {
    @Test func aHostnameGetsItsOwnCertificateAndIsRedirectedOnlyWhileItIsValid() async throws {
        let ca = try await TestCA.make()
        defer { ca.remove() }
        let shop = try await ca.issue(["shop.example.test"], file: "shop")
        let certificate = try EdgeCertificate(chainPEM: shop.certificatePEM, privateKeyPEM: shop.keyPEM)
        let now = Mutex(Date())
        let source = StoredCertificateSource(now: { now.withLock { $0 } })

        #expect(source.certificate(forServerName: "shop.example.test", applicationProtocols: ["http/1.1"]) == nil)
        #expect(source.redirectsToHTTPS(host: "shop.example.test") == false)
        source.set(certificate, hostname: "shop.example.test")
        #expect(source.certificate(forServerName: "shop.example.test", applicationProtocols: ["http/1.1"]) === certificate)
        #expect(source.certificate(forServerName: "www.shop.example.test", applicationProtocols: []) == nil)
        #expect(source.certificate(forServerName: nil, applicationProtocols: []) == nil)
        #expect(source.defaultCertificate == nil)
        #expect(source.redirectsToHTTPS(host: "shop.example.test"))
        #expect(source.redirectsToHTTPS(host: "other.example.test") == false)

        // Past its expiry the name is no longer sent to HTTPS (a certificate the renewal could not replace).
        now.withLock { $0 = Date(timeIntervalSince1970: Double(certificate.notValidAfter) + 1) }
        #expect(source.redirectsToHTTPS(host: "shop.example.test") == false)

        source.remove(hostname: "shop.example.test")
        #expect(source.certificate(hostname: "shop.example.test") == nil)
        source.replaceAll(["a.example.test": certificate, "b.example.test": certificate])
        #expect(source.hostnames == ["a.example.test", "b.example.test"])
    }

    @Test func aWildcardDomainsCertificateServesTheNamesOneLabelUnderItAfterTheirOwn() async throws {
        let ca = try await TestCA.make()
        defer { ca.remove() }
        let wildcardIssued = try await ca.issue(["*.example.test"], file: "wildcard")
        let shopIssued = try await ca.issue(["shop.example.test"], file: "shop")
        let wildcard = try EdgeCertificate(chainPEM: wildcardIssued.certificatePEM, privateKeyPEM: wildcardIssued.keyPEM)
        let shop = try EdgeCertificate(chainPEM: shopIssued.certificatePEM, privateKeyPEM: shopIssued.keyPEM)
        let now = Mutex(Date())
        let source = StoredCertificateSource(now: { now.withLock { $0 } })
        source.replaceAll(["*.example.test": wildcard, "shop.example.test": shop])

        #expect(source.certificate(forServerName: "a.example.test", applicationProtocols: []) === wildcard)
        #expect(source.certificate(forServerName: "shop.example.test", applicationProtocols: []) === shop)
        #expect(source.certificate(forServerName: "example.test", applicationProtocols: []) == nil)
        #expect(source.certificate(forServerName: "b.a.example.test", applicationProtocols: []) == nil)
        #expect(source.redirectsToHTTPS(host: "a.example.test"))
        #expect(source.redirectsToHTTPS(host: "example.test") == false)
        #expect(source.redirectsToHTTPS(host: "b.a.example.test") == false)
        // The exact name's lookup stays exact (the certificate work asks whether the name has one of its own).
        #expect(source.certificate(hostname: "a.example.test") == nil)

        now.withLock { $0 = Date(timeIntervalSince1970: Double(wildcard.notValidAfter) + 1) }
        #expect(source.redirectsToHTTPS(host: "a.example.test") == false)

        source.remove(hostname: "*.example.test")
        #expect(source.certificate(forServerName: "a.example.test", applicationProtocols: []) == nil)
    }

    @Test func storedCertificatesComeBeforeTheFileCertificateInTheCombinedSource() async throws {
        let ca = try await TestCA.make()
        defer { ca.remove() }
        let wildcard = try await ca.issue(["*.example.test"], file: "wildcard")
        let shop = try await ca.issue(["shop.example.test"], file: "shop")
        let file = try FileCertificateSource(certificatePath: wildcard.certificatePath, keyPath: wildcard.keyPath)
        let stored = StoredCertificateSource()
        let own = try EdgeCertificate(chainPEM: shop.certificatePEM, privateKeyPEM: shop.keyPEM)
        stored.set(own, hostname: "shop.example.test")
        let combined = CombinedCertificateSource([stored, file])
        #expect(combined.certificate(forServerName: "shop.example.test", applicationProtocols: []) === own)
        #expect(combined.certificate(forServerName: "blog.example.test", applicationProtocols: []) === file.certificate)
        #expect(combined.defaultCertificate === file.certificate)
    }
}
