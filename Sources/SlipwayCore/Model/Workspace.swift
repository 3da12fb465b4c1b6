public import Foundation

/// The tenant: every project, token and deployment belongs to exactly one workspace.
public struct Workspace: Sendable, Equatable {
    public var id: Int64
    public var uid: UUID
    public var name: String
    public var createdAt: Date

    public init(id: Int64, uid: UUID, name: String, createdAt: Date) {
        self.id = id
        self.uid = uid
        self.name = name
        self.createdAt = createdAt
    }

    /// The account id the Cloudflare Pages dialect uses: the UUID as 32 lower-case hex digits.
    public var cloudflareAccountID: String { uid.hexDigits }
}

/// A person (or robot) acting in a workspace; tokens belong to users.
public struct User: Sendable, Equatable {
    public var id: Int64
    public var workspaceID: Int64
    public var name: String
    public var createdAt: Date

    public init(id: Int64, workspaceID: Int64, name: String, createdAt: Date) {
        self.id = id
        self.workspaceID = workspaceID
        self.name = name
        self.createdAt = createdAt
    }
}

extension UUID {
    /// The UUID as 32 lower-case hex digits, without dashes.
    public var hexDigits: String { uuidString.lowercased().replacingOccurrences(of: "-", with: "") }

    /// The UUID in its canonical lower-case, dashed form.
    public var lowercased: String { uuidString.lowercased() }
}
