public import Foundation

/// A session: what logging in with a login and password gives. Its secret (`slws_…`) is a bearer token like an API
/// token's, stored only as its SHA-256 hash; it expires, and it can be revoked (logout, a password change).
public struct LoginSession: Sendable, Equatable {
    public var id: Int64
    public var uid: UUID
    public var userID: Int64
    /// The workspace the session acts in when a request names none; nil for a user who belonged to no workspace at
    /// login. Removing the user from that workspace ends the session.
    public var workspaceID: Int64?
    public var createdAt: Date
    public var expiresAt: Date
    public var lastUsedAt: Date?
    public var revokedAt: Date?

    public init(
        id: Int64, uid: UUID, userID: Int64, workspaceID: Int64?, createdAt: Date, expiresAt: Date, lastUsedAt: Date? = nil, revokedAt: Date? = nil
    ) {
        self.id = id
        self.uid = uid
        self.userID = userID
        self.workspaceID = workspaceID
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.lastUsedAt = lastUsedAt
        self.revokedAt = revokedAt
    }

    /// Whether the session still authenticates at `now`: not revoked, and `now` is before its expiry.
    public func isActive(at now: Date) -> Bool { revokedAt == nil && now < expiresAt }

    /// How every session secret begins, so that authentication knows where to look (API tokens begin `slw_`).
    public static let secretPrefix = "slws_"

    /// A fresh random secret: `slws_` and 40 hex digits (160 bits).
    public static func generateSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<20).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return secretPrefix + bytes.map { String(format: "%02x", $0) }.joined()
    }
}
