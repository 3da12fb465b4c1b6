import Foundation
import Hummingbird
import SlipwayCore

/// `GET/POST /api/v1/notifications`, `DELETE /api/v1/notifications/{id}`, `POST /api/v1/notifications/{id}/test`,
/// `GET /api/v1/notifications/{id}/deliveries` (docs/notifications.md). The workspace's destinations; their URLs are
/// shown masked (an incoming webhook's URL is its credential) and their secrets never. Reading needs `read`;
/// creating, deleting and sending a test need `admin`.
struct V1NotificationsController {
    let notifications: NotificationService

    /// Adds the routes to the `/api/v1/notifications` group.
    func addRoutes(to group: RouterGroup<SlipwayRequestContext>) {
        group.get(use: list)
        group.post(use: create)
        group.delete(":id", use: delete)
        group.post(":id/test", use: test)
        group.get(":id/deliveries", use: deliveries)
    }

    /// The body of a POST: every field optional here so that a missing one is a 422 naming it.
    struct CreateBody: Decodable {
        var kind: String?
        var url: String?
        var events: [String]?
        var secret: String?
    }

    @Sendable func list(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.read)
        let destinations = try await notifications.destinations(of: identity)
        return try JSONBody.response(V1NotificationDestinationList(data: destinations.map(V1NotificationDestination.init)))
    }

    /// 201 with the destination; 422 naming `kind`, `url`, `events` (or `events.N`) or `secret`.
    @Sendable func create(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.admin)
        let body = try await JSONBody.decode(CreateBody.self, from: request)
        let destination = try await notifications.create(kind: body.kind, url: body.url, events: body.events, secret: body.secret, by: identity)
        return try JSONBody.response(V1NotificationDestination(destination), status: .created)
    }

    @Sendable func delete(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.admin)
        try await notifications.delete(try Self.id(context), of: identity)
        return try JSONBody.response(V1ActionResult(message: "Notification destination removed."))
    }

    /// 202 with the queued delivery of a `notification.test` event.
    @Sendable func test(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.admin)
        let delivery = try await notifications.sendTest(try Self.id(context), of: identity)
        return try JSONBody.response(V1NotificationDelivery(delivery), status: .accepted)
    }

    /// `{data: [delivery]}`, newest first; `?limit=` 1 to 100 (default 50).
    @Sendable func deliveries(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.read)
        var limit = 50
        if let text = request.uri.queryParameters.get("limit") {
            guard let value = Int(text), (1...100).contains(value) else { throw SlipwayError.invalid("limit", "must be an integer from 1 to 100") }
            limit = value
        }
        let found = try await notifications.deliveries(try Self.id(context), of: identity, limit: limit)
        return try JSONBody.response(V1NotificationDeliveryList(data: found.map(V1NotificationDelivery.init)))
    }

    /// The destination id of the path; anything else is not found.
    private static func id(_ context: SlipwayRequestContext) throws -> Int64 {
        let text = context.parameters.get("id") ?? ""
        guard let id = Int64(text) else { throw SlipwayError.notFound("notification destination \(text) not found") }
        return id
    }
}

struct V1NotificationDestinationList: Encodable {
    var data: [V1NotificationDestination]
}

/// A destination as the API shows it: `{id, kind, url (masked), events, has_secret, created_at}`.
struct V1NotificationDestination: Encodable {
    var id: Int64
    var kind: String
    var url: String
    var events: [String]
    var hasSecret: Bool
    var createdAt: String

    init(_ destination: NotificationDestination) {
        id = destination.id
        kind = destination.kind.rawValue
        url = destination.maskedURL
        events = destination.events.map(\.rawValue).sorted()
        hasSecret = destination.secret != nil
        createdAt = Timestamp.format(destination.createdAt)
    }

    enum CodingKeys: String, CodingKey {
        case id, kind, url, events, hasSecret = "has_secret", createdAt = "created_at"
    }
}

struct V1NotificationDeliveryList: Encodable {
    var data: [V1NotificationDelivery]
}

/// One delivery of the log: `{id, destination_id, event, state, attempts, status_code, error, next_attempt_at,
/// created_at, last_attempt_at, delivered_at, project_id, deployment_id}`, nulls written.
struct V1NotificationDelivery: Encodable {
    let delivery: NotificationDelivery

    init(_ delivery: NotificationDelivery) {
        self.delivery = delivery
    }

    enum CodingKeys: String, CodingKey {
        case id, destinationID = "destination_id", event, state, attempts, statusCode = "status_code", error
        case nextAttemptAt = "next_attempt_at", createdAt = "created_at", lastAttemptAt = "last_attempt_at", deliveredAt = "delivered_at"
        case projectID = "project_id", deploymentID = "deployment_id"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(delivery.id, forKey: .id)
        try container.encode(delivery.destinationID, forKey: .destinationID)
        try container.encode(delivery.event.kind.rawValue, forKey: .event)
        try container.encode(delivery.state.rawValue, forKey: .state)
        try container.encode(delivery.attempts, forKey: .attempts)
        try container.encode(delivery.statusCode, forKey: .statusCode)
        try container.encode(delivery.error, forKey: .error)
        try container.encode(delivery.nextAttemptAt.map(Timestamp.format), forKey: .nextAttemptAt)
        try container.encode(Timestamp.format(delivery.createdAt), forKey: .createdAt)
        try container.encode(delivery.lastAttemptAt.map(Timestamp.format), forKey: .lastAttemptAt)
        try container.encode(delivery.deliveredAt.map(Timestamp.format), forKey: .deliveredAt)
        try container.encode(delivery.event.projectID, forKey: .projectID)
        try container.encode(delivery.event.deployment?.id, forKey: .deploymentID)
    }
}
