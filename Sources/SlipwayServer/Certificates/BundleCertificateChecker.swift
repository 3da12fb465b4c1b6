import Foundation
import SlipwayCertificates
import SlipwayCore
import SlipwayEdge

/// Checks an uploaded chain and key with `CertificateBundle` (readable, the leaf's key, signed in order, valid for the
/// hostname and now), then loads it as the edge will; a problem of the key names `private_key`, any other
/// `certificate`.
struct BundleCertificateChecker: CertificateChecker {
    func check(chainPEM: String, privateKeyPEM: String, hostname: String, at date: Date) throws(CertificateRefusal) -> CheckedCertificate {
        let bundle: CertificateBundle
        do {
            bundle = try CertificateBundle(chainPEM: chainPEM, privateKeyPEM: privateKeyPEM)
            try bundle.check(hostname: hostname, at: date)
        } catch {
            throw Self.refusal(error)
        }
        do {
            _ = try EdgeCertificate(chainPEM: chainPEM, privateKeyPEM: privateKeyPEM)
        } catch {
            throw CertificateRefusal(field: "certificate", message: "the edge cannot serve it: \(error)")
        }
        return CheckedCertificate(notAfter: bundle.notAfter, issuer: bundle.issuer)
    }

    static func refusal(_ error: CertificateBundleError) -> CertificateRefusal {
        switch error {
        case .notPEMPrivateKey, .keyDoesNotMatch: CertificateRefusal(field: "private_key", message: error.description)
        default: CertificateRefusal(field: "certificate", message: error.description)
        }
    }
}
