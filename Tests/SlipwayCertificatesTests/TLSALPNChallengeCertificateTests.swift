import Crypto
import Foundation
import SwiftASN1
import Testing
import X509

@testable import SlipwayCertificates

@Suite struct TLSALPNChallengeCertificateTests {
    @Test func theCertificateNamesTheHostAndCarriesTheCriticalAcmeIdentifier() throws {
        let keyAuthorization = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA.NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        let made = try TLSALPNChallengeCertificate.make(name: "shop.example.com", keyAuthorization: keyAuthorization)
        let certificate = try Certificate(pemEncoded: made.certificatePEM)
        #expect(certificate.issuer == certificate.subject)
        #expect(certificate.publicKey.isValidSignature(certificate.signature, for: certificate))
        #expect(try certificate.extensions.subjectAlternativeNames == SubjectAlternativeNames([.dnsName("shop.example.com")]))

        let acmeIdentifier = try #require(certificate.extensions[oid: [1, 3, 6, 1, 5, 5, 7, 1, 31]])
        #expect(acmeIdentifier.critical)
        // DER OCTET STRING (tag 0x04, length 32) of SHA-256 of the key authorization, as RFC 8737 §3 specifies.
        let digest = Array(SHA256.hash(data: Data(keyAuthorization.utf8)))
        #expect(Array(acmeIdentifier.value) == [0x04, 0x20] + digest)

        // The key is the certificate's (the bundle check would refuse anything else).
        let bundle = try CertificateBundle(chainPEM: made.certificatePEM, privateKeyPEM: made.privateKeyPEM)
        #expect(bundle.names == ["shop.example.com"])
    }

    @Test func anotherKeyAuthorizationGivesAnotherDigest() throws {
        let first = try TLSALPNChallengeCertificate.make(name: "a.example.com", keyAuthorization: "t.one")
        let second = try TLSALPNChallengeCertificate.make(name: "a.example.com", keyAuthorization: "t.two")
        let firstValue = try Certificate(pemEncoded: first.certificatePEM).extensions[oid: TLSALPNChallengeCertificate.acmeIdentifierOID]?.value
        let secondValue = try Certificate(pemEncoded: second.certificatePEM).extensions[oid: TLSALPNChallengeCertificate.acmeIdentifierOID]?.value
        #expect(firstValue != nil && firstValue != secondValue)
    }
}
