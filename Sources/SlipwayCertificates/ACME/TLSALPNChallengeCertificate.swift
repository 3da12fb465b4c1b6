import Crypto
public import Foundation
import SwiftASN1
import X509

/// The certificate that answers a TLS-ALPN-01 challenge (RFC 8737 §3): self-signed, SAN dNSName the name being
/// validated, and the critical acmeIdentifier extension holding SHA-256 of the key authorization.
public struct TLSALPNChallengeCertificate: Sendable, Hashable {
    /// The name the certificate answers for (the SNI the CA sends).
    public var name: String
    /// The certificate, PEM.
    public var certificatePEM: String
    /// Its private key, PEM (PKCS#8).
    public var privateKeyPEM: String

    /// The ALPN protocol the server must negotiate for the CA's validation connection.
    public static let applicationProtocol = "acme-tls/1"

    /// The OID of the acmeIdentifier extension, id-pe-acmeIdentifier (1.3.6.1.5.5.7.1.31).
    static let acmeIdentifierOID: ASN1ObjectIdentifier = [1, 3, 6, 1, 5, 5, 7, 1, 31]

    /// A new challenge certificate for `name` proving `keyAuthorization`.
    public static func make(name: String, keyAuthorization: String, now: Date = Date()) throws -> TLSALPNChallengeCertificate {
        let digest = Array(SHA256.hash(data: Data(keyAuthorization.utf8)))
        var serializer = DER.Serializer()
        try serializer.serialize(ASN1OctetString(contentBytes: ArraySlice(digest)))
        let acmeIdentifier = Certificate.Extension(oid: acmeIdentifierOID, critical: true, value: ArraySlice(serializer.serializedBytes))
        let made = try SelfSignedCertificate.make(names: [name], now: now, validity: 7 * 24 * 3600, extraExtensions: [acmeIdentifier])
        return TLSALPNChallengeCertificate(name: name, certificatePEM: made.certificatePEM, privateKeyPEM: made.privateKeyPEM)
    }
}
