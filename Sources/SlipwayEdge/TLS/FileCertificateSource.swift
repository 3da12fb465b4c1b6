import Foundation
import Synchronization

/// The certificate in two PEM files (`--tls-cert`, `--tls-key`): the default certificate of the HTTPS listener, and
/// the one for every name it covers (the platform's domain and its wildcard, typically). `reload()` reads the files
/// again (on SIGHUP); when they cannot be used, the certificate loaded before stays.
public final class FileCertificateSource: TLSCertificateSource {
    /// The certificate chain's file (PEM, leaf first).
    public let certificatePath: String
    /// The private key's file (PEM).
    public let keyPath: String
    private let current: Mutex<EdgeCertificate>

    /// Loads the two files; throws `FileCertificateError` when either cannot be read or used.
    public init(certificatePath: String, keyPath: String) throws {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        self.current = Mutex(try Self.load(certificatePath: certificatePath, keyPath: keyPath))
    }

    /// Reads the files again and serves what they hold from the next handshake on; throws (and keeps the
    /// certificate loaded before) when they cannot be used.
    public func reload() throws {
        let certificate = try Self.load(certificatePath: certificatePath, keyPath: keyPath)
        current.withLock { $0 = certificate }
    }

    /// The certificate served now.
    public var certificate: EdgeCertificate { current.withLock { $0 } }

    public func certificate(forServerName serverName: String?, applicationProtocols: [String]) -> EdgeCertificate? {
        guard let serverName else { return nil }
        let certificate = self.certificate
        return certificate.covers(host: serverName) ? certificate : nil
    }

    public var defaultCertificate: EdgeCertificate? { certificate }

    public func redirectsToHTTPS(host: String) -> Bool {
        certificate.covers(host: host)
    }

    private static func load(certificatePath: String, keyPath: String) throws -> EdgeCertificate {
        let chainPEM: String
        let keyPEM: String
        do {
            chainPEM = try String(contentsOfFile: certificatePath, encoding: .utf8)
        } catch {
            throw FileCertificateError.certificate(path: certificatePath, reason: "cannot be read (\(error.localizedDescription))")
        }
        do {
            keyPEM = try String(contentsOfFile: keyPath, encoding: .utf8)
        } catch {
            throw FileCertificateError.key(path: keyPath, reason: "cannot be read (\(error.localizedDescription))")
        }
        do {
            return try EdgeCertificate(chainPEM: chainPEM, privateKeyPEM: keyPEM)
        } catch let error as EdgeCertificateError {
            switch error {
            case .unreadableKey, .keyDoesNotMatch:
                throw FileCertificateError.key(path: keyPath, reason: error.description)
            case .noCertificate, .unreadableCertificate:
                throw FileCertificateError.certificate(path: certificatePath, reason: error.description)
            }
        }
    }
}

/// A certificate file or key file that cannot be used, naming which.
public enum FileCertificateError: Error, CustomStringConvertible, Equatable {
    /// The certificate file.
    case certificate(path: String, reason: String)
    /// The key file.
    case key(path: String, reason: String)

    public var description: String {
        switch self {
        case .certificate(let path, let reason): "the certificate file \(path): \(reason)"
        case .key(let path, let reason): "the key file \(path): \(reason)"
        }
    }
}
