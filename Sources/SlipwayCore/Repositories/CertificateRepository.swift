public import Foundation

/// A domain's certificate as the edge serves it: the PEM chain (leaf first) and its private key. The key is sealed
/// in the store and only ever unsealed into the edge's memory.
public struct StoredCertificate: Sendable, Equatable {
    /// The domain the certificate is for.
    public var hostname: String
    /// The PEM chain, leaf first.
    public var chainPEM: String
    /// The PEM private key of the leaf.
    public var privateKeyPEM: String

    public init(hostname: String, chainPEM: String, privateKeyPEM: String) {
        self.hostname = hostname
        self.chainPEM = chainPEM
        self.privateKeyPEM = privateKeyPEM
    }
}

/// The certificates of custom domains and the ACME account keys (migration 16); keys sealed with the install's
/// secret key.
public protocol CertificateRepository: Sendable {
    /// Every domain's stored certificate, for the edge at start-up.
    func allCertificates() async throws -> [StoredCertificate]
    /// One domain's stored certificate; nil when it has none (or no domain has that hostname).
    func certificate(hostname: String) async throws -> StoredCertificate?
    /// Stores a new domain with an uploaded certificate and its state in one transaction: both, or nothing.
    /// `SlipwayError.conflict` when any project of the install has the hostname already (as `DomainRepository.create`).
    func createDomain(_ domain: NewDomain, certificate: StoredCertificate, state: CertificateState) async throws -> Domain
    /// Stores the domain's certificate and its state in one step (a new certificate replaces the one before); false
    /// when no domain has that hostname.
    func storeCertificate(_ certificate: StoredCertificate, state: CertificateState) async throws -> Bool
    /// Stores a certificate obtained through ACME with its state, only while the domain's certificate source is still
    /// `acme`: an uploaded certificate that arrived meanwhile is never replaced. False when nothing was written.
    func storeACMECertificate(_ certificate: StoredCertificate, state: CertificateState) async throws -> Bool
    /// Records an ACME attempt's state (the certificate stays as it is), only while the domain's certificate source
    /// is still `acme`. False when nothing was written.
    func setACMEState(_ state: CertificateState, hostname: String) async throws -> Bool
    /// The ACME account key (PEM) for the CA at `directoryURL`, if one was stored.
    func accountKey(directoryURL: String) async throws -> String?
    /// Stores `pem` as the account key for `directoryURL` unless one is stored already; returns the key stored
    /// (the earlier one when two servers raced).
    func storeAccountKey(_ pem: String, directoryURL: String) async throws -> String
}
