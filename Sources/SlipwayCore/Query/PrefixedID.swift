public import Foundation

/// The prefixed string ids of the Deploys dialect: `dep_`, `ws_`, `app_`, `bld_` and the 32 hex digits of a UUID.
public enum PrefixedID: String, Sendable, CaseIterable {
    case deployment = "dep_"
    case workspace = "ws_"
    case app = "app_"
    case build = "bld_"

    /// The id of `uuid` with this prefix.
    public func format(_ uuid: UUID) -> String { rawValue + uuid.hexDigits }

    /// The UUID inside `text`, or nil when `text` is not this prefix followed by 32 hex digits.
    public func parse(_ text: String) -> UUID? {
        guard text.hasPrefix(rawValue) else { return nil }
        return Self.uuid(hexDigits: String(text.dropFirst(rawValue.count)))
    }

    /// A UUID from 32 hex digits (either case), or nil.
    public static func uuid(hexDigits: String) -> UUID? {
        let digits = Array(hexDigits.utf8)
        guard digits.count == 32, digits.allSatisfy({ (48...57).contains($0) || (97...102).contains($0 | 0x20) }) else { return nil }
        let text = String(decoding: digits, as: UTF8.self)
        let parts = [text.prefix(8), text.dropFirst(8).prefix(4), text.dropFirst(12).prefix(4), text.dropFirst(16).prefix(4), text.dropFirst(20)]
        return UUID(uuidString: parts.joined(separator: "-"))
    }
}
