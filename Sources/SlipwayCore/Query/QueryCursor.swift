import Foundation

/// Signs cursors, so that a cursor Slipway did not issue is refused. The store implements it with a keyed MAC.
public protocol QueryCursorSigner: Sendable {
    /// A signature of `message` (the same message always gets the same signature).
    func signature(for message: [UInt8]) -> [UInt8]
}

/// Opaque keyset cursors: base64url of a signature followed by the JSON array of the row's sort key values.
///
/// The signature covers the order the cursor was made for, so a cursor from one `orderBy` is refused by another.
public enum QueryCursor {
    /// How many bytes of the signature a cursor carries.
    public static let signatureLength = 16

    /// The cursor of a row whose sort key values are `values` (one per key of `order`).
    public static func encode(_ values: [Int64?], order: [QueryOrderKey], signer: any QueryCursorSigner) -> String {
        let payload = Array(
            ("[" + values.map { $0.map(String.init) ?? "null" }.joined(separator: ",") + "]").utf8)
        let signature = signer.signature(for: message(payload, order: order)).prefix(signatureLength)
        return base64URL(Array(signature) + payload)
    }

    /// The sort key values inside a cursor, checked against its signature and `order`; a `QueryError` naming
    /// `parameter` when it is not a cursor Slipway issued for this order.
    public static func decode(_ text: String, parameter: String, order: [QueryOrderKey], signer: any QueryCursorSigner) throws -> [Int64?] {
        let refused = QueryError(parameter, "is not a cursor Slipway issued for this orderBy")
        guard text.utf8.count <= 1_024, let bytes = bytes(base64URL: text), bytes.count > signatureLength else { throw refused }
        let signature = Array(bytes.prefix(signatureLength))
        let payload = Array(bytes.dropFirst(signatureLength))
        let expected = Array(signer.signature(for: message(payload, order: order)).prefix(signatureLength))
        guard expected.count == signatureLength, constantTimeEqual(signature, expected) else { throw refused }
        guard let json = try? JSONDecoder().decode(JSONValue.self, from: Data(payload)), case .array(let items) = json, items.count == order.count
        else { throw refused }
        var values: [Int64?] = []
        for (item, key) in zip(items, order) {
            switch item {
            case .integer(let number): values.append(number)
            case .null where key.attribute.isNullable: values.append(nil)
            default: throw refused
            }
        }
        return values
    }

    private static func message(_ payload: [UInt8], order: [QueryOrderKey]) -> [UInt8] {
        Array(("slipway-cursor-v1|" + order.map(\.fingerprint).joined(separator: ",") + "|").utf8) + payload
    }

    private static func constantTimeEqual(_ left: [UInt8], _ right: [UInt8]) -> Bool {
        guard left.count == right.count else { return false }
        return zip(left, right).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// Base64url without padding.
    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The bytes of base64url text (padding optional), or nil.
    static func bytes(base64URL text: String) -> [UInt8]? {
        guard text.utf8.allSatisfy({ $0.isBase64URLCharacter }) else { return nil }
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while standard.utf8.count % 4 != 0 { standard += "=" }
        return Data(base64Encoded: standard).map(Array.init)
    }
}

extension UInt8 {
    fileprivate var isBase64URLCharacter: Bool {
        (65...90).contains(self) || (97...122).contains(self) || (48...57).contains(self) || self == 45 || self == 95 || self == 61
    }
}
