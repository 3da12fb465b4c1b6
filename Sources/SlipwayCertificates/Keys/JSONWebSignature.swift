import Foundation

/// A flattened JWS as ACME's requests carry it (RFC 8555 §6.2): base64url protected header, payload and signature.
struct JSONWebSignature: Encodable, Sendable {
    let protected: String
    let payload: String
    let signature: String

    /// How the protected header names the key: the whole public key (newAccount, revocation by certificate key) or
    /// the account's URL (everything else).
    enum KeyIdentification: Sendable {
        case jsonWebKey(JSONWebKey)
        case accountURL(String)
    }

    /// The protected header: always `alg`, `nonce` and `url`; then `jwk` or `kid`, never both.
    struct ProtectedHeader: Encodable {
        let alg: String
        let nonce: String
        let url: String
        let jwk: [String: String]?
        let kid: String?
    }

    /// Signs `payload` (nil for a POST-as-GET, whose payload is the empty string) for `url` with `nonce`.
    static func sign(
        payload: [UInt8]?, url: String, nonce: String, key: ACMEAccountKey, identification: KeyIdentification
    ) throws -> JSONWebSignature {
        let header: ProtectedHeader
        switch identification {
        case .jsonWebKey(let jwk): header = ProtectedHeader(alg: "ES256", nonce: nonce, url: url, jwk: jwk.members, kid: nil)
        case .accountURL(let accountURL): header = ProtectedHeader(alg: "ES256", nonce: nonce, url: url, jwk: nil, kid: accountURL)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let protected = Base64URL.encode(try encoder.encode(header))
        let encodedPayload = payload.map { Base64URL.encode($0) } ?? ""
        let signature = try key.sign(Array("\(protected).\(encodedPayload)".utf8))
        return JSONWebSignature(protected: protected, payload: encodedPayload, signature: Base64URL.encode(signature))
    }
}
