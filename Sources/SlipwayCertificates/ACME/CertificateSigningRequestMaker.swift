import Crypto
import SwiftASN1
import X509

/// The CSR a finalize request carries (RFC 8555 §7.4): the certificate's own key, every name as a SAN dNSName, the
/// first name as the common name when it fits (64 characters).
enum CertificateSigningRequestMaker {
    /// The DER bytes of a CSR for `names` signed by `key`.
    static func der(names: [String], key: P256.Signing.PrivateKey) throws -> [UInt8] {
        let subject: DistinguishedName
        if let first = names.first, first.utf8.count <= 64 {
            subject = try DistinguishedName { CommonName(first) }
        } else {
            subject = DistinguishedName()
        }
        let extensions = try Certificate.Extensions([
            try Certificate.Extension(SubjectAlternativeNames(names.map { .dnsName($0) }), critical: false)
        ])
        let attributes = CertificateSigningRequest.Attributes([
            try CertificateSigningRequest.Attribute(ExtensionRequest(extensions: extensions))
        ])
        let request = try CertificateSigningRequest(
            version: .v1, subject: subject, privateKey: Certificate.PrivateKey(key), attributes: attributes,
            signatureAlgorithm: .ecdsaWithSHA256
        )
        var serializer = DER.Serializer()
        try serializer.serialize(request)
        return serializer.serializedBytes
    }
}
