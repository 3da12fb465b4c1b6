import Foundation
import SQLKit
import SlipwayAPI
import SlipwayCore
import Testing

@testable import SlipwayStore

/// `deployment_counts` (migration 6) stays exact through every write of a deployment, and the totals of listings
/// that it answers equal `COUNT(*)`.
@Suite struct DeploymentCountTests {
    private struct CountRow: Decodable, Hashable {
        var workspaceID: Int64
        var projectID: Int64
        var state: String
        var n: Int64
    }

    /// The counter rows that are not zero, and the same grouping counted from `deployments`: they must be equal.
    private static func expectExact(_ store: SQLStore, _ label: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let (counters, counted) = try await store.database.withConnection { session in
            (
                try await session.all(
                    CountRow.self, "SELECT workspace_id, project_id, state, n FROM deployment_counts WHERE n <> 0"),
                try await session.all(
                    CountRow.self,
                    "SELECT workspace_id, project_id, state, COUNT(*) AS n FROM deployments GROUP BY workspace_id, project_id, state"
                )
            )
        }
        #expect(Set(counters) == Set(counted), "\(label)", sourceLocation: sourceLocation)
        #expect(counters.allSatisfy { $0.n > 0 }, "\(label): no counter below zero", sourceLocation: sourceLocation)
    }

    /// The totals of listings the counters answer, against a count of the rows of the page walk.
    private static func expectTotals(
        _ store: SQLStore, _ identity: Identity, _ projects: [Project], sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        var parameterSets: [[String: String]] = [[:], ["status": "failed"], ["status": "completed"], ["status": "pending"]]
        for project in projects {
            parameterSets.append(["entity_id": PrefixedID.app.format(project.uid)])
            parameterSets.append(["entity_id": PrefixedID.app.format(project.uid), "status": "failed"])
            parameterSets.append(["filter": #"{"entity": {"name": {"eq": "\#(project.name)"}}}"#])
        }
        parameterSets.append(["filter": #"{"OR": [{"status": {"eq": "running"}}, {"NOT": {"entity": {"name": {"startsWith": "b"}}}}]}"#])
        for parameters in parameterSets {
            let parser = DeploymentQueryParser(catalog: .deploys)
            #expect(DeploymentQueryCompiler.isCountable(try parser.parse(parameters).filter))
            var query = try parser.parse(parameters)
            var seen = 0
            var total: Int?
            while true {
                let page = try await store.queries.page(query, workspaceID: identity.workspace.id)
                seen += page.items.count
                total = page.total
                guard page.hasNextPage, let end = page.endCursor else { break }
                query = try parser.parse(parameters.merging(["after": end]) { $1 })
            }
            #expect(total == seen, "\(parameters)", sourceLocation: sourceLocation)
        }
    }

    @Test("The counters stay exact through create, claim, finish, cancel, skip, delete and project delete", arguments: TestDatabase.all)
    func lifecycle(database: TestDatabase) async throws {
        try await database.withStore { store in
            let identity = try await Fixtures.bootstrap(store)
            let other = try await Fixtures.bootstrap(store, workspace: "other-team")
            let blog = try await store.projects.create(Fixtures.newProject("blog"), workspaceID: identity.workspace.id)
            let docs = try await store.projects.create(Fixtures.newProject("docs"), workspaceID: identity.workspace.id)
            let foreign = try await store.projects.create(Fixtures.newProject("foreign"), workspaceID: other.workspace.id)
            try await Self.expectExact(store, "empty")

            var created: [Deployment] = []
            for index in 0..<8 {
                var new = Fixtures.newDeployment(index % 2 == 0 ? blog : docs, by: identity, branch: "main")
                new.trigger = index < 6 ? .auto : .manual
                created.append(try await store.deployments.create(new))
            }
            _ = try await store.deployments.create(Fixtures.newDeployment(foreign, by: other))
            try await Self.expectExact(store, "created")
            try await Self.expectTotals(store, identity, [blog, docs])

            let until = Fixtures.time(plus: 60_000_000)
            var claimed = try #require(try await store.control.claimNext(at: Fixtures.time, owner: "node-a", leaseUntil: until))
            try await Self.expectExact(store, "claimed")
            try Fixtures.succeed(&claimed, build: UUID(), at: Fixtures.time(plus: 1))
            try await store.deployments.saveProgress(claimed)
            try await Self.expectExact(store, "finished")

            var failing = try #require(try await store.control.claimNext(at: Fixtures.time, owner: "node-a", leaseUntil: until))
            try failing.progress.fail(at: Fixtures.time(plus: 2))
            try await store.deployments.saveProgress(failing)
            try await Self.expectExact(store, "failed")

            let queued = try #require(created.last)
            #expect(try await store.control.cancelIfQueued(deploymentID: queued.id, reason: "stop", at: Fixtures.time) != nil)
            try await Self.expectExact(store, "canceled")

            var push = Fixtures.newDeployment(blog, by: identity, branch: "main")
            push.trigger = .auto
            let newest = try await Fixtures.admit(store, push, supersedes: true, at: Fixtures.time)
            #expect(try await store.deployments.deployment(id: created[2].id)?.state == .skipped)
            #expect(try await store.deployments.deployment(id: created[4].id)?.state == .skipped)
            #expect(try await store.deployments.deployment(id: newest.id)?.state == .queued)
            try await Self.expectExact(store, "skipped")
            try await Self.expectTotals(store, identity, [blog, docs])

            #expect(try await store.control.delete(deploymentID: claimed.id) != nil)
            try await Self.expectExact(store, "deleted")

            _ = try await store.projects.delete(id: docs.id, workspaceID: identity.workspace.id)
            try await Self.expectExact(store, "project deleted")
            try await Self.expectTotals(store, identity, [blog])
        }
    }

    @Test("The counters stay exact under concurrent writers", arguments: TestDatabase.all)
    func concurrentWrites(database: TestDatabase) async throws {
        try await database.withStore { store in
            let identity = try await Fixtures.bootstrap(store)
            var projects: [Project] = []
            for name in ["alpha", "beta", "gamma"] {
                projects.append(try await store.projects.create(Fixtures.newProject(name), workspaceID: identity.workspace.id))
            }
            let all = projects
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<6 {
                    group.addTask {
                        for round in 0..<10 {
                            let project = all[(worker + round) % all.count]
                            let deployment = try await store.deployments.create(Fixtures.newDeployment(project, by: identity))
                            // A third stays queued for the claimer; the others are canceled, half of those deleted.
                            guard round % 3 != 2 else { continue }
                            let canceled = try await store.control.cancelIfQueued(deploymentID: deployment.id, reason: "stop", at: Fixtures.time)
                            if canceled != nil, round % 2 == 0 { _ = try await store.control.delete(deploymentID: deployment.id) }
                        }
                    }
                }
                group.addTask {
                    for _ in 0..<20 {
                        if var claimed = try await store.control.claimNext(
                            at: Fixtures.time, owner: "node-b", leaseUntil: Fixtures.time(plus: 60_000_000))
                        {
                            try claimed.progress.fail(at: Fixtures.time(plus: 1))
                            try await store.deployments.saveProgress(claimed)
                        }
                    }
                }
                try await group.waitForAll()
            }
            try await Self.expectExact(store, "after concurrent writers")
            try await Self.expectTotals(store, identity, projects)
        }
    }

    @Test("Only filters on workspace, project and state are answered by the counters")
    func countableShapes() throws {
        let deploys = DeploymentQueryParser(catalog: .deploys)
        let native = DeploymentQueryParser(catalog: .native)
        for parameters: [String: String] in [
            [:], ["status": "failed"], ["entity_id": "app_" + String(repeating: "a", count: 32)],
            ["filter": #"{"entity": {"name": {"eq": "web"}}, "status": {"in": ["failed", "completed"]}}"#],
        ] {
            #expect(DeploymentQueryCompiler.isCountable(try deploys.parse(parameters).filter), "\(parameters)")
        }
        for parameters: [String: String] in [
            ["ids": "dep_" + String(repeating: "b", count: 32)], ["trigger": "manual"],
            ["filter": #"{"createdAt": {"gt": "2024-01-01T00:00:00Z"}}"#], ["filter": #"{"build": {"commitId": {"eq": "abc"}}}"#],
        ] {
            #expect(!DeploymentQueryCompiler.isCountable(try deploys.parse(parameters).filter), "\(parameters)")
        }
        #expect(DeploymentQueryCompiler.isCountable(try native.parse(["filter": #"{"project_id": {"eq": 3}}"#]).filter))
    }
}
