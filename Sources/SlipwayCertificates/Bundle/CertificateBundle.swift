public import Foundation
import SwiftASN1
import X509

/// A certificate chain and its private key, both PEM, checked: the chain reads, the key is the leaf's, and each
/// certificate is signed by the next. What an upload or an ACME order produces, and what the edge serves.
public struct CertificateBundle: Sendable {
    /// The chain as given, leaf first.
    public let chainPEM: String
    /// The leaf's private key as given; secret.
    public let privateKeyPEM: String
    /// The parsed chain, leaf first.
    let certificates: [Certificate]

    /// Reads and checks `chainPEM` and `privateKeyPEM`; throws the first problem found.
    public init(chainPEM: String, privateKeyPEM: String) throws(CertificateBundleError) {
        let documents = (try? PEMDocument.parseMultiple(pemString: chainPEM)) ?? []
        let certificateDocuments = documents.filter { $0.discriminator == "CERTIFICATE" }
        guard !certificateDocuments.isEmpty else { throw .notPEMCertificate }
        var certificates: [Certificate] = []
        for (index, document) in certificateDocuments.enumerated() {
            do {
                certificates.append(try Certificate(pemDocument: document))
            } catch {
                throw .unreadableCertificate(position: index + 1, reason: "\(error)")
            }
        }
        let key: Certificate.PrivateKey
        do {
            key = try Certificate.PrivateKey(pemEncoded: privateKeyPEM)
        } catch {
            throw .notPEMPrivateKey
        }
        guard key.publicKey == certificates[0].publicKey else { throw .keyDoesNotMatch }
        for index in certificates.indices.dropLast() {
            let certificate = certificates[index]
            let issuer = certificates[index + 1]
            guard certificate.issuer == issuer.subject, issuer.publicKey.isValidSignature(certificate.signature, for: certificate) else {
                throw .brokenChain(position: index + 1)
            }
        }
        self.chainPEM = chainPEM
        self.privateKeyPEM = privateKeyPEM
        self.certificates = certificates
    }

    /// The DNS names of the leaf (its subjectAltName dNSName entries), as written, wildcards included.
    public var names: [String] {
        guard let alternativeNames = try? certificates[0].extensions.subjectAlternativeNames else { return [] }
        return alternativeNames.compactMap { name in
            if case .dnsName(let dnsName) = name { return dnsName }
            return nil
        }
    }

    /// The leaf's first moment of validity.
    public var notBefore: Date { certificates[0].notValidBefore }

    /// The leaf's last moment of validity.
    public var notAfter: Date { certificates[0].notValidAfter }

    /// When two thirds of the leaf's life have passed: the moment to renew it (a 90-day certificate: day 60).
    public var renewalDate: Date { notBefore.addingTimeInterval(notAfter.timeIntervalSince(notBefore) * 2 / 3) }

    /// The leaf's issuer, readable (`CN=Pebble Intermediate CA 5d2c61,O=…`).
    public var issuer: String { certificates[0].issuer.description }

    /// The leaf's subject, readable.
    public var subject: String { certificates[0].subject.description }

    /// The number of certificates in the chain.
    public var chainLength: Int { certificates.count }

    /// Whether one of the leaf's names covers `hostname` (exact, or a wildcard for one label: RFC 6125).
    public func covers(_ hostname: String) -> Bool {
        names.contains { HostnamePattern.matches($0, hostname: hostname) }
    }

    /// Throws unless the leaf covers `hostname` and is valid at `date`.
    public func check(hostname: String, at date: Date) throws(CertificateBundleError) {
        guard covers(hostname) else { throw .notValidForName(hostname: hostname, names: names) }
        try check(at: date)
    }

    /// Throws unless the leaf is valid at `date`.
    public func check(at date: Date) throws(CertificateBundleError) {
        if date < notBefore { throw .notYetValid(notBefore) }
        if date > notAfter { throw .expired(notAfter) }
    }
}
