public import Foundation

/// API tokens of a workspace (docs/tenancy.md): admins and owners make, list and revoke them. The rules of a new
/// token (its name, its scopes, `metrics` for install administrators only, an expiry in the next ten years) are
/// decided here, for the API and the dashboard alike.
public struct TokenService: Sendable {
    public let identities: any IdentityRepository
    /// The current time (the tests move it).
    public let now: @Sendable () -> Date

    public init(identities: any IdentityRepository, now: @escaping @Sendable () -> Date = { Date() }) {
        self.identities = identities
        self.now = now
    }

    /// The latest a token may expire: ten years from now.
    public static let longestLifetime: TimeInterval = 10 * 365 * 24 * 3600

    /// A new token and its secret, shown once.
    public struct Created: Sendable {
        public var token: APIToken
        public var secret: String
    }

    /// The scopes a new token of `identity` may hold: the workspace's scopes, and `metrics` for an install
    /// administrator. (A token never acts beyond its user's role: `Identity` caps it when it is used.)
    public static func offeredScopes(to identity: Identity) -> [Scope] {
        Scope.allCases.filter { $0 != .metrics || identity.user.isInstallAdministrator }
    }

    /// Makes a token named `name` with `scopes` (nil: `read`), expiring at `expiresAt` (ISO 8601; nil: never), for
    /// `identity`'s user in their workspace; 403 without the `admin` scope, 422 naming each field that breaks a rule.
    public func create(name: String?, scopes: [String]?, expiresAt: String?, by identity: Identity) async throws -> Created {
        guard identity.grants(.admin) else {
            throw SlipwayError.forbidden("this needs the 'admin' scope in workspace '\(identity.workspace.name)'")
        }
        var problems: [FieldProblem] = []
        let name = name?.trimmingCharacters(in: .whitespaces) ?? ""
        if name.isEmpty || name.count > 100 { problems.append(FieldProblem(field: "name", message: "is required (1 to 100 characters)")) }
        var granted = Set<Scope>()
        for (index, text) in (scopes ?? ["read"]).enumerated() {
            if let scope = Scope(rawValue: text) {
                granted.insert(scope)
            } else {
                problems.append(FieldProblem(field: "scopes.\(index)", message: "must be one of read, deploy, admin, metrics; got '\(text)'"))
            }
        }
        if granted.contains(.metrics) && !identity.user.isInstallAdministrator {
            // The metrics page shows every workspace's figures: only an install administrator may hand out a way in.
            problems.append(FieldProblem(field: "scopes", message: "'metrics' is for install administrators only"))
        }
        if scopes?.isEmpty == true { problems.append(FieldProblem(field: "scopes", message: "must name at least one scope")) }
        var expiry: Date?
        if let text = expiresAt {
            let now = now()
            if let microseconds = QueryTimestamp.parse(text), case let date = Timestamp.date(microseconds: microseconds), date > now,
                date.timeIntervalSince(now) <= Self.longestLifetime
            {
                expiry = date
            } else {
                problems.append(
                    FieldProblem(field: "expires_at", message: "must be a time in the next ten years, as ISO 8601 (2027-01-31T00:00:00Z)"))
            }
        }
        guard problems.isEmpty else { throw SlipwayError.invalid(problems) }
        let secret = APIToken.generateSecret()
        let token = try await identities.createToken(
            workspaceID: identity.workspace.id, userID: identity.user.id, name: name, scopes: granted, secret: secret, expiresAt: expiry)
        return Created(token: token, secret: secret)
    }

    /// The workspace's tokens (the `admin` scope).
    public func tokens(of identity: Identity) async throws -> [APIToken] {
        guard identity.grants(.admin) else {
            throw SlipwayError.forbidden("this needs the 'admin' scope in workspace '\(identity.workspace.name)'")
        }
        return try await identities.tokens(workspaceID: identity.workspace.id)
    }

    /// Revokes the workspace's token `id` (the `admin` scope); 404 for a token the workspace does not have.
    public func revoke(id: Int64, by identity: Identity) async throws {
        guard identity.grants(.admin) else {
            throw SlipwayError.forbidden("this needs the 'admin' scope in workspace '\(identity.workspace.name)'")
        }
        guard try await identities.deleteToken(id: id, workspaceID: identity.workspace.id) else {
            throw SlipwayError.notFound("token \(id) not found")
        }
    }
}
