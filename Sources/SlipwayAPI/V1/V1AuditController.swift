import Foundation
import Hummingbird
import SlipwayCore

/// `GET /api/v1/audit`: the audit trail (docs/audit.md) with the query language of DESIGN.md §9 in snake_case;
/// answers `{"data": [...], "page_info": {...}}`. A workspace's owners and admins (the `admin` scope) read its
/// entries; an install administrator (with a credential that grants `admin`) also reads the install-level ones.
struct V1AuditController {
    let audit: any AuditRepository

    /// Adds the listing route to the `/api/v1` group.
    func addRoutes(to group: RouterGroup<SlipwayRequestContext>) {
        group.get("audit", use: list)
    }

    struct ListPage: Encodable {
        var data: [V1AuditEvent]
        var pageInfo: V1PageInfo

        enum CodingKeys: String, CodingKey {
            case data
            case pageInfo = "page_info"
        }
    }

    /// Which entries the caller may read; 403 naming the `admin` scope for anyone else.
    static func scope(of context: SlipwayRequestContext) throws -> AuditScope {
        let caller = try context.requireCaller()
        let installAdministrator = caller.user.isInstallAdministrator && caller.credentialGrants(.admin)
        if let identity = context.identity, identity.grants(.admin) {
            return AuditScope(workspaceID: identity.workspace.id, includesInstallEvents: installAdministrator)
        }
        guard installAdministrator else {
            _ = try context.require(.admin)
            throw SlipwayError.forbidden("reading the audit trail needs the 'admin' scope")
        }
        return AuditScope(workspaceID: nil, includesInstallEvents: true)
    }

    @Sendable func list(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let scope = try Self.scope(of: context)
        let parser = DeploymentQueryParser(catalog: .audit)
        let query = try parser.parse(request.listingParameters(for: parser))
        let page = try await audit.page(query, scope: scope)
        return try JSONBody.response(
            ListPage(
                data: page.items.map(V1AuditEvent.init),
                pageInfo: V1PageInfo(
                    total: page.total, hasNextPage: page.hasNextPage, hasPreviousPage: page.hasPreviousPage, startCursor: page.startCursor,
                    endCursor: page.endCursor)
            )
        )
    }
}

/// One audit entry in the native shape.
struct V1AuditEvent: Encodable {
    var event: AuditEvent

    struct Actor: Encodable {
        var userID: Int64?
        var login: String?

        enum CodingKeys: String, CodingKey {
            case userID = "user_id", login
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(userID, forKey: .userID)
            try container.encode(login, forKey: .login)
        }
    }

    struct Target: Encodable {
        var type: String?
        var id: String?
        var name: String?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(type, forKey: .type)
            try container.encode(id, forKey: .id)
            try container.encode(name, forKey: .name)
        }

        enum CodingKeys: String, CodingKey {
            case type, id, name
        }
    }

    struct Result: Encodable {
        var status: Int
        var outcome: String
        var error: String?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(status, forKey: .status)
            try container.encode(outcome, forKey: .outcome)
            try container.encode(error, forKey: .error)
        }

        enum CodingKeys: String, CodingKey {
            case status, outcome, error
        }
    }

    enum CodingKeys: String, CodingKey {
        case id, createdAt = "created_at", workspaceID = "workspace_id", actor, tokenID = "token_id", via, address, action, target, detail
        case result
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(event.id, forKey: .id)
        try container.encode(Timestamp.format(event.createdAt), forKey: .createdAt)
        try container.encode(event.workspaceID, forKey: .workspaceID)
        try container.encode(Actor(userID: event.actorUserID, login: event.actorLogin), forKey: .actor)
        try container.encode(event.tokenID, forKey: .tokenID)
        try container.encode(event.via.rawValue, forKey: .via)
        try container.encode(event.address, forKey: .address)
        try container.encode(event.action, forKey: .action)
        try container.encode(Target(type: event.targetType, id: event.targetID, name: event.targetName), forKey: .target)
        try container.encode(event.detail, forKey: .detail)
        try container.encode(Result(status: event.status, outcome: event.outcome.rawValue, error: event.errorCode), forKey: .result)
    }
}

extension QueryCatalog {
    /// `GET /api/v1/audit` (snake_case, the native shape's names, flattened: `actor_login` for `actor.login`).
    static let audit = QueryCatalog(
        fields: [
            "id": QueryField(AuditQueryAttributes.id, .integer),
            "workspace_id": QueryField(AuditQueryAttributes.workspaceID, .integer),
            "actor_user_id": QueryField(AuditQueryAttributes.actorUserID, .integer),
            "actor_login": QueryField(AuditQueryAttributes.actorLogin, .text),
            "token_id": QueryField(AuditQueryAttributes.tokenID, .integer),
            "via": QueryField(AuditQueryAttributes.via, QueryCatalog.identityWords(AuditEvent.Via.allCases.map(\.rawValue))),
            "address": QueryField(AuditQueryAttributes.address, .text),
            "created_at": QueryField(AuditQueryAttributes.createdAt, .timestamp),
            "action": QueryField(AuditQueryAttributes.action, .text),
            "target_type": QueryField(AuditQueryAttributes.targetType, .text),
            "target_id": QueryField(AuditQueryAttributes.targetID, .text),
            "target_name": QueryField(AuditQueryAttributes.targetName, .text),
            "status": QueryField(AuditQueryAttributes.status, .integer),
            "outcome": QueryField(AuditQueryAttributes.outcome, QueryCatalog.identityWords(AuditEvent.Outcome.allCases.map(\.rawValue))),
            "error": QueryField(AuditQueryAttributes.errorCode, .text),
        ],
        relations: [:], relationFields: [:],
        orderFields: ["id": AuditQueryAttributes.id, "created_at": AuditQueryAttributes.createdAt, "status": AuditQueryAttributes.status],
        ids: .integer, idAttribute: AuditQueryAttributes.id, defaultOrder: AuditQueryAttributes.defaultOrder
    )
}
