import Crypto
public import Foundation
import SwiftASN1
public import X509

/// Self-signed P-256 certificates: the TLS-ALPN-01 answer, and a server's own certificate where no CA is involved
/// (a test CA's HTTPS listener).
public enum SelfSignedCertificate {
    /// A certificate for `names` (SAN dNSName each) and `ipAddresses` (dotted IPv4), valid from an hour before `now`
    /// for `validity`, with `extraExtensions`; returns the certificate and its new private key as PEM (PKCS#8).
    public static func make(
        names: [String], ipAddresses: [String] = [], now: Date = Date(), validity: TimeInterval = 90 * 24 * 3600,
        extraExtensions: [Certificate.Extension] = []
    ) throws -> (certificatePEM: String, privateKeyPEM: String) {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName { CommonName(names.first ?? ipAddresses.first ?? "localhost") }
        var generalNames = names.map { GeneralName.dnsName($0) }
        for address in ipAddresses {
            let octets = address.split(separator: ".").compactMap { UInt8($0) }
            guard octets.count == 4 else { throw InvalidIPAddress(text: address) }
            generalNames.append(.ipAddress(ASN1OctetString(contentBytes: ArraySlice(octets))))
        }
        var extensions = try Certificate.Extensions([
            try Certificate.Extension(SubjectAlternativeNames(generalNames), critical: false),
            try Certificate.Extension(BasicConstraints.notCertificateAuthority, critical: true),
        ])
        for extraExtension in extraExtensions { try extensions.append(extraExtension) }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(validity),
            issuer: subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions,
            issuerPrivateKey: Certificate.PrivateKey(key)
        )
        return (try certificate.serializeAsPEM().pemString, key.pemRepresentation)
    }

    /// An `ipAddresses` entry that is not a dotted IPv4 address.
    public struct InvalidIPAddress: Error, Sendable, CustomStringConvertible {
        /// The entry as given.
        public var text: String
        /// The entry, in words.
        public var description: String { "not an IPv4 address: \(text)" }
    }
}
