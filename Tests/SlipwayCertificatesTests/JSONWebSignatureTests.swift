import Crypto
import Foundation
import Testing

@testable import SlipwayCertificates

@Suite struct JSONWebSignatureTests {
    /// RFC 7638 §3.1: the thumbprint of the RSA key of RFC 7517's example.
    @Test func theThumbprintOfRFC7638sExampleKeyIsTheRFCs() {
        let key = JSONWebKey(members: [
            "e": "AQAB",
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5"
                + "JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08q"
                + "NLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
        ])
        #expect(key.canonicalJSON.hasPrefix(#"{"e":"AQAB","kty":"RSA","n":"0vx7"#))
        #expect(key.thumbprint == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
    }

    /// RFC 7515 Appendix A.3: the ES256 key; its JWK is the RFC's, in RFC 7638's member order.
    @Test func theJWKOfRFC7515sES256KeyHasTheRFCsCoordinates() throws {
        let key = try ACMEAccountKey(privateKey: P256.Signing.PrivateKey(rawRepresentation: #require(Base64URL.decode(Self.rfc7515D))))
        #expect(key.jsonWebKey.members == ["crv": "P-256", "kty": "EC", "x": Self.rfc7515X, "y": Self.rfc7515Y])
        #expect(key.jsonWebKey.canonicalJSON == #"{"crv":"P-256","kty":"EC","x":"\#(Self.rfc7515X)","y":"\#(Self.rfc7515Y)"}"#)
    }

    /// RFC 7515 A.3's signature is r‖s (64 bytes), the form this client sends; it verifies as such.
    @Test func signaturesAreRawRAndSAsInRFC7515() throws {
        let key = try P256.Signing.PrivateKey(rawRepresentation: #require(Base64URL.decode(Self.rfc7515D)))
        let input = Data("eyJhbGciOiJFUzI1NiJ9.\(Self.rfc7515Payload)".utf8)
        let rfcSignature = try #require(Base64URL.decode("DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q"))
        #expect(key.publicKey.isValidSignature(try P256.Signing.ECDSASignature(rawRepresentation: rfcSignature), for: input))
        let ours = try ACMEAccountKey(privateKey: key).sign(Array(input))
        #expect(ours.count == 64)
        #expect(key.publicKey.isValidSignature(try P256.Signing.ECDSASignature(rawRepresentation: ours), for: input))
    }

    @Test func newAccountRequestsCarryTheJWKAndNoKid() throws {
        let key = ACMEAccountKey()
        let jws = try JSONWebSignature.sign(
            payload: Array(#"{"termsOfServiceAgreed":true}"#.utf8), url: "https://ca.test/new-acct", nonce: "n1", key: key,
            identification: .jsonWebKey(key.jsonWebKey)
        )
        let header = try Self.header(of: jws)
        #expect(header["alg"] as? String == "ES256")
        #expect(header["nonce"] as? String == "n1")
        #expect(header["url"] as? String == "https://ca.test/new-acct")
        #expect(header["jwk"] as? [String: String] == key.jsonWebKey.members)
        #expect(header["kid"] == nil)
        #expect(Base64URL.decode(jws.payload) == Array(#"{"termsOfServiceAgreed":true}"#.utf8))
        try Self.expectValidSignature(jws, key: key)
    }

    @Test func otherRequestsCarryTheAccountURLAsKidAndPostAsGetHasAnEmptyPayload() throws {
        let key = ACMEAccountKey()
        let jws = try JSONWebSignature.sign(
            payload: nil, url: "https://ca.test/order/1", nonce: "n2", key: key, identification: .accountURL("https://ca.test/acct/7")
        )
        let header = try Self.header(of: jws)
        #expect(header["kid"] as? String == "https://ca.test/acct/7")
        #expect(header["jwk"] == nil)
        #expect(jws.payload == "")
        try Self.expectValidSignature(jws, key: key)
    }

    @Test func theAccountKeyGoesToPEMAndComesBackTheSame() throws {
        let key = ACMEAccountKey()
        #expect(key.pem.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        let again = try ACMEAccountKey(pem: key.pem)
        #expect(again.thumbprint == key.thumbprint)
        #expect(ACMEAccountKey().thumbprint != key.thumbprint)
        #expect(again.keyAuthorization(token: "tok-1") == "tok-1.\(key.thumbprint)")
        #expect(throws: ACMEError.self) { try ACMEAccountKey(pem: "not a key") }
    }

    @Test func base64URLHasNoPaddingAndTheURLAlphabet() {
        #expect(Base64URL.encode([0xFB, 0xFF]) == "-_8")
        #expect(Base64URL.decode("-_8") == [0xFB, 0xFF])
        #expect(Base64URL.encode([]) == "")
    }

    static let rfc7515X = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"
    static let rfc7515Y = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"
    static let rfc7515D = "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"
    static let rfc7515Payload = "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"

    static func header(of jws: JSONWebSignature) throws -> [String: Any] {
        let bytes = try #require(Base64URL.decode(jws.protected))
        return try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    static func expectValidSignature(_ jws: JSONWebSignature, key: ACMEAccountKey) throws {
        let signature = try P256.Signing.ECDSASignature(rawRepresentation: #require(Base64URL.decode(jws.signature)))
        #expect(key.privateKey.publicKey.isValidSignature(signature, for: Data("\(jws.protected).\(jws.payload)".utf8)))
    }
}
