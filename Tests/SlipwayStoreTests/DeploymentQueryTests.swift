import Foundation
import SlipwayAPI
import SlipwayCore
import Testing

@testable import SlipwayStore

/// A workspace full of deployments in every state, with a second workspace beside it, and a reference evaluation
/// of the query language in Swift that every SQL answer is checked against.
struct QueryWorld {
    var identity: Identity
    var other: Identity
    var deployments: [Deployment]
    var otherDeployments: [Deployment]
    var projects: [Int64: Project]
    var builds: [UUID: Build]

    /// Fills a store: three projects of workspace A, one of workspace B, ~40 deployments with NULLs and ties.
    static func make(_ store: SQLStore) async throws -> QueryWorld {
        let identity = try await Fixtures.bootstrap(store, workspace: "alpha-team")
        let other = try await Fixtures.bootstrap(store, workspace: "beta-team")
        var projects: [Int64: Project] = [:]
        var builds: [UUID: Build] = [:]
        let names = ["web", "api", "docs'; DROP TABLE deployments; --"]
        var own: [Project] = []
        for (index, name) in names.enumerated() {
            var settings = Fixtures.newProject(index == 2 ? "docs" : name, kind: index == 1 ? .service : .static)
            settings.productionBranch = index == 0 ? "main" : "trunk"
            let project = try await store.projects.create(settings, workspaceID: identity.workspace.id)
            projects[project.id] = project
            own.append(project)
        }
        let foreign = try await store.projects.create(Fixtures.newProject("foreign"), workspaceID: other.workspace.id)
        projects[foreign.id] = foreign

        let states: [DeploymentState] = [.queued, .running, .success, .failed, .canceled, .skipped]
        let triggers: [DeploymentTrigger] = [.manual, .auto, .rollback, .rerun, .promote]
        var deployments: [Deployment] = []
        for index in 0..<42 {
            let project = own[index % 3]
            var new = Fixtures.newDeployment(
                project, by: identity, branch: ["main", "feature/x", "Feature/%_y", "trunk"][index % 4],
                environment: index % 5 == 0 ? .preview : .production, commitID: index % 3 == 0 ? nil : String(repeating: "\(index % 10)", count: 40)
            )
            new.trigger = triggers[index % triggers.count]
            new.description = ["plain", "with 'quotes'", "100% sure_", "ünïcödé"][index % 4]
            var deployment = try await store.deployments.create(new)
            let state = states[index % states.count]
            let started: Date? = state == .queued || state == .skipped ? nil : Fixtures.time(plus: Int64(index % 7) * 1_000)
            let completed: Date? = state.isFinished ? Fixtures.time(plus: Int64(index % 4) * 10_000) : nil
            let reason: String? = state == .canceled ? "stop it" : state == .skipped ? "superseded_queued_build" : nil
            let stages = deployment.stages
            deployment.progress = DeploymentProgress(state: state, stages: stages, startedAt: started, completedAt: completed, reason: reason)
            deployment.error = state == .failed ? "the build command exited with status \(index)" : nil
            if state == .success || index % 4 == 1 {
                let build = Build(
                    id: UUID(), workspaceID: identity.workspace.id, projectID: project.id, commitID: deployment.commitID,
                    createdAt: Fixtures.time(plus: Int64(index))
                )
                try await store.deployments.createBuild(build)
                builds[build.id] = build
                deployment.buildID = build.id
            }
            try await store.deployments.saveProgress(deployment)
            deployments.append(try #require(try await store.deployments.deployment(id: deployment.id)))
        }
        var otherDeployments: [Deployment] = []
        for _ in 0..<5 {
            otherDeployments.append(try await store.deployments.create(Fixtures.newDeployment(foreign, by: other)))
        }
        return QueryWorld(
            identity: identity, other: other, deployments: deployments, otherDeployments: otherDeployments, projects: projects, builds: builds)
    }

    /// The value of `column` for a deployment or one of its related rows.
    func value(_ column: QueryAttribute, _ deployment: Deployment) -> QueryValue? {
        func text(_ value: String?) -> QueryValue? { value.map(QueryValue.text) }
        func integer(_ value: Int64?) -> QueryValue? { value.map(QueryValue.integer) }
        func time(_ value: Date?) -> QueryValue? { value.map { .integer(Timestamp.microseconds($0)) } }
        let project = projects[deployment.projectID]!
        let build = deployment.buildID.flatMap { builds[$0] }
        switch (column.entity, column.name) {
        case (.deployment, "id"): return integer(deployment.id)
        case (.deployment, "uid"): return text(deployment.uid.lowercased)
        case (.deployment, "workspaceID"): return integer(deployment.workspaceID)
        case (.deployment, "projectID"): return integer(deployment.projectID)
        case (.deployment, "serverID"): return integer(deployment.serverID)
        case (.deployment, "sequenceNumber"): return integer(deployment.sequenceNumber)
        case (.deployment, "initiatedBy"): return integer(deployment.initiatedBy)
        case (.deployment, "environment"): return text(deployment.environment.rawValue)
        case (.deployment, "trigger"): return text(deployment.trigger.rawValue)
        case (.deployment, "state"): return text(deployment.state.rawValue)
        case (.deployment, "gitBranch"): return text(deployment.gitBranch)
        case (.deployment, "commitID"): return text(deployment.commitID)
        case (.deployment, "commitMessage"): return text(deployment.commitMessage)
        case (.deployment, "commitAuthor"): return text(deployment.commitAuthor)
        case (.deployment, "description"): return text(deployment.description)
        case (.deployment, "buildID"): return text(deployment.buildID?.lowercased)
        case (.deployment, "error"): return text(deployment.error)
        case (.deployment, "reason"): return text(deployment.progress.reason)
        case (.deployment, "rerunOf"): return integer(deployment.rerunOf)
        case (.deployment, "rollbackOf"): return integer(deployment.rollbackOf)
        case (.deployment, "startedAt"): return time(deployment.startedAt)
        case (.deployment, "completedAt"): return time(deployment.completedAt)
        case (.deployment, "createdAt"): return time(deployment.createdAt)
        case (.deployment, "updatedAt"): return time(deployment.updatedAt)
        case (.project, "id"): return integer(project.id)
        case (.project, "uid"): return text(project.uid.lowercased)
        case (.project, "name"): return text(project.name)
        case (.project, "kind"): return text(project.kind.rawValue)
        case (.project, "productionBranch"): return text(project.productionBranch)
        case (.project, "createdAt"): return time(project.createdAt)
        case (.build, "id"): return text(build?.id.lowercased)
        case (.build, "commitID"): return text(build?.commitID)
        case (.build, "createdAt"): return time(build?.createdAt)
        case (.workspace, "id"): return integer(identity.workspace.id)
        case (.workspace, "uid"): return text(identity.workspace.uid.lowercased)
        case (.workspace, "name"): return text(identity.workspace.name)
        case (.user, "id"): return integer(identity.user.id)
        case (.user, "name"): return text(identity.user.name)
        default: preconditionFailure("no reference value for \(column)")
        }
    }

    /// Whether a deployment of workspace A matches `filter`, evaluated in Swift.
    func matches(_ filter: QueryFilter, _ deployment: Deployment) -> Bool {
        switch filter {
        case .all(let parts): return parts.allSatisfy { matches($0, deployment) }
        case .any(let parts): return parts.contains { matches($0, deployment) }
        case .not(let inner): return !matches(inner, deployment)
        case .related(let relation, let inner):
            if relation == .build, deployment.buildID.flatMap({ builds[$0] }) == nil { return false }
            return matches(inner, deployment)
        case .compare(let column, let comparison):
            let value = self.value(column, deployment)
            func less(_ left: QueryValue, _ right: QueryValue) -> Bool {
                switch (left, right) {
                case (.integer(let a), .integer(let b)): a < b
                case (.text(let a), .text(let b)): Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8))
                default: false
                }
            }
            func textValue() -> String? { if case .text(let text)? = value { return text } else { return nil } }
            switch comparison {
            case .equal(let other): return value == other
            case .notEqual(let other): return value != other
            case .less(let other): return value.map { less($0, other) } ?? false
            case .lessOrEqual(let other): return value.map { less($0, other) || $0 == other } ?? false
            case .greater(let other): return value.map { less(other, $0) } ?? false
            case .greaterOrEqual(let other): return value.map { less(other, $0) || $0 == other } ?? false
            case .oneOf(let values): return value.map(values.contains) ?? false
            case .noneOf(let values): return value.map { !values.contains($0) } ?? true
            case .contains(let needle):
                return textValue().map { needle.isEmpty || $0.unicodeScalars.split(separator: "\u{0}").isEmpty || String($0).contains(needle) }
                    ?? false
            case .startsWith(let prefix): return textValue().map { $0.unicodeScalars.starts(with: prefix.unicodeScalars) } ?? false
            case .endsWith(let suffix):
                return textValue().map { Array($0.unicodeScalars).reversed().starts(with: Array(suffix.unicodeScalars).reversed()) } ?? false
            case .isNull(let isNull): return (value == nil) == isNull
            }
        }
    }

    /// The deployments of workspace A that match, in `order`.
    func expected(_ query: DeploymentQuery) -> [Int64] {
        deployments.filter { matches(query.filter, $0) }.sorted { left, right in
            for key in query.order {
                let a = value(key.attribute, left)
                let b = value(key.attribute, right)
                if a == b { continue }
                guard case .integer(let x)? = a else { return key.nullsFirst }
                guard case .integer(let y)? = b else { return !key.nullsFirst }
                return key.direction == .ascending ? x < y : x > y
            }
            return false
        }.map(\.id)
    }
}

/// Walks every page of a listing forward; checks page sizes, flags and the total on the way.
func walkForward(_ store: SQLStore, _ query: DeploymentQuery, workspaceID: Int64) async throws -> (ids: [Int64], pages: [DeploymentPage]) {
    var query = query
    query.position = .first
    var ids: [Int64] = []
    var pages: [DeploymentPage] = []
    while true {
        let page = try await store.queries.page(query, workspaceID: workspaceID)
        pages.append(page)
        ids += page.items.map(\.id)
        #expect(page.items.count <= query.limit)
        guard page.hasNextPage, let end = page.endCursor else { break }
        #expect(page.items.count == query.limit)
        query.position = .after(end)
        if pages.count > 1_000 { Issue.record("too many pages"); break }
    }
    return (ids, pages)
}

/// Walks every page backwards from the last one, with `before`.
func walkBackward(_ store: SQLStore, _ query: DeploymentQuery, from cursor: String?, workspaceID: Int64) async throws -> [Int64] {
    var query = query
    var ids: [Int64] = []
    guard let cursor else { return [] }
    query.position = .before(cursor)
    var count = 0
    while true {
        let page = try await store.queries.page(query, workspaceID: workspaceID)
        ids = page.items.map(\.id) + ids
        guard page.hasPreviousPage, let start = page.startCursor else { break }
        query.position = .before(start)
        count += 1
        if count > 1_000 { Issue.record("too many pages"); break }
    }
    return ids
}

@Suite struct DeploymentQueryTests {
    /// Parses a native (snake_case) filter.
    func native(_ filter: String, orderBy: String? = nil, limit: Int = 100) throws -> DeploymentQuery {
        var parameters = ["filter": filter, "limit": String(limit)]
        parameters["orderBy"] = orderBy
        return try DeploymentQueryParser(catalog: .native).parse(parameters)
    }

    /// Parses a Deploys (camelCase) listing.
    func deploys(_ parameters: [String: String]) throws -> DeploymentQuery {
        try DeploymentQueryParser(catalog: .deploys).parse(parameters)
    }

    /// Checks one query against the reference: the same rows in the same order, the right total.
    func check(_ store: SQLStore, _ world: QueryWorld, _ query: DeploymentQuery, _ label: String) async throws {
        var small = query
        small.limit = 7
        let (ids, pages) = try await walkForward(store, small, workspaceID: world.identity.workspace.id)
        let expected = world.expected(query)
        #expect(ids == expected, "\(label)")
        #expect(pages.allSatisfy { $0.total == expected.count }, "\(label): total")
    }

    @Test("Every operator and combinator matches the reference evaluation", arguments: TestDatabase.all)
    func operators(database: TestDatabase) async throws {
        try await database.withStore { store in
            let world = try await QueryWorld.make(store)
            let some = world.deployments[5]
            let build = try #require(world.deployments.first { $0.buildID != nil }?.buildID)
            let filters = [
                #"{}"#,
                #"{"state": {"eq": "failed"}}"#,
                #"{"state": {"ne": "failed"}}"#,
                #"{"state": {"in": ["failed", "canceled"]}}"#,
                #"{"state": {"notIn": ["failed", "canceled"]}}"#,
                #"{"status": {"eq": 3}}"#,
                #"{"id": {"lt": \#(some.id)}}"#, #"{"id": {"lte": \#(some.id)}}"#, #"{"id": {"gt": \#(some.id)}}"#,
                #"{"id": {"gte": \#(some.id)}, "sequence_number": {"lte": 9}}"#,
                #"{"commit_id": {"isNull": true}}"#, #"{"commit_id": {"isNull": false}}"#,
                #"{"commit_id": {"eq": "1111111111111111111111111111111111111111"}}"#,
                #"{"commit_id": {"ne": "1111111111111111111111111111111111111111"}}"#,
                #"{"commit_id": {"notIn": ["1111111111111111111111111111111111111111"]}}"#,
                #"{"git_branch": {"contains": "%_"}}"#, #"{"git_branch": {"contains": "feature"}}"#,
                #"{"git_branch": {"startsWith": "Feature"}}"#, #"{"git_branch": {"startsWith": "feature"}}"#,
                #"{"git_branch": {"endsWith": "/x"}}"#, #"{"git_branch": {"endsWith": ""}}"#,
                #"{"description": {"contains": "'quotes'"}}"#, #"{"description": {"endsWith": "ödé"}}"#,
                #"{"description": {"startsWith": "ünï"}}"#,
                #"{"error": {"contains": "status 1"}}"#, #"{"reason": {"eq": "stop it"}}"#,
                #"{"started_at": {"gt": "2026-01-17T13:55:31.125457Z"}}"#, #"{"started_at": {"isNull": true}}"#,
                #"{"completed_at": {"lte": "2026-01-17T13:55:31.143457Z"}}"#,
                #"{"completed_at": {"ne": "2026-01-17T13:55:31.123457Z"}}"#,
                #"{"OR": [{"state": {"eq": "queued"}}, {"trigger": {"eq": "auto"}}]}"#,
                #"{"AND": [{"environment": {"eq": "preview"}}, {"NOT": {"state": {"eq": "success"}}}]}"#,
                #"{"NOT": {"commit_id": {"eq": "1111111111111111111111111111111111111111"}}}"#,
                #"{"NOT": {"OR": [{"error": {"contains": "1"}}, {"started_at": {"isNull": true}}]}}"#,
                #"{"OR": []}"#, #"{"AND": []}"#, #"{"state": {"in": []}}"#, #"{"state": {"notIn": []}}"#,
                #"{"entity": {"name": {"eq": "api"}}}"#, #"{"entity": {"kind": {"eq": "static"}, "name": {"ne": "web"}}}"#,
                #"{"project": {"production_branch": {"eq": "trunk"}}}"#,
                #"{"NOT": {"entity": {"name": {"startsWith": "w"}}}}"#,
                #"{"build": {"id": {"eq": "\#(build.lowercased)"}}}"#, #"{"build": {"commit_id": {"isNull": true}}}"#,
                #"{"NOT": {"build": {"created_at": {"gte": "2026-01-17T13:55:31.123477Z"}}}}"#,
                #"{"workspace": {"name": {"eq": "alpha-team"}}}"#, #"{"workspace": {"name": {"eq": "beta-team"}}}"#,
                #"{"created_by": {"name": {"eq": "admin"}}}"#, #"{"created_by": {"id": {"ne": \#(world.identity.user.id)}}}"#,
                #"{"build_id": {"isNull": true}, "OR": [{"project_id": {"eq": \#(some.projectID)}}, {"rerun_of": {"isNull": false}}]}"#,
            ]
            for filter in filters {
                try await check(store, world, try native(filter), filter)
            }
            let deploysFilters: [[String: String]] = [
                ["status": "failed"], ["status": "completed"], ["status": "pending"], ["trigger": "manual"],
                ["entity_id": PrefixedID.app.format(world.projects[some.projectID]!.uid)],
                ["workspace_id": PrefixedID.workspace.format(world.identity.workspace.uid)],
                ["workspace_id": PrefixedID.workspace.format(world.other.workspace.uid)],
                ["build_id": PrefixedID.build.format(build)], ["created_by": "admin"], ["created_by": "nobody"],
                ["filter": #"{"createdBy": {"eq": "admin"}, "status": {"in": ["failed", "pending"]}}"#],
                ["filter": #"{"createdBy": {"name": {"contains": "dm"}}, "trigger": {"ne": "manual"}}"#],
                [
                    "filter":
                        #"{"buildId": {"isNull": false}, "entity": {"id": {"ne": "\#(PrefixedID.app.format(world.projects[some.projectID]!.uid))"}}}"#
                ],
                ["filter": #"{"id": {"in": ["\#(PrefixedID.deployment.format(some.uid))"]}}"#],
            ]
            for parameters in deploysFilters {
                try await check(store, world, try deploys(parameters), "\(parameters)")
            }
        }
    }

    @Test("Every orderBy direction pages forward and back over the whole set, nulls where asked", arguments: TestDatabase.all)
    func orderings(database: TestDatabase) async throws {
        try await database.withStore { store in
            let world = try await QueryWorld.make(store)
            let workspaceID = world.identity.workspace.id
            let fields = ["id", "sequence_number", "created_at", "updated_at", "started_at", "completed_at"]
            let directions = ["asc", "desc", "asc_nulls_first", "asc_nulls_last", "desc_nulls_first", "desc_nulls_last"]
            for field in fields {
                for direction in directions {
                    for (second, limit) in [(nil, 4), ("started_at", 5)] as [(String?, Int)] where second != field {
                        let orderBy =
                            second.map { #"[{"\#(field)": "\#(direction)"}, {"\#($0)": "desc_nulls_last"}]"# } ?? #"[{"\#(field)": "\#(direction)"}]"#
                        let query = try native(#"{"state": {"ne": "running"}}"#, orderBy: orderBy, limit: limit)
                        let expected = world.expected(query)
                        let (forward, pages) = try await walkForward(store, query, workspaceID: workspaceID)
                        #expect(forward == expected, "\(orderBy) forward")
                        #expect(Set(forward).count == forward.count, "\(orderBy): no row twice")
                        #expect(pages.first?.hasPreviousPage == false)
                        let laterPagesLookBack = pages.dropFirst().allSatisfy(\.hasPreviousPage)
                        #expect(laterPagesLookBack, "\(orderBy): hasPreviousPage after the first page")
                        // Back from the end: the last page's end cursor, then `before` all the way to the start.
                        var back = query
                        back.position = .after(try #require(pages.last?.endCursor))
                        let beyond = try await store.queries.page(back, workspaceID: workspaceID)
                        #expect(beyond.items.isEmpty && !beyond.hasNextPage && beyond.hasPreviousPage)
                        let backward = try await walkBackward(store, query, from: pages.last?.endCursor, workspaceID: workspaceID)
                        #expect(backward == Array(expected.dropLast()), "\(orderBy) backward")
                    }
                }
            }
            // Where the NULLs go, spelled out once.
            let nullsFirst = try native("{}", orderBy: #"[{"completed_at": "asc_nulls_first"}]"#)
            let page = try await store.queries.page(nullsFirst, workspaceID: workspaceID)
            let nullCount = world.deployments.filter { $0.completedAt == nil }.count
            #expect(page.items.prefix(nullCount).allSatisfy { $0.completedAt == nil })
            let plainDesc = try native("{}", orderBy: #"[{"started_at": "desc"}]"#)
            #expect(try await store.queries.page(plainDesc, workspaceID: workspaceID).items.first?.startedAt == nil)
            let plainAsc = try native("{}", orderBy: #"[{"started_at": "asc"}]"#)
            #expect(try await store.queries.page(plainAsc, workspaceID: workspaceID).items.last?.startedAt == nil)
        }
    }

    @Test("Cursors Slipway did not issue, or issued for another order, are refused", arguments: TestDatabase.all)
    func forgedCursors(database: TestDatabase) async throws {
        try await database.withStore { store in
            let world = try await QueryWorld.make(store)
            let workspaceID = world.identity.workspace.id
            var query = try native("{}", limit: 5)
            let first = try await store.queries.page(query, workspaceID: workspaceID)
            let cursor = try #require(first.endCursor)
            var forged = Array(cursor)
            forged[forged.count - 3] = forged[forged.count - 3] == "A" ? "B" : "A"
            for bad in [String(forged), "", "not a cursor", "AAAA", cursor + "x", String(cursor.dropLast(2))] {
                query.position = .after(bad)
                await #expect(throws: QueryError.self, "\(bad)") { try await store.queries.page(query, workspaceID: workspaceID) }
                query.position = .before(bad)
                await #expect(throws: QueryError.self) { try await store.queries.page(query, workspaceID: workspaceID) }
            }
            var other = try native("{}", orderBy: #"[{"sequence_number": "asc"}]"#, limit: 5)
            other.position = .after(cursor)
            do {
                _ = try await store.queries.page(other, workspaceID: workspaceID)
                Issue.record("a cursor of another order was accepted")
            } catch let error as QueryError {
                #expect(error.part == "after")
                #expect(error.message.contains("not a cursor Slipway issued"))
            }
        }
    }

    @Test("ids narrows within the workspace and never reaches another one", arguments: TestDatabase.all)
    func idsNarrowing(database: TestDatabase) async throws {
        try await database.withStore { store in
            let world = try await QueryWorld.make(store)
            let mine = world.deployments.prefix(3).map(\.id)
            let theirs = world.otherDeployments.map(\.id)
            let query = try DeploymentQueryParser(catalog: .native).parse(["ids": (mine + theirs).map(String.init).joined(separator: ",")])
            let page = try await store.queries.page(query, workspaceID: world.identity.workspace.id)
            #expect(Set(page.items.map(\.id)) == Set(mine))
            #expect(page.total == 3)
            let uids = world.otherDeployments.map { PrefixedID.deployment.format($0.uid) }.joined(separator: ",")
            let foreign = try DeploymentQueryParser(catalog: .deploys).parse(["ids": uids])
            #expect(try await store.queries.page(foreign, workspaceID: world.identity.workspace.id).items.isEmpty)
            #expect(try await store.queries.page(foreign, workspaceID: world.other.workspace.id).items.count == 5)
        }
    }

    @Test("Random and hostile filters never fail inside the store and never leave the workspace", arguments: TestDatabase.all)
    func randomFilters(database: TestDatabase) async throws {
        try await database.withStore { store in
            let world = try await QueryWorld.make(store)
            var generator = SeededGenerator(seed: 0x5EED)
            var accepted = 0
            for round in 0..<600 {
                let catalog: QueryCatalog = round % 2 == 0 ? .native : .deploys
                let filter = HostileFilters.filter(catalog, depth: 0, using: &generator)
                let query: DeploymentQuery
                do {
                    query = try DeploymentQueryParser(catalog: catalog).parse(["filter": filter, "limit": "50"])
                } catch is QueryError {
                    continue
                }
                accepted += 1
                let page: DeploymentPage
                do {
                    page = try await store.queries.page(query, workspaceID: world.identity.workspace.id)
                } catch {
                    Issue.record("\(filter) failed in the store: \(String(reflecting: error))")
                    continue
                }
                #expect(page.items.allSatisfy { $0.workspaceID == world.identity.workspace.id }, "\(filter)")
                #expect(page.items.map(\.id) == Array(world.expected(query).prefix(50)), "\(filter)")
            }
            #expect(accepted > 60, "only \(accepted) random filters were valid")
        }
    }
}

/// A small deterministic random number generator (SplitMix64), so a failing case can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random filters with hostile values: quotes, SQL fragments, unknown fields, wrong types, deep nesting, long lists.
enum HostileFilters {
    static let strings = [
        "x", "'", "\"", "''; DROP TABLE deployments; --", "%", "_", "\\", "main", "feature/x", "admin", "ünï", "Robert'); --", "\u{0}",
        "1 OR 1=1", "*/ SELECT", "$1", "?", "docs", "web", "2026-01-17T13:55:31Z", "dep_00000000000000000000000000000000",
    ]

    static func value(using generator: inout SeededGenerator) -> String {
        switch Int.random(in: 0..<8, using: &generator) {
        case 0: return String(Int64.random(in: -5...60, using: &generator))
        case 1: return ["true", "false", "null", "1.5", "99999999999999999999"].randomElement(using: &generator)!
        case 2: return "[" + (0..<Int.random(in: 0...3, using: &generator)).map { _ in value(using: &generator) }.joined(separator: ",") + "]"
        case 3: return "{}"
        default:
            let text = strings.randomElement(using: &generator)!
            let data = try! JSONEncoder().encode(text)
            return String(decoding: data, as: UTF8.self)
        }
    }

    /// A value of the field's kind, most of the time.
    static func typed(_ kind: QueryValueKind, using generator: inout SeededGenerator) -> String {
        if Int.random(in: 0..<5, using: &generator) == 0 { return value(using: &generator) }
        switch kind {
        case .integer: return String(Int64.random(in: 0...60, using: &generator))
        case .nativeStatus: return String(Int.random(in: 0...6, using: &generator))
        case .timestamp: return "\"2026-01-17T13:55:31.1\(Int.random(in: 10000...49999, using: &generator))Z\""
        case .words(let words): return "\"\(words.randomElement(using: &generator)!.word)\""
        case .prefixedID(let prefix): return "\"\(prefix.rawValue)\(UUID().hexDigits)\""
        case .uuid: return "\"\(UUID().uuidString)\""
        case .text: return value(using: &generator)
        }
    }

    static func filter(_ catalog: QueryCatalog, depth: Int, using generator: inout SeededGenerator) -> String {
        var fields = Array(catalog.fields.keys).sorted() + ["nope", "id\"", "'; --"]
        let relations = Array(catalog.relations.keys).sorted()
        if depth > 0 && Int.random(in: 0..<4, using: &generator) == 0 { fields = ["name", "id", "kind", "commit_id", "commitId"] }
        var parts: [String] = []
        for _ in 0..<Int.random(in: 1...2, using: &generator) {
            let choice = Int.random(in: 0..<20, using: &generator)
            if depth < 12 && choice == 0 {
                let inner = (0..<Int.random(in: 0...3, using: &generator)).map { _ in filter(catalog, depth: depth + 1, using: &generator) }
                parts.append("\"\(["AND", "OR"].randomElement(using: &generator)!)\": [\(inner.joined(separator: ","))]")
            } else if depth < 12 && choice == 1 {
                parts.append("\"NOT\": \(filter(catalog, depth: depth + 1, using: &generator))")
            } else if choice == 2 {
                parts.append("\"\(relations.randomElement(using: &generator)!)\": \(filter(catalog, depth: depth + 1, using: &generator))")
            } else if choice == 3 && Bool.random(using: &generator) {
                let count = [0, 1, 10, 1_000, 2_000].randomElement(using: &generator)!
                let values = (0..<count).map { _ in value(using: &generator) }
                parts.append("\"\(fields.randomElement(using: &generator)!)\": {\"in\": [\(values.joined(separator: ","))]}")
            } else if choice < 17, let name = catalog.fields.keys.sorted().randomElement(using: &generator), let field = catalog.fields[name] {
                // Mostly well-typed: an operator the field supports with a value of its kind.
                let op = field.operators.randomElement(using: &generator)!
                let operand: String
                switch op {
                case .in, .notIn:
                    operand =
                        "[" + (0..<Int.random(in: 0...4, using: &generator)).map { _ in typed(field.kind, using: &generator) }.joined(separator: ",")
                        + "]"
                case .isNull: operand = Bool.random(using: &generator) ? "true" : "false"
                case .contains, .startsWith, .endsWith: operand = value(using: &generator)
                default: operand = typed(field.kind, using: &generator)
                }
                parts.append("\"\(name)\": {\"\(op.rawValue)\": \(operand)}")
            } else {
                let op = QueryOperator.allCases.map(\.rawValue).randomElement(using: &generator)!
                parts.append("\"\(fields.randomElement(using: &generator)!)\": {\"\(op)\": \(value(using: &generator))}")
            }
        }
        return "{" + parts.joined(separator: ",") + "}"
    }
}
