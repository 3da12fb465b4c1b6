import Crypto
import Foundation

/// The key of an ACME account (ECDSA P-256, JWS `ES256`): generated once, stored as PEM, imported again on the next
/// start so the CA recognises the same account.
///
/// `@unchecked Sendable`: the P-256 key is immutable once made; swift-crypto's Linux backend does not mark it Sendable.
public struct ACMEAccountKey: @unchecked Sendable {
    let privateKey: P256.Signing.PrivateKey

    /// A new random key.
    public init() {
        privateKey = P256.Signing.PrivateKey()
    }

    /// The key stored earlier as PEM (PKCS#8 `PRIVATE KEY` as `pem` writes it, or SEC 1 `EC PRIVATE KEY`).
    public init(pem: String) throws(ACMEError) {
        do {
            privateKey = try P256.Signing.PrivateKey(pemRepresentation: pem)
        } catch {
            throw .invalidAccountKey("the account key is not a PEM P-256 private key (\(error))")
        }
    }

    init(privateKey: P256.Signing.PrivateKey) {
        self.privateKey = privateKey
    }

    /// The key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), for the store; secret.
    public var pem: String { privateKey.pemRepresentation }

    /// The public key as a JWK, for the `jwk` header of newAccount.
    var jsonWebKey: JSONWebKey { JSONWebKey(p256: privateKey.publicKey) }

    /// The account's JWK thumbprint (RFC 7638), base64url.
    public var thumbprint: String { jsonWebKey.thumbprint }

    /// The key authorization of a challenge token: `token "." thumbprint` (RFC 8555 §8.1).
    public func keyAuthorization(token: String) -> String {
        token + "." + thumbprint
    }

    /// An ES256 signature of `bytes`: r and s as 32 bytes each, concatenated (RFC 7518 §3.4), not DER.
    func sign(_ bytes: [UInt8]) throws -> [UInt8] {
        [UInt8](try privateKey.signature(for: bytes).rawRepresentation)
    }
}
