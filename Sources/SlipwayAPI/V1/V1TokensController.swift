import Foundation
import Hummingbird
import SlipwayCore

/// `POST/GET /api/v1/tokens`, `DELETE /api/v1/tokens/{id}`: API keys of the workspace (admin scope).
struct V1TokensController {
    /// Workspaces, users and tokens.
    let identities: any IdentityRepository

    func addRoutes(to group: RouterGroup<SlipwayRequestContext>) {
        group.post(use: create)
        group.get(use: list)
        group.delete(":id", use: delete)
    }

    struct CreateBody: Decodable {
        var name: String?
        var scopes: [String]?
        /// When the token stops working (ISO 8601, in the future); absent or null: never.
        var expiresAt: String?

        enum CodingKeys: String, CodingKey {
            case name, scopes
            case expiresAt = "expires_at"
        }
    }

    /// The latest a token may expire: ten years from now.
    static let longestLifetime: TimeInterval = 10 * 365 * 24 * 3600

    @Sendable func create(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.admin)
        let body = try await JSONBody.decode(CreateBody.self, from: request)
        var problems: [FieldProblem] = []
        let name = body.name?.trimmingCharacters(in: .whitespaces) ?? ""
        if name.isEmpty || name.count > 100 { problems.append(FieldProblem(field: "name", message: "is required (1 to 100 characters)")) }
        var scopes = Set<Scope>()
        for (index, text) in (body.scopes ?? ["read"]).enumerated() {
            if let scope = Scope(rawValue: text) {
                scopes.insert(scope)
            } else {
                problems.append(FieldProblem(field: "scopes.\(index)", message: "must be one of read, deploy, admin, metrics; got '\(text)'"))
            }
        }
        if scopes.contains(.metrics) && !identity.user.isInstallAdministrator {
            // The metrics page shows every workspace's figures: only an install administrator may hand out a way in.
            problems.append(FieldProblem(field: "scopes", message: "'metrics' is for install administrators only"))
        }
        if body.scopes?.isEmpty == true { problems.append(FieldProblem(field: "scopes", message: "must name at least one scope")) }
        var expiresAt: Date?
        if let text = body.expiresAt {
            let now = Date()
            if let microseconds = QueryTimestamp.parse(text), case let date = Timestamp.date(microseconds: microseconds), date > now,
                date.timeIntervalSince(now) <= Self.longestLifetime
            {
                expiresAt = date
            } else {
                problems.append(
                    FieldProblem(field: "expires_at", message: "must be a time in the next ten years, as ISO 8601 (2027-01-31T00:00:00Z)"))
            }
        }
        guard problems.isEmpty else { throw SlipwayError.invalid(problems) }
        let secret = APIToken.generateSecret()
        let token = try await identities.createToken(
            workspaceID: identity.workspace.id, userID: identity.user.id, name: name, scopes: scopes, secret: secret, expiresAt: expiresAt
        )
        context.audit.target(id: String(token.id), name: token.name)
        context.audit.detail("scopes", .names(token.scopes.map(\.rawValue).sorted()))
        return try JSONBody.response(V1Token(token: token, secret: secret), status: .created)
    }

    @Sendable func list(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.admin)
        let tokens = try await identities.tokens(workspaceID: identity.workspace.id)
        return try JSONBody.response(["data": tokens.map { V1Token(token: $0) }])
    }

    @Sendable func delete(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.admin)
        let text = context.parameters.get("id") ?? ""
        guard let id = Int64(text), try await identities.deleteToken(id: id, workspaceID: identity.workspace.id) else {
            throw SlipwayError.notFound("token \(text) not found")
        }
        return try JSONBody.response(V1ActionResult(message: "Token revoked."))
    }
}
