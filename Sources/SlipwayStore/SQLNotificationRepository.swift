import Foundation
import SQLKit
public import SlipwayCore

extension SQLStore {
    /// Notification destinations and deliveries (migration 21); `box` seals their URLs and secrets.
    public func notifications(box: SecretBox) -> any NotificationRepository {
        SQLNotificationRepository(database: database, box: box)
    }

    /// Signalled whenever a delivery is queued, so that the delivery service attempts it at once.
    public var notificationsQueued: WakeUpSignal { database.notificationsQueued }
}

/// The one way an event becomes deliveries: in the transaction that records what happened, one `pending` delivery
/// per destination of the workspace that subscribes to the event, unique per (destination, event key). Called by the
/// deployment writer (new deployments, state changes), the restart record and the certificate state.
enum NotificationOutbox {
    private struct DestinationRow: Decodable {
        var id: Int64
        var events: String
        var kind: String
        var projectID: Int64?
    }

    static let pending = NotificationDeliveryState.pending.rawValue

    static func publish(_ event: NotificationEvent, _ session: Session) async throws {
        let destinations = try await session.all(
            DestinationRow.self,
            "SELECT id, events, kind, project_id FROM notification_destinations WHERE workspace_id = \(bind: event.workspaceID)")
        let matching = destinations.filter { destination in
            guard StoredEvents.parse(destination.events).contains(event.kind) else { return false }
            guard let projectID = destination.projectID else { return true }
            // A commit status needs the commit: a deployment queued before its commit is known posts from `started` on.
            return projectID == event.projectID && event.deployment?.commitID != nil
        }
        guard !matching.isEmpty else { return }
        let payload = try StoredEvents.json(event)
        for destination in matching {
            try await insert(event, payload: payload, destinationID: destination.id, session)
        }
        session.notificationsQueued?.signal()
    }

    /// Inserts one delivery; an event already queued for the destination is left as it is.
    static func insert(_ event: NotificationEvent, payload: String, destinationID: Int64, _ session: Session) async throws {
        let now = StoredValue.microseconds(event.occurredAt)
        try await session.run(
            """
            INSERT INTO notification_deliveries (destination_id, event, event_key, payload, state, attempts, next_attempt_at, created_at)
            VALUES (
                \(bind: destinationID), \(bind: event.kind.rawValue), \(bind: event.key), \(bind: payload), \(bind: pending), 0,
                \(bind: now), \(bind: now)
            )
            ON CONFLICT (destination_id, event_key) DO NOTHING
            """
        )
    }
}

/// How events and event lists are stored.
enum StoredEvents {
    static func text(_ events: Set<NotificationEventKind>) -> String { events.map(\.rawValue).sorted().joined(separator: ",") }

    static func parse(_ text: String) -> Set<NotificationEventKind> {
        Set(text.split(separator: ",").compactMap { NotificationEventKind(rawValue: String($0)) })
    }

    static func json(_ event: NotificationEvent) throws -> String {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(event), as: UTF8.self)
    }

    static func event(_ text: String) throws -> NotificationEvent {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        do {
            return try decoder.decode(NotificationEvent.self, from: Data(text.utf8))
        } catch {
            throw StoreError.corruptValue(table: "notification_deliveries", column: "payload", value: String(text.prefix(80)))
        }
    }
}

/// Notification destinations and deliveries in SQL. A destination's URL (an incoming webhook's URL is its credential)
/// and secret are sealed, bound to the destination's uid.
struct SQLNotificationRepository: NotificationRepository {
    let database: Database
    let box: SecretBox

    private struct DestinationRow: Decodable {
        var id: Int64
        var uid: String
        var workspaceID: Int64
        var kind: String
        var sealedURL: String
        var events: String
        var sealedSecret: String?
        var createdAt: Int64
        var projectID: Int64?
        var repository: String?

        func destination(_ box: SecretBox) throws -> NotificationDestination {
            NotificationDestination(
                id: id, workspaceID: workspaceID,
                kind: try StoredValue.enumeration(NotificationDestinationKind.self, kind, table: "notification_destinations", column: "kind"),
                url: try box.unseal(sealedURL, context: SQLNotificationRepository.urlContext(uid)),
                events: StoredEvents.parse(events),
                secret: try sealedSecret.map { try box.unseal($0, context: SQLNotificationRepository.secretContext(uid)) },
                createdAt: StoredValue.date(createdAt), projectID: projectID, repository: repository)
        }
    }

    private struct DeliveryRow: Decodable {
        var id: Int64
        var destinationID: Int64
        var payload: String
        var state: String
        var attempts: Int64
        var statusCode: Int64?
        var error: String?
        var nextAttemptAt: Int64
        var createdAt: Int64
        var lastAttemptAt: Int64?
        var deliveredAt: Int64?

        func delivery() throws -> NotificationDelivery {
            let state = try StoredValue.enumeration(NotificationDeliveryState.self, state, table: "notification_deliveries", column: "state")
            return NotificationDelivery(
                id: id, destinationID: destinationID, event: try StoredEvents.event(payload), state: state, attempts: Int(attempts),
                statusCode: statusCode.map(Int.init), error: error, nextAttemptAt: state == .pending ? StoredValue.date(nextAttemptAt) : nil,
                createdAt: StoredValue.date(createdAt), lastAttemptAt: StoredValue.date(lastAttemptAt), deliveredAt: StoredValue.date(deliveredAt))
        }
    }

    private struct CountRow: Decodable {
        var count: Int64
    }

    private struct NameRow: Decodable {
        var id: Int64
        var name: String
    }

    static func urlContext(_ uid: String) -> String { "notification_destinations/\(uid)/url" }
    static func secretContext(_ uid: String) -> String { "notification_destinations/\(uid)/secret" }

    func create(_ destination: NewNotificationDestination, workspaceID: Int64, maximum: Int, at time: Date) async throws -> NotificationDestination {
        let uid = UUID().uuidString.lowercased()
        let sealedURL = try box.seal(destination.url, context: Self.urlContext(uid))
        let sealedSecret = try destination.secret.map { try box.seal($0, context: Self.secretContext(uid)) }
        return try await database.transaction { session in
            // Creations in one workspace wait for each other here, so the count cannot be passed (SQLite serializes anyway).
            if session.dialect == .postgres {
                try await session.run("SELECT id FROM workspaces WHERE id = \(bind: workspaceID) FOR UPDATE")
            }
            let count =
                try await session.first(
                    CountRow.self,
                    "SELECT COUNT(*) AS count FROM notification_destinations WHERE workspace_id = \(bind: workspaceID) AND project_id IS NULL"
                )?.count ?? 0
            guard count < maximum else {
                throw SlipwayError.invalid("url", "this workspace already has \(count) notification destinations, the most it may have")
            }
            let id = try await session.insertReturningID(
                """
                INSERT INTO notification_destinations (uid, workspace_id, kind, sealed_url, events, sealed_secret, created_at)
                VALUES (
                    \(bind: uid), \(bind: workspaceID), \(bind: destination.kind.rawValue), \(bind: sealedURL),
                    \(bind: StoredEvents.text(destination.events)), \(bind: sealedSecret), \(bind: StoredValue.microseconds(time))
                )
                RETURNING id
                """
            )
            return NotificationDestination(
                id: id, workspaceID: workspaceID, kind: destination.kind, url: destination.url, events: destination.events,
                secret: destination.secret, createdAt: StoredValue.storedPrecision(time))
        }
    }

    func destinations(workspaceID: Int64) async throws -> [NotificationDestination] {
        try await database.withConnection { session in
            try await session.all(
                DestinationRow.self,
                "SELECT * FROM notification_destinations WHERE workspace_id = \(bind: workspaceID) AND project_id IS NULL ORDER BY id"
            ).map { try $0.destination(box) }
        }
    }

    func destination(id: Int64, workspaceID: Int64) async throws -> NotificationDestination? {
        try await database.withConnection { session in
            try await session.first(
                DestinationRow.self,
                "SELECT * FROM notification_destinations WHERE id = \(bind: id) AND workspace_id = \(bind: workspaceID) AND project_id IS NULL"
            )?.destination(box)
        }
    }

    func delete(id: Int64, workspaceID: Int64) async throws -> Bool {
        try await database.transaction { session in
            let found = try await session.value(
                Int64.self, column: "id",
                "SELECT id FROM notification_destinations WHERE id = \(bind: id) AND workspace_id = \(bind: workspaceID) AND project_id IS NULL")
            guard found != nil else { return false }
            try await session.run("DELETE FROM notification_deliveries WHERE destination_id = \(bind: id)")
            try await session.run("DELETE FROM notification_destinations WHERE id = \(bind: id)")
            return true
        }
    }

    func setCommitStatus(_ destination: NewNotificationDestination, workspaceID: Int64, at time: Date) async throws -> NotificationDestination {
        guard let projectID = destination.projectID else { throw SlipwayError.invalid("project", "a commit status belongs to a project") }
        let uid = UUID().uuidString.lowercased()
        let sealedURL = try box.seal(destination.url, context: Self.urlContext(uid))
        let sealedSecret = try destination.secret.map { try box.seal($0, context: Self.secretContext(uid)) }
        return try await database.transaction { session in
            _ = try await Self.deleteCommitStatus(projectID: projectID, session)
            let id = try await session.insertReturningID(
                """
                INSERT INTO notification_destinations (
                    uid, workspace_id, kind, sealed_url, events, sealed_secret, created_at, project_id, repository
                ) VALUES (
                    \(bind: uid), \(bind: workspaceID), \(bind: destination.kind.rawValue), \(bind: sealedURL),
                    \(bind: StoredEvents.text(destination.events)), \(bind: sealedSecret), \(bind: StoredValue.microseconds(time)),
                    \(bind: projectID), \(bind: destination.repository)
                )
                RETURNING id
                """
            )
            return NotificationDestination(
                id: id, workspaceID: workspaceID, kind: destination.kind, url: destination.url, events: destination.events,
                secret: destination.secret, createdAt: StoredValue.storedPrecision(time), projectID: projectID, repository: destination.repository)
        }
    }

    func commitStatus(projectID: Int64) async throws -> NotificationDestination? {
        try await database.withConnection { session in
            try await session.first(DestinationRow.self, "SELECT * FROM notification_destinations WHERE project_id = \(bind: projectID)")?
                .destination(box)
        }
    }

    func removeCommitStatus(projectID: Int64) async throws -> Bool {
        try await database.transaction { session in try await Self.deleteCommitStatus(projectID: projectID, session) }
    }

    /// Deletes the project's commit-status destination and its deliveries; whether there was one.
    private static func deleteCommitStatus(projectID: Int64, _ session: Session) async throws -> Bool {
        let ids = try await session.all(
            DeliveryIDRow.self, "SELECT id FROM notification_destinations WHERE project_id = \(bind: projectID)"
        ).map(\.id)
        guard !ids.isEmpty else { return false }
        try await session.run("DELETE FROM notification_deliveries WHERE destination_id IN (\(binds: ids))")
        try await session.run("DELETE FROM notification_destinations WHERE id IN (\(binds: ids))")
        return true
    }

    private struct DeliveryIDRow: Decodable {
        var id: Int64
    }

    func deliveries(destinationID: Int64, limit: Int) async throws -> [NotificationDelivery] {
        try await database.withConnection { session in
            try await session.all(
                DeliveryRow.self,
                """
                SELECT * FROM notification_deliveries WHERE destination_id = \(bind: destinationID)
                ORDER BY id DESC LIMIT \(bind: max(limit, 0))
                """
            ).map { try $0.delivery() }
        }
    }

    func enqueue(_ event: NotificationEvent, destinationID: Int64, at time: Date) async throws -> NotificationDelivery {
        let payload = try StoredEvents.json(event)
        return try await database.withConnection { session in
            try await NotificationOutbox.insert(event, payload: payload, destinationID: destinationID, session)
            let row = try await session.first(
                DeliveryRow.self,
                "SELECT * FROM notification_deliveries WHERE destination_id = \(bind: destinationID) AND event_key = \(bind: event.key)")
            guard let row else { throw SlipwayError.notFound("notification destination \(destinationID) not found") }
            return try row.delivery()
        }
    }

    func claimDue(at time: Date, limit: Int, leaseUntil: Date) async throws -> [DueNotification] {
        guard limit > 0 else { return [] }
        let now = StoredValue.microseconds(time)
        let pending = NotificationOutbox.pending
        return try await database.transaction { session in
            let due = try await session.all(
                DeliveryRow.self,
                """
                SELECT * FROM notification_deliveries AS delivery
                WHERE delivery.state = \(bind: pending) AND delivery.next_attempt_at <= \(bind: now)
                    AND (delivery.lease_until IS NULL OR delivery.lease_until < \(bind: now))
                    AND NOT EXISTS (
                        SELECT 1 FROM notification_deliveries AS earlier
                        WHERE earlier.destination_id = delivery.destination_id AND earlier.state = \(bind: pending)
                            AND earlier.id < delivery.id
                    )
                ORDER BY delivery.id
                LIMIT \(bind: limit)
                \(session.rowLock(skipLocked: true))
                """
            )
            guard !due.isEmpty else { return [] }
            let ids = due.map(\.id)
            try await session.run(
                """
                UPDATE notification_deliveries
                SET attempts = attempts + 1, last_attempt_at = \(bind: now), lease_until = \(bind: StoredValue.microseconds(leaseUntil))
                WHERE id IN (\(binds: ids))
                """
            )
            let destinationIDs = Array(Set(due.map(\.destinationID)))
            let destinations = try await session.all(
                DestinationRow.self, "SELECT * FROM notification_destinations WHERE id IN (\(binds: destinationIDs))")
            var byID: [Int64: NotificationDestination] = [:]
            for row in destinations { byID[row.id] = try row.destination(box) }
            var claimed: [DueNotification] = []
            var projectIDs: Set<Int64> = []
            for row in due {
                guard let destination = byID[row.destinationID] else { continue }
                var delivery = try row.delivery()
                delivery.attempts += 1
                delivery.lastAttemptAt = StoredValue.storedPrecision(time)
                if let projectID = delivery.event.projectID { projectIDs.insert(projectID) }
                claimed.append(DueNotification(delivery: delivery, destination: destination, projectName: nil))
            }
            if !projectIDs.isEmpty {
                let names = try await session.all(NameRow.self, "SELECT id, name FROM projects WHERE id IN (\(binds: Array(projectIDs)))")
                let nameByID = Dictionary(uniqueKeysWithValues: names.map { ($0.id, $0.name) })
                for index in claimed.indices {
                    claimed[index].projectName = claimed[index].delivery.event.projectID.flatMap { nameByID[$0] }
                }
            }
            return claimed
        }
    }

    func record(_ outcome: NotificationAttemptOutcome, deliveryID: Int64, at time: Date) async throws {
        let now = StoredValue.microseconds(time)
        let assignments: SQLQueryString
        switch outcome {
        case .delivered(let statusCode):
            assignments = """
                state = \(bind: NotificationDeliveryState.delivered.rawValue), status_code = \(bind: Int64(statusCode)), error = NULL,
                delivered_at = \(bind: now)
                """
        case .failed(let statusCode, let error, let retryAt?):
            assignments = """
                state = \(bind: NotificationDeliveryState.pending.rawValue), status_code = \(bind: statusCode.map(Int64.init)),
                error = \(bind: error), next_attempt_at = \(bind: StoredValue.microseconds(retryAt))
                """
        case .failed(let statusCode, let error, nil):
            assignments = """
                state = \(bind: NotificationDeliveryState.failed.rawValue), status_code = \(bind: statusCode.map(Int64.init)),
                error = \(bind: error)
                """
        }
        try await database.withConnection { session in
            try await session.run("UPDATE notification_deliveries SET \(assignments), lease_until = NULL WHERE id = \(bind: deliveryID)")
        }
    }
}
