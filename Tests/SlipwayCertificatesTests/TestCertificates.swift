import Crypto
import Foundation
import SwiftASN1
import X509

/// Certificates made in the test: a CA and leaves it signs, each with its key as PEM.
struct TestCertificateAuthority {
    let key = P256.Signing.PrivateKey()
    let name: DistinguishedName
    let certificate: Certificate

    init(commonName: String = "Slipway Test CA") throws {
        name = try DistinguishedName {
            OrganizationName("Slipway Tests")
            CommonName(commonName)
        }
        certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: Date().addingTimeInterval(-86400), notValidAfter: Date().addingTimeInterval(86400 * 365),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions([
                try Certificate.Extension(BasicConstraints.isCertificateAuthority(maxPathLength: nil), critical: true)
            ]),
            issuerPrivateKey: Certificate.PrivateKey(key)
        )
    }

    var pem: String { (try? certificate.serializeAsPEM().pemString) ?? "" }

    /// A leaf for `names` valid from `notBefore` to `notAfter`, and its key (PEM).
    func leaf(names: [String], notBefore: Date = Date().addingTimeInterval(-3600), notAfter: Date = Date().addingTimeInterval(86400 * 30))
        throws -> (certificatePEM: String, keyPEM: String)
    {
        let leafKey = P256.Signing.PrivateKey()
        let leaf = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: Certificate.PublicKey(leafKey.publicKey),
            notValidBefore: notBefore, notValidAfter: notAfter, issuer: name,
            subject: try DistinguishedName { CommonName(names.first ?? "leaf") }, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions([
                try Certificate.Extension(SubjectAlternativeNames(names.map { .dnsName($0) }), critical: false)
            ]),
            issuerPrivateKey: Certificate.PrivateKey(key)
        )
        return (try leaf.serializeAsPEM().pemString, leafKey.pemRepresentation)
    }
}
