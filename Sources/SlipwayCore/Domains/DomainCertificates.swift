public import Foundation

/// An uploaded certificate that passed its checks: what its domain's state records.
public struct CheckedCertificate: Sendable, Equatable {
    /// When the leaf expires.
    public var notAfter: Date
    /// The leaf's issuer, by name.
    public var issuer: String

    public init(notAfter: Date, issuer: String) {
        self.notAfter = notAfter
        self.issuer = issuer
    }
}

/// Why an uploaded certificate was refused: the request's field at fault (`certificate` or `private_key`) and the
/// check's sentence.
public struct CertificateRefusal: Error, Sendable, Equatable {
    /// The field of the upload the problem lies in.
    public var field: String
    /// What is wrong, in words.
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
}

/// Checks an uploaded PEM chain and key (implemented over `CertificateBundle`): readable, the key the leaf's, the
/// chain signed in order, valid for the hostname and at the date.
public protocol CertificateChecker: Sendable {
    /// The checked certificate's expiry and issuer; throws the refusal naming the field at fault.
    func check(chainPEM: String, privateKeyPEM: String, hostname: String, at date: Date) throws(CertificateRefusal) -> CheckedCertificate
}

/// Told about the domain changes the certificate work acts on: a new domain to obtain a certificate for, a removed
/// one whose certificate the edge must stop serving, a certificate stored that it must start serving.
public protocol DomainCertificateObserver: Sendable {
    /// A domain was added.
    func domainAdded(_ domain: Domain)
    /// A domain was removed.
    func domainRemoved(hostname: String)
    /// A certificate was stored for a domain (an upload).
    func certificateStored(_ certificate: StoredCertificate)
}

/// Where uploads are checked and stored, and who is told about domain changes; absent, certificates cannot be
/// uploaded.
public struct DomainCertificateWork: Sendable {
    public let certificates: any CertificateRepository
    public let checker: any CertificateChecker
    public let observer: any DomainCertificateObserver
    /// The time now, for the expiry check.
    public let now: @Sendable () -> Date

    public init(
        certificates: any CertificateRepository, checker: any CertificateChecker, observer: any DomainCertificateObserver,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.certificates = certificates
        self.checker = checker
        self.observer = observer
        self.now = now
    }
}
