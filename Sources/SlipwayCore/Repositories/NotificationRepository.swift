public import Foundation

/// Notification destinations and their delivery log. Deliveries are created by the store itself, in the transaction
/// that records what happened (a deployment's new state, a restart, a failed certificate): one row per matching
/// destination, unique per event and destination, so an event is never lost nor delivered twice.
public protocol NotificationRepository: Sendable {
    /// Stores a destination (its URL and secret sealed); `SlipwayError.invalid` on `url` when the workspace already
    /// has `maximum` destinations.
    func create(_ destination: NewNotificationDestination, workspaceID: Int64, maximum: Int, at time: Date) async throws -> NotificationDestination
    /// The workspace's destinations, by id.
    func destinations(workspaceID: Int64) async throws -> [NotificationDestination]
    func destination(id: Int64, workspaceID: Int64) async throws -> NotificationDestination?
    /// Deletes a destination and its delivery log; false when the workspace has no such destination.
    func delete(id: Int64, workspaceID: Int64) async throws -> Bool
    /// The destination's newest deliveries first.
    func deliveries(destinationID: Int64, limit: Int) async throws -> [NotificationDelivery]
    /// Queues `event` for one destination (the test button): the new delivery.
    func enqueue(_ event: NotificationEvent, destinationID: Int64, at time: Date) async throws -> NotificationDelivery

    /// Replaces the project's commit-status destination (`destination.projectID`) with this one; its deliveries go too.
    func setCommitStatus(_ destination: NewNotificationDestination, workspaceID: Int64, at time: Date) async throws -> NotificationDestination
    /// The project's commit-status destination.
    func commitStatus(projectID: Int64) async throws -> NotificationDestination?
    /// Removes the project's commit-status destination; false when it has none.
    func removeCommitStatus(projectID: Int64) async throws -> Bool

    /// Claims up to `limit` deliveries due at `time` for an attempt, leased until `leaseUntil` (an attempt that never
    /// reports, its process killed, is tried again after that). Per destination only the oldest unfinished delivery
    /// is ever claimed, so each destination receives its events in order. Each claim counts as an attempt.
    func claimDue(at time: Date, limit: Int, leaseUntil: Date) async throws -> [DueNotification]
    /// Records how the attempt on a claimed delivery ended.
    func record(_ outcome: NotificationAttemptOutcome, deliveryID: Int64, at time: Date) async throws
}

/// The use cases of notification destinations (`/api/v1/notifications`).
public struct NotificationService: Sendable {
    public let repository: any NotificationRepository
    public let rules: NotificationRules
    /// Told when a delivery was queued, so that it is attempted at once.
    public let wakeUp: WakeUpSignal

    public init(repository: any NotificationRepository, rules: NotificationRules, wakeUp: WakeUpSignal) {
        self.repository = repository
        self.rules = rules
        self.wakeUp = wakeUp
    }

    /// Validates and stores a destination of the caller's workspace.
    public func create(kind: String?, url: String?, events: [String]?, secret: String?, by identity: Identity) async throws
        -> NotificationDestination
    {
        let valid = try rules.validate(kind: kind, url: url, events: events, secret: secret)
        return try await repository.create(valid, workspaceID: identity.workspace.id, maximum: rules.maximumDestinations, at: Date())
    }

    public func destinations(of identity: Identity) async throws -> [NotificationDestination] {
        try await repository.destinations(workspaceID: identity.workspace.id)
    }

    /// The destination `id` of the caller's workspace; `notFound` otherwise.
    public func destination(_ id: Int64, of identity: Identity) async throws -> NotificationDestination {
        guard let destination = try await repository.destination(id: id, workspaceID: identity.workspace.id) else {
            throw SlipwayError.notFound("notification destination \(id) not found")
        }
        return destination
    }

    public func delete(_ id: Int64, of identity: Identity) async throws {
        guard try await repository.delete(id: id, workspaceID: identity.workspace.id) else {
            throw SlipwayError.notFound("notification destination \(id) not found")
        }
    }

    /// Queues a `notification.test` event for the destination and wakes the delivery: the queued delivery.
    public func sendTest(_ id: Int64, of identity: Identity) async throws -> NotificationDelivery {
        let destination = try await destination(id, of: identity)
        let now = Date()
        let event = NotificationEvent(
            kind: .test, key: "\(NotificationEventKind.test.rawValue)/\(UUID().uuidString.lowercased())", occurredAt: now,
            workspaceID: identity.workspace.id, projectID: nil, detail: "a test sent by \(identity.user.login)")
        let delivery = try await repository.enqueue(event, destinationID: destination.id, at: now)
        wakeUp.signal()
        return delivery
    }

    /// Sets the project's commit statuses: validated, the token sealed.
    public func setCommitStatus(
        forge: String?, repository: String?, token: String?, apiURL: String?, of project: Project
    ) async throws -> NotificationDestination {
        let valid = try CommitStatusRules.validate(
            forge: forge, repository: repository, token: token, apiURL: apiURL, projectID: project.id, rules: rules)
        return try await self.repository.setCommitStatus(valid, workspaceID: project.workspaceID, at: Date())
    }

    /// The project's commit-status settings and their newest deliveries; `notFound` when it has none.
    public func commitStatus(of project: Project) async throws -> (NotificationDestination, [NotificationDelivery]) {
        guard let destination = try await repository.commitStatus(projectID: project.id) else {
            throw SlipwayError.notFound("project \(project.name) posts no commit statuses")
        }
        return (destination, try await repository.deliveries(destinationID: destination.id, limit: 10))
    }

    public func removeCommitStatus(of project: Project) async throws {
        guard try await repository.removeCommitStatus(projectID: project.id) else {
            throw SlipwayError.notFound("project \(project.name) posts no commit statuses")
        }
    }

    /// The destination's newest deliveries (at most `limit`, 1 to 100).
    public func deliveries(_ id: Int64, of identity: Identity, limit: Int) async throws -> [NotificationDelivery] {
        let destination = try await destination(id, of: identity)
        return try await repository.deliveries(destinationID: destination.id, limit: min(max(limit, 1), 100))
    }
}
