import Crypto
import Foundation
import Testing

@testable import SlipwayCertificates

@Suite struct CertificateBundleTests {
    @Test func aChainSignedByItsCAWithTheLeafsKeyIsAcceptedAndDescribed() throws {
        let authority = try TestCertificateAuthority()
        let leaf = try authority.leaf(names: ["shop.example.com", "www.shop.example.com"])
        let bundle = try CertificateBundle(chainPEM: leaf.certificatePEM + authority.pem, privateKeyPEM: leaf.keyPEM)
        #expect(bundle.names == ["shop.example.com", "www.shop.example.com"])
        #expect(bundle.chainLength == 2)
        #expect(bundle.issuer.contains("CN=Slipway Test CA"))
        #expect(bundle.notBefore < Date() && Date() < bundle.notAfter)
        try bundle.check(hostname: "shop.example.com", at: Date())
        try bundle.check(hostname: "WWW.Shop.Example.com.", at: Date())
    }

    @Test func aKeyThatIsNotTheLeafsIsRefused() throws {
        let authority = try TestCertificateAuthority()
        let leaf = try authority.leaf(names: ["shop.example.com"])
        let otherKey = P256.Signing.PrivateKey().pemRepresentation
        let error = #expect(throws: CertificateBundleError.self) { try CertificateBundle(chainPEM: leaf.certificatePEM, privateKeyPEM: otherKey) }
        #expect(error == .keyDoesNotMatch)
        #expect(error?.description == "the key does not match the certificate")
    }

    @Test func aCertificateForOtherNamesIsNotValidForTheHostname() throws {
        let authority = try TestCertificateAuthority()
        let leaf = try authority.leaf(names: ["blog.example.com"])
        let bundle = try CertificateBundle(chainPEM: leaf.certificatePEM, privateKeyPEM: leaf.keyPEM)
        let error = #expect(throws: CertificateBundleError.self) { try bundle.check(hostname: "shop.example.com", at: Date()) }
        #expect(error == .notValidForName(hostname: "shop.example.com", names: ["blog.example.com"]))
        #expect(error?.description == "the certificate is not valid for shop.example.com (it is for blog.example.com)")
    }

    @Test func anExpiredCertificateSaysWhenItExpired() throws {
        let authority = try TestCertificateAuthority()
        let expiry = Date(timeIntervalSince1970: 1_700_000_000)
        let leaf = try authority.leaf(names: ["shop.example.com"], notBefore: expiry.addingTimeInterval(-86400), notAfter: expiry)
        let bundle = try CertificateBundle(chainPEM: leaf.certificatePEM, privateKeyPEM: leaf.keyPEM)
        let error = #expect(throws: CertificateBundleError.self) { try bundle.check(hostname: "shop.example.com", at: Date()) }
        #expect(error == .expired(expiry))
        #expect(error?.description == "the certificate expired on 2023-11-14T22:13:20 UTC")
        // At a moment inside its validity, the same certificate is fine.
        try bundle.check(hostname: "shop.example.com", at: expiry.addingTimeInterval(-60))
    }

    @Test func renewalIsDueWhenTwoThirdsOfTheLifeHavePassed() throws {
        let authority = try TestCertificateAuthority()
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let leaf = try authority.leaf(names: ["shop.example.com"], notBefore: start, notAfter: start.addingTimeInterval(90 * 86400))
        let bundle = try CertificateBundle(chainPEM: leaf.certificatePEM, privateKeyPEM: leaf.keyPEM)
        #expect(bundle.renewalDate == start.addingTimeInterval(60 * 86400))
    }

    @Test func aCertificateNotValidYetIsRefusedUntilItsStart() throws {
        let authority = try TestCertificateAuthority()
        let start = Date().addingTimeInterval(86400)
        let leaf = try authority.leaf(names: ["shop.example.com"], notBefore: start, notAfter: start.addingTimeInterval(86400))
        let bundle = try CertificateBundle(chainPEM: leaf.certificatePEM, privateKeyPEM: leaf.keyPEM)
        #expect(throws: CertificateBundleError.notYetValid(bundle.notBefore)) { try bundle.check(at: Date()) }
    }

    @Test func junkIsNotAPEMCertificate() throws {
        let authority = try TestCertificateAuthority()
        let leaf = try authority.leaf(names: ["shop.example.com"])
        let error = #expect(throws: CertificateBundleError.self) {
            try CertificateBundle(chainPEM: "hello, I am a certificate", privateKeyPEM: leaf.keyPEM)
        }
        #expect(error == .notPEMCertificate)
        #expect(error?.description.hasPrefix("not a PEM certificate") == true)
        // A key where the chain should be is not a certificate either.
        #expect(throws: CertificateBundleError.notPEMCertificate) { try CertificateBundle(chainPEM: leaf.keyPEM, privateKeyPEM: leaf.keyPEM) }
        // A CERTIFICATE block whose content is not a certificate.
        let garbage = "-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n"
        #expect {
            try CertificateBundle(chainPEM: garbage, privateKeyPEM: leaf.keyPEM)
        } throws: { error in
            guard case .unreadableCertificate(position: 1, _)? = error as? CertificateBundleError else { return false }
            return true
        }
        #expect(throws: CertificateBundleError.notPEMPrivateKey) { try CertificateBundle(chainPEM: leaf.certificatePEM, privateKeyPEM: "junk") }
    }

    @Test func aChainWhoseNextCertificateDidNotSignTheLeafIsBroken() throws {
        let authority = try TestCertificateAuthority()
        let stranger = try TestCertificateAuthority(commonName: "Another CA")
        let leaf = try authority.leaf(names: ["shop.example.com"])
        #expect(throws: CertificateBundleError.brokenChain(position: 1)) {
            try CertificateBundle(chainPEM: leaf.certificatePEM + stranger.pem, privateKeyPEM: leaf.keyPEM)
        }
    }

    @Test func aWildcardCoversExactlyOneLabel() throws {
        let authority = try TestCertificateAuthority()
        let leaf = try authority.leaf(names: ["*.example.com"])
        let bundle = try CertificateBundle(chainPEM: leaf.certificatePEM, privateKeyPEM: leaf.keyPEM)
        #expect(bundle.covers("shop.example.com"))
        #expect(!bundle.covers("example.com"))
        #expect(!bundle.covers("a.shop.example.com"))
        #expect(!bundle.covers("shopexample.com"))
        // A wildcard domain is covered by its own wildcard only: not by a wider, deeper or exact name.
        #expect(bundle.covers("*.example.com"))
        #expect(!bundle.covers("*.shop.example.com"))
        #expect(!bundle.covers("*.com"))
        let exactLeaf = try authority.leaf(names: ["a.example.com"])
        let exact = try CertificateBundle(chainPEM: exactLeaf.certificatePEM, privateKeyPEM: exactLeaf.keyPEM)
        #expect(!exact.covers("*.example.com"))
    }

    @Test func hostnamePatternsFollowRFC6125() {
        #expect(HostnamePattern.matches("Shop.Example.com", hostname: "shop.example.com."))
        #expect(HostnamePattern.matches("*.example.com", hostname: "x.example.com"))
        #expect(!HostnamePattern.matches("*.com", hostname: "example.com"))
        #expect(!HostnamePattern.matches("*.example.com", hostname: ".example.com"))
        #expect(!HostnamePattern.matches("s*.example.com", hostname: "shop.example.com"))
        #expect(!HostnamePattern.matches("*.*.example.com", hostname: "a.b.example.com"))
        #expect(!HostnamePattern.matches("", hostname: ""))
    }
}
