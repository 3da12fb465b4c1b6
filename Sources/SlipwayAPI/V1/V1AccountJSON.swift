import Foundation
import SlipwayCore

/// A user: never their password or its hash.
struct V1User: Encodable {
    var user: User

    enum Key: String, CodingKey {
        case id, login, name, email
        case isInstallAdmin = "is_install_admin", createdAt = "created_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(user.id, forKey: .id)
        try container.encode(user.login, forKey: .login)
        try container.encode(user.name, forKey: .name)
        try container.encode(user.email, forKey: .email)
        try container.encode(user.isInstallAdministrator, forKey: .isInstallAdmin)
        try container.encode(Timestamp.format(user.createdAt), forKey: .createdAt)
    }
}

/// A session: never its secret. `current` marks the one the request came with.
struct V1Session: Encodable {
    var session: LoginSession
    var isCurrent: Bool

    enum Key: String, CodingKey {
        case id, uid, current
        case workspaceID = "workspace_id", createdAt = "created_at", expiresAt = "expires_at", lastUsedAt = "last_used_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(session.id, forKey: .id)
        try container.encode(session.uid.lowercased, forKey: .uid)
        try container.encode(session.workspaceID, forKey: .workspaceID)
        try container.encode(Timestamp.format(session.createdAt), forKey: .createdAt)
        try container.encode(Timestamp.format(session.expiresAt), forKey: .expiresAt)
        try container.encode(session.lastUsedAt.map(Timestamp.format), forKey: .lastUsedAt)
        try container.encode(isCurrent, forKey: .current)
    }
}

/// A workspace as `me`, a login and the workspace list show it: `role` is the caller's there (null where they are
/// not a member: an install administrator's list of every workspace).
struct V1WorkspaceSummary: Encodable {
    var id: Int64
    var uid: String
    var name: String
    var cloudflareAccountID: String
    var createdAt: String
    var role: Role?

    init(_ workspace: Workspace, role: Role?) {
        id = workspace.id
        uid = workspace.uid.lowercased
        name = workspace.name
        cloudflareAccountID = workspace.cloudflareAccountID
        createdAt = Timestamp.format(workspace.createdAt)
        self.role = role
    }

    init(_ membership: Membership) {
        self.init(membership.workspace, role: membership.role)
    }

    enum CodingKeys: String, CodingKey {
        case id, uid, name, role
        case cloudflareAccountID = "cloudflare_account_id", createdAt = "created_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(uid, forKey: .uid)
        try container.encode(name, forKey: .name)
        try container.encode(cloudflareAccountID, forKey: .cloudflareAccountID)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(role, forKey: .role)
    }
}

/// A member of a workspace: the user (never their password) and their role.
struct V1Member: Encodable {
    var member: Member

    enum Key: String, CodingKey {
        case user, role
        case joinedAt = "joined_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(V1User(user: member.user), forKey: .user)
        try container.encode(member.role, forKey: .role)
        try container.encode(Timestamp.format(member.createdAt), forKey: .joinedAt)
    }
}

/// An invitation; `code` only in the answer that made it.
struct V1Invitation: Encodable {
    var invitation: Invitation
    var code: String?

    enum Key: String, CodingKey {
        case id, invitee, role, code
        case workspaceID = "workspace_id", invitedBy = "invited_by", createdAt = "created_at", expiresAt = "expires_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(invitation.id, forKey: .id)
        try container.encode(invitation.workspaceID, forKey: .workspaceID)
        try container.encode(invitation.invitee, forKey: .invitee)
        try container.encode(invitation.role, forKey: .role)
        try container.encode(invitation.invitedBy, forKey: .invitedBy)
        try container.encode(Timestamp.format(invitation.createdAt), forKey: .createdAt)
        try container.encode(Timestamp.format(invitation.expiresAt), forKey: .expiresAt)
        if let code { try container.encode(code, forKey: .code) }
    }
}

/// A role named in a request body: one of the four, or a 422 naming `field`.
enum V1RoleField {
    static func parse(_ text: String, field: String = "role") throws -> Role {
        guard let role = Role(rawValue: text) else {
            throw SlipwayError.invalid(field, "must be one of \(Role.names); got '\(text)'")
        }
        return role
    }
}
