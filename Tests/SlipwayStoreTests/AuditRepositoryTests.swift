import Foundation
import SlipwayCore
import Testing

@testable import SlipwayAPI
@testable import SlipwayStore

/// The audit trail's store (migration 20): events keep every field to the microsecond, listings are confined to their
/// scope, filter and page with keyset cursors both ways, and the retention deletes only what is older than its cutoff.
@Suite struct AuditRepositoryTests {
    static func event(_ index: Int, workspaceID: Int64?, action: String, status: Int = 200, at time: Date) -> AuditEvent {
        AuditEvent(
            workspaceID: workspaceID, actorUserID: Int64(index % 3 + 1), actorLogin: "user\(index % 3 + 1)",
            tokenID: index.isMultiple(of: 2) ? Int64(index) : nil, via: index.isMultiple(of: 2) ? .token : .session, address: "127.0.0.\(index % 5)",
            createdAt: time, action: action, targetType: "project", targetID: String(index), targetName: "site-\(index)",
            detail: ["production": .names(["API_KEY", "GREETING"]), "force": .flag(index.isMultiple(of: 5))], status: status,
            outcome: status < 400 ? .succeeded : .failed, errorCode: status < 400 ? nil : "forbidden"
        )
    }

    static func parse(_ parameters: [String: String]) throws -> DeploymentQuery {
        try DeploymentQueryParser(catalog: .audit).parse(parameters)
    }

    @Test("An event reads back as it was recorded, in its workspace's scope only", arguments: TestDatabase.all)
    func roundTrip(database: TestDatabase) async throws {
        try await database.withStore { store in
            let recorded = Self.event(4, workspaceID: 7, action: "env.update", status: 403, at: Fixtures.time)
            try await store.audit.record(recorded)
            try await store.audit.record(Self.event(5, workspaceID: 8, action: "project.create", at: Fixtures.time))
            try await store.audit.record(Self.event(6, workspaceID: nil, action: "limits.update", at: Fixtures.time))

            let page = try await store.audit.page(try Self.parse([:]), scope: AuditScope(workspaceID: 7, includesInstallEvents: false))
            #expect(page.total == 1)
            var read = try #require(page.items.first)
            #expect(read.id > 0)
            read.id = 0
            #expect(read == recorded)

            let withInstall = try await store.audit.page(try Self.parse([:]), scope: AuditScope(workspaceID: 7, includesInstallEvents: true))
            #expect(withInstall.items.map(\.action).sorted() == ["env.update", "limits.update"])
            let installOnly = try await store.audit.page(try Self.parse([:]), scope: AuditScope(workspaceID: nil, includesInstallEvents: true))
            #expect(installOnly.items.map(\.action) == ["limits.update"])
            let nothing = try await store.audit.page(try Self.parse([:]), scope: AuditScope(workspaceID: nil, includesInstallEvents: false))
            #expect(nothing.items.isEmpty && nothing.total == 0)
        }
    }

    @Test("Filters select, and cursors page forward and back over the whole set in every order", arguments: TestDatabase.all)
    func filtersAndPages(database: TestDatabase) async throws {
        try await database.withStore { store in
            let actions = ["project.create", "env.update", "deployment.cancel", "token.create"]
            var all: [AuditEvent] = []
            for index in 0..<37 {
                // Some share a time, so the id decides.
                let event = Self.event(
                    index, workspaceID: 1, action: actions[index % 4], status: index % 7 == 0 ? 403 : 200, at: Fixtures.time(plus: Int64(index / 2)))
                try await store.audit.record(event)
                all.append(event)
            }
            try await store.audit.record(Self.event(99, workspaceID: 2, action: "env.update", at: Fixtures.time))
            let scope = AuditScope(workspaceID: 1, includesInstallEvents: false)

            let envChanges = try await store.audit.page(
                try Self.parse(["filter": #"{"action": {"startsWith": "env."}, "outcome": {"eq": "succeeded"}}"#]), scope: scope)
            let expected = all.filter { $0.action == "env.update" && $0.outcome == .succeeded }
            #expect(envChanges.total == expected.count)
            #expect(Set(envChanges.items.map(\.targetID)) == Set(expected.map(\.targetID)))
            let byToken = try await store.audit.page(try Self.parse(["filter": #"{"via": {"eq": "token"}, "token_id": {"gte": 30}}"#]), scope: scope)
            #expect(Set(byToken.items.compactMap(\.tokenID)) == [30, 32, 34, 36])

            for order in [#"[{"created_at": "desc"}]"#, #"[{"created_at": "asc"}]"#, #"[{"status": "desc"}, {"created_at": "asc"}]"#] {
                var forward: [Int64] = []
                var cursor: String?
                var pages: [AuditPage] = []
                repeat {
                    var parameters = ["orderBy": order, "limit": "5"]
                    if let cursor { parameters["after"] = cursor }
                    let page = try await store.audit.page(try Self.parse(parameters), scope: scope)
                    #expect(page.total == 37)
                    forward += page.items.map(\.id)
                    pages.append(page)
                    cursor = page.hasNextPage ? page.endCursor : nil
                } while cursor != nil
                #expect(forward.count == 37 && Set(forward).count == 37, "\(order)")
                // The same pages, read backwards from the last one's start.
                var backward: [Int64] = pages.last.map { $0.items.map(\.id) } ?? []
                var before = pages.last?.startCursor
                while let text = before {
                    let page = try await store.audit.page(try Self.parse(["orderBy": order, "limit": "5", "before": text]), scope: scope)
                    backward = page.items.map(\.id) + backward
                    before = page.hasPreviousPage ? page.startCursor : nil
                }
                #expect(backward == forward, "\(order)")
            }
        }
    }

    @Test("A bad field, operator, value or cursor is a QueryError naming it")
    func badQueries() throws {
        let cases: [([String: String], String)] = [
            (["filter": #"{"password": {"eq": "x"}}"#], "filter.password"),
            (["filter": #"{"status": {"eq": "ok"}}"#], "filter.status.eq"),
            (["filter": #"{"via": {"eq": "telepathy"}}"#], "filter.via.eq"),
            (["filter": #"{"action": {"gt": 3}}"#], "filter.action.gt"),
            (["orderBy": #"[{"action": "asc"}]"#], "orderBy[0].action"),
            (["limit": "1000"], "limit"),
        ]
        for (parameters, part) in cases {
            #expect(throws: QueryError.self, "\(parameters)") { try Self.parse(parameters) }
            do {
                _ = try Self.parse(parameters)
            } catch let error as QueryError {
                #expect(error.part == part, "\(parameters): \(error)")
            }
        }
    }

    @Test("A cursor of the deployments' listing is refused by the audit trail's", arguments: TestDatabase.all)
    func foreignCursor(database: TestDatabase) async throws {
        try await database.withStore { store in
            try await store.audit.record(Self.event(1, workspaceID: 1, action: "project.create", at: Fixtures.time))
            let order = DeploymentQuery.defaultOrder
            let signer = try await store.database.withConnection { session in
                try await CursorSigners().signer(session)
            }
            let deploymentCursor = QueryCursor.encode([Timestamp.microseconds(Fixtures.time) as Int64?, 1], order: order, signer: signer)
            await #expect(throws: QueryError.self) {
                _ = try await store.audit.page(
                    try Self.parse(["after": deploymentCursor]), scope: AuditScope(workspaceID: 1, includesInstallEvents: false))
            }
        }
    }

    @Test("The retention deletes the entries older than its cutoff, and only those", arguments: TestDatabase.all)
    func prune(database: TestDatabase) async throws {
        try await database.withStore { store in
            let day: TimeInterval = 24 * 3600
            for (index, age) in [400.0, 366, 364, 10, 0].enumerated() {
                try await store.audit.record(
                    Self.event(index, workspaceID: 1, action: "project.update", at: Fixtures.time.addingTimeInterval(-age * day)))
            }
            let pruned = try await store.audit.prune(before: Fixtures.time.addingTimeInterval(-365 * day))
            #expect(pruned == 2)
            let left = try await store.audit.page(try Self.parse([:]), scope: AuditScope(workspaceID: 1, includesInstallEvents: false))
            #expect(left.items.map(\.targetID) == ["4", "3", "2"])
            #expect(try await store.audit.prune(before: Fixtures.time.addingTimeInterval(-365 * day)) == 0)
        }
    }
}
