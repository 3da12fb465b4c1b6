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

/// A person (or robot) of the install; they act in the workspaces they are a member of (`Membership`). Tokens and
/// sessions belong to users.
///
/// `login` is unique on the install, stored normalized (`UserLogin.normalize`); `name` is the login as it was given.
public struct User: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var login: String
    public var email: String?
    /// An install administrator creates users and resets their passwords (docs/tenancy.md).
    public var isInstallAdministrator: Bool
    public var createdAt: Date

    public init(
        id: Int64, name: String, login: String? = nil, email: String? = nil, isInstallAdministrator: Bool = false,
        createdAt: Date
    ) {
        self.id = id
        self.name = name
        self.login = login ?? UserLogin.normalize(name)
        self.email = email
        self.isInstallAdministrator = isInstallAdministrator
        self.createdAt = createdAt
    }
}

extension UUID {
    /// The UUID as 32 lower-case hex digits, without dashes.
    public var hexDigits: String { uuidString.lowercased().replacingOccurrences(of: "-", with: "") }

    /// The UUID in its canonical lower-case, dashed form.
    public var lowercased: String { uuidString.lowercased() }
}
