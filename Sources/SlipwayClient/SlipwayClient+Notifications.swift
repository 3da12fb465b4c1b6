import Foundation
import NIOHTTP1

/// A notification destination as the API shows it (docs/notifications.md): the URL masked, the secret never shown.
public struct NotificationDestinationInfo: Codable, Sendable, Equatable {
    public var id: Int64
    /// `webhook`, `slack` or `discord`.
    public var kind: String
    /// Scheme and host; the rest masked.
    public var url: String
    public var events: [String]
    public var hasSecret: Bool
    public var createdAt: String
}

/// One delivery of a destination's log.
public struct NotificationDeliveryInfo: Codable, Sendable, Equatable {
    public var id: Int64
    public var destinationId: Int64
    public var event: String
    /// `pending`, `delivered` or `failed`.
    public var state: String
    public var attempts: Int
    public var statusCode: Int?
    public var error: String?
    public var nextAttemptAt: String?
    public var createdAt: String
    public var lastAttemptAt: String?
    public var deliveredAt: String?
    public var projectId: Int64?
    public var deploymentId: Int64?
}

private struct NotificationDestinationList: Decodable {
    var data: [NotificationDestinationInfo]
}

private struct NotificationDeliveryList: Decodable {
    var data: [NotificationDeliveryInfo]
}

extension SlipwayClient {
    /// The workspace's notification destinations.
    public func notificationDestinations() async throws -> [NotificationDestinationInfo] {
        let list: NotificationDestinationList = try await send(.GET, "/api/v1/notifications")
        return list.data
    }

    /// Adds a destination: `kind` webhook, slack or discord; `events` the event names it receives; `secret` signs a
    /// webhook's bodies.
    public func addNotificationDestination(kind: String, url: String, events: [String], secret: String? = nil) async throws
        -> NotificationDestinationInfo
    {
        struct Body: Encodable {
            var kind: String
            var url: String
            var events: [String]
            var secret: String?
        }
        return try await send(.POST, "/api/v1/notifications", body: Body(kind: kind, url: url, events: events, secret: secret))
    }

    /// Removes a destination and its delivery log.
    public func removeNotificationDestination(_ id: Int64) async throws -> ActionResult {
        try await send(.DELETE, "/api/v1/notifications/\(id)")
    }

    /// Queues a `notification.test` event for the destination: the queued delivery.
    public func testNotificationDestination(_ id: Int64) async throws -> NotificationDeliveryInfo {
        try await send(.POST, "/api/v1/notifications/\(id)/test")
    }

    /// The destination's newest deliveries (at most `limit`).
    public func notificationDeliveries(_ id: Int64, limit: Int = 50) async throws -> [NotificationDeliveryInfo] {
        let list: NotificationDeliveryList = try await send(.GET, "/api/v1/notifications/\(id)/deliveries?limit=\(limit)")
        return list.data
    }
}
