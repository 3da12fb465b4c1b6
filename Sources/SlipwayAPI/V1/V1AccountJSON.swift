import Foundation
import SlipwayCore

/// A user: never their password or its hash.
struct V1User: Encodable {
    var user: User

    enum Key: String, CodingKey {
        case id, login, name, email
        case isInstallAdmin = "is_install_admin", workspaceID = "workspace_id", createdAt = "created_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(user.id, forKey: .id)
        try container.encode(user.login, forKey: .login)
        try container.encode(user.name, forKey: .name)
        try container.encode(user.email, forKey: .email)
        try container.encode(user.isInstallAdministrator, forKey: .isInstallAdmin)
        try container.encode(user.workspaceID, forKey: .workspaceID)
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

/// A workspace as `me` and a login show it.
struct V1WorkspaceSummary: Encodable {
    var id: Int64
    var uid: String
    var name: String
    var cloudflareAccountID: String

    init(_ workspace: Workspace) {
        id = workspace.id
        uid = workspace.uid.lowercased
        name = workspace.name
        cloudflareAccountID = workspace.cloudflareAccountID
    }

    enum CodingKeys: String, CodingKey {
        case id, uid, name
        case cloudflareAccountID = "cloudflare_account_id"
    }
}
