import Crypto
import Foundation

/// A public key as a JSON Web Key (RFC 7517): its required members only, which is what ACME's `jwk` header and the
/// thumbprint (RFC 7638) use.
struct JSONWebKey: Sendable, Hashable {
    /// The required members by name (for EC: `crv`, `kty`, `x`, `y`), all strings.
    let members: [String: String]

    /// The JWK of a P-256 public key: `x` and `y` are the 32-byte big-endian coordinates, base64url.
    init(p256 publicKey: P256.Signing.PublicKey) {
        let coordinates = [UInt8](publicKey.rawRepresentation)
        members = [
            "crv": "P-256",
            "kty": "EC",
            "x": Base64URL.encode(coordinates.prefix(32)),
            "y": Base64URL.encode(coordinates.suffix(32)),
        ]
    }

    /// A JWK made of the given required members (RFC 7638 §3.2), for keys of other types.
    init(members: [String: String]) {
        self.members = members
    }

    /// The members as JSON with keys in lexicographic order and no whitespace (RFC 7638 §3.3).
    var canonicalJSON: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // A [String: String] always encodes.
        return String(decoding: (try? encoder.encode(members)) ?? Data(), as: UTF8.self)
    }

    /// The RFC 7638 thumbprint: base64url(SHA-256(canonical JSON)).
    var thumbprint: String {
        Base64URL.encode(SHA256.hash(data: Data(canonicalJSON.utf8)))
    }
}
