public import Foundation

/// Why a certificate chain and key were refused, in words a user reads.
public enum CertificateBundleError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The chain holds no `-----BEGIN CERTIFICATE-----` block.
    case notPEMCertificate
    /// Certificate `position` (1 = the leaf) is a PEM block that is not a readable X.509 certificate.
    case unreadableCertificate(position: Int, reason: String)
    /// The key is not a PEM private key this server reads (PKCS#8, SEC 1 EC or PKCS#1 RSA).
    case notPEMPrivateKey
    /// The key is not the leaf certificate's.
    case keyDoesNotMatch
    /// Certificate `position` is not signed by the next one in the chain.
    case brokenChain(position: Int)
    /// The leaf names none that covers `hostname`; `names` are the ones it has.
    case notValidForName(hostname: String, names: [String])
    /// The leaf's validity ended at this moment.
    case expired(Date)
    /// The leaf's validity starts at this moment.
    case notYetValid(Date)

    /// The problem in words.
    public var description: String {
        switch self {
        case .notPEMCertificate: return "not a PEM certificate: expected -----BEGIN CERTIFICATE----- blocks, leaf first"
        case .unreadableCertificate(let position, let reason): return "certificate \(position) of the chain cannot be read: \(reason)"
        case .notPEMPrivateKey: return "not a PEM private key: expected -----BEGIN PRIVATE KEY----- (or EC/RSA PRIVATE KEY)"
        case .keyDoesNotMatch: return "the key does not match the certificate"
        case .brokenChain(let position): return "certificate \(position) of the chain is not signed by certificate \(position + 1)"
        case .notValidForName(let hostname, let names):
            let named = names.isEmpty ? "it names no DNS name" : "it is for \(names.joined(separator: ", "))"
            return "the certificate is not valid for \(hostname) (\(named))"
        case .expired(let date): return "the certificate expired on \(Self.format(date))"
        case .notYetValid(let date): return "the certificate is not valid before \(Self.format(date))"
        }
    }

    private static func format(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: false).timeSeparator(.colon)) + " UTC"
    }
}
