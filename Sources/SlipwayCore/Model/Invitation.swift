public import Foundation

/// An owner's invitation of a person to their workspace with a role (docs/tenancy.md). The code is shown once to the
/// owner, who passes it on; the store keeps only its SHA-256. It can be used once, by the user whose login or email
/// is `invitee`, before `expiresAt`.
public struct Invitation: Sendable, Equatable {
    public var id: Int64
    public var workspaceID: Int64
    /// The invited login or email address, normalized (trimmed, lower case).
    public var invitee: String
    public var role: Role
    /// The user who invited.
    public var invitedBy: Int64
    public var createdAt: Date
    public var expiresAt: Date

    public init(id: Int64, workspaceID: Int64, invitee: String, role: Role, invitedBy: Int64, createdAt: Date, expiresAt: Date) {
        self.id = id
        self.workspaceID = workspaceID
        self.invitee = invitee
        self.role = role
        self.invitedBy = invitedBy
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }

    /// How long an invitation can be accepted.
    public static let lifetime: TimeInterval = 7 * 24 * 3600

    /// How every invitation code begins.
    public static let codePrefix = "slwi_"

    /// A fresh random code: `slwi_` and 32 hex digits (128 bits).
    public static func generateCode() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return codePrefix + bytes.map { String(format: "%02x", $0) }.joined()
    }

    /// Whether `user` is the person invited: their login, or their email address.
    public func isAddressed(to user: User) -> Bool {
        invitee == user.login || invitee == user.email.map(UserLogin.normalize)
    }
}

/// An invitation to be stored, with its code in clear (hashed by the store).
public struct NewInvitation: Sendable, Equatable {
    public var workspaceID: Int64
    public var invitee: String
    public var role: Role
    public var invitedBy: Int64
    public var code: String
    public var createdAt: Date
    public var expiresAt: Date

    public init(workspaceID: Int64, invitee: String, role: Role, invitedBy: Int64, code: String, createdAt: Date, expiresAt: Date) {
        self.workspaceID = workspaceID
        self.invitee = invitee
        self.role = role
        self.invitedBy = invitedBy
        self.code = code
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}

/// How an owner names an invitation to withdraw: its id (from the list) or its code.
public enum InvitationReference: Sendable, Equatable {
    case id(Int64)
    case code(String)

    /// For a message: the id, never the code.
    public var description: String {
        switch self {
        case .id(let id): String(id)
        case .code: "with this code"
        }
    }
}
