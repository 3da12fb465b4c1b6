import Foundation
import SQLKit
import SlipwayCore
import Testing

@testable import SlipwayStore

/// Notification destinations and the outbox on SQLite and PostgreSQL.
@Suite struct NotificationStoreTests {
    private struct SealedRow: Decodable {
        var sealedURL: String
        var sealedSecret: String?
    }

    private static let url = "https://hooks.slack.example/services/T000/B000/very-secret-path"
    private static let secret = "a-signing-secret-of-some-length"

    @Test("A destination's URL and secret are sealed at rest and read back in clear", arguments: TestDatabase.all)
    func sealedAtRest(database: TestDatabase) async throws {
        try await database.withStore { store in
            let identity = try await Fixtures.bootstrap(store)
            let notifications = store.notifications(box: Fixtures.secrets)
            let created = try await notifications.create(
                NewNotificationDestination(kind: .webhook, url: Self.url, events: [.deploymentFailed], secret: Self.secret),
                workspaceID: identity.workspace.id, maximum: 5, at: Fixtures.time)
            let row = try #require(
                try await store.database.withConnection { session in
                    try await session.first(SealedRow.self, "SELECT sealed_url, sealed_secret FROM notification_destinations")
                })
            #expect(!row.sealedURL.contains("very-secret-path") && row.sealedURL.hasPrefix("v1:"))
            #expect(row.sealedSecret?.contains(Self.secret) == false)
            let read = try #require(try await notifications.destination(id: created.id, workspaceID: identity.workspace.id))
            #expect(read.url == Self.url && read.secret == Self.secret && read.events == [.deploymentFailed])
            #expect(read.maskedURL == "https://hooks.slack.example/•••")
        }
    }

    @Test("A deployment's states become one delivery each per subscribed destination, once, in order", arguments: TestDatabase.all)
    func outboxQueuesEachEventOnce(database: TestDatabase) async throws {
        try await database.withStore { store in
            let identity = try await Fixtures.bootstrap(store)
            let other = try await Fixtures.bootstrap(store, workspace: "other")
            let notifications = store.notifications(box: Fixtures.secrets)
            let all = Set(NotificationEventKind.subscribable)
            let everything = try await notifications.create(
                NewNotificationDestination(kind: .webhook, url: Self.url, events: all, secret: nil),
                workspaceID: identity.workspace.id, maximum: 5, at: Fixtures.time)
            let failures = try await notifications.create(
                NewNotificationDestination(kind: .slack, url: Self.url, events: [.deploymentFailed], secret: nil),
                workspaceID: identity.workspace.id, maximum: 5, at: Fixtures.time)
            let elsewhere = try await notifications.create(
                NewNotificationDestination(kind: .webhook, url: Self.url, events: all, secret: nil),
                workspaceID: other.workspace.id, maximum: 5, at: Fixtures.time)
            let project = try await store.projects.create(Fixtures.newProject("site"), workspaceID: identity.workspace.id)

            try await Fixtures.admit(store, Fixtures.newDeployment(project, by: identity))
            var running = try #require(try await Fixtures.claimNext(store))
            // Written at every stage: still one `started`.
            try await store.deployments.saveProgress(running)
            try await store.deployments.saveProgress(running)
            try Fixtures.succeed(&running, build: UUID(), at: Fixtures.time)
            try await store.deployments.saveLive(running, makeProduction: true)

            let delivered = try await notifications.deliveries(destinationID: everything.id, limit: 10)
            #expect(delivered.reversed().map(\.event.kind) == [.deploymentQueued, .deploymentStarted, .deploymentSucceeded])
            #expect(delivered.allSatisfy { $0.state == .pending && $0.event.deployment?.id == running.id })
            #expect(try await notifications.deliveries(destinationID: failures.id, limit: 10).isEmpty)
            #expect(try await notifications.deliveries(destinationID: elsewhere.id, limit: 10).isEmpty)

            // Claims go per destination in order: one at a time, the next once the first is done.
            let later = Date().addingTimeInterval(3600)
            let first = try await notifications.claimDue(at: later, limit: 10, leaseUntil: later.addingTimeInterval(60))
            #expect(first.map(\.delivery.event.kind) == [.deploymentQueued])
            #expect(first.first?.projectName == "site" && first.first?.delivery.attempts == 1)
            #expect(try await notifications.claimDue(at: later, limit: 10, leaseUntil: later.addingTimeInterval(60)).isEmpty)
            try await notifications.record(.delivered(statusCode: 204), deliveryID: try #require(first.first).delivery.id, at: later)
            let second = try await notifications.claimDue(at: later, limit: 10, leaseUntil: later.addingTimeInterval(60))
            #expect(second.map(\.delivery.event.kind) == [.deploymentStarted])
            // A failure with a retry keeps it first in line until its time comes.
            let retryAt = later.addingTimeInterval(10)
            try await notifications.record(
                .failed(statusCode: 500, error: "answered 500", retryAt: retryAt), deliveryID: second[0].delivery.id, at: later)
            #expect(try await notifications.claimDue(at: later, limit: 10, leaseUntil: later.addingTimeInterval(60)).isEmpty)
            let retried = try await notifications.claimDue(at: retryAt, limit: 10, leaseUntil: retryAt.addingTimeInterval(60))
            #expect(retried.map(\.delivery.id) == [second[0].delivery.id] && retried.first?.delivery.attempts == 2)
            // An expired lease (a killed attempt) is claimed again.
            let expired = retryAt.addingTimeInterval(61)
            #expect(
                try await notifications.claimDue(at: expired, limit: 10, leaseUntil: expired.addingTimeInterval(60)).map(\.delivery.attempts) == [3])

            // Deleting the destination deletes its log; another workspace cannot.
            #expect(try await notifications.delete(id: everything.id, workspaceID: other.workspace.id) == false)
            #expect(try await notifications.delete(id: everything.id, workspaceID: identity.workspace.id))
            #expect(try await notifications.deliveries(destinationID: everything.id, limit: 10).isEmpty)
        }
    }

    @Test("A workspace may not have more destinations than the maximum", arguments: TestDatabase.all)
    func maximumDestinations(database: TestDatabase) async throws {
        try await database.withStore { store in
            let identity = try await Fixtures.bootstrap(store)
            let notifications = store.notifications(box: Fixtures.secrets)
            let new = NewNotificationDestination(kind: .discord, url: Self.url, events: [.deploymentFailed], secret: nil)
            for _ in 0..<2 { _ = try await notifications.create(new, workspaceID: identity.workspace.id, maximum: 2, at: Fixtures.time) }
            await #expect(throws: SlipwayError.self) {
                try await notifications.create(new, workspaceID: identity.workspace.id, maximum: 2, at: Fixtures.time)
            }
        }
    }
}
