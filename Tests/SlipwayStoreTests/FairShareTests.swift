import Foundation
import SlipwayCore
import Testing

@testable import SlipwayStore

/// The fair share of the claim (docs/scheduling.md): workspaces with work take turns, a workspace runs at most its
/// limit, each project stays FIFO with one deployment running; on SQLite and PostgreSQL, also under many claimers.
@Suite struct FairShareTests {
    /// Claims the next deployment with the workspace limit `limit`.
    private static func claim(_ store: SQLStore, limit: Int, owner: String = Fixtures.worker) async throws -> Deployment? {
        try await store.control.claimNext(at: Fixtures.time, owner: owner, leaseUntil: Fixtures.time(plus: 60_000_000), workspaceWorkers: limit)
    }

    /// Ends a running deployment `failed`, which frees its worker.
    private static func finish(_ store: SQLStore, _ deployment: Deployment) async throws {
        var deployment = deployment
        try deployment.progress.fail(at: Fixtures.time(plus: 1))
        try await store.deployments.saveProgress(deployment)
    }

    /// The running deployments, by workspace id.
    private static func runningByWorkspace(_ store: SQLStore) async throws -> [Int64: [Deployment]] {
        Dictionary(grouping: try await store.control.unfinishedDeployments(workspaceID: nil).filter { $0.state == .running }, by: \.workspaceID)
    }

    @Test("Workspaces with work take turns: the one whose last claim is oldest goes next, never served first", arguments: TestDatabase.all)
    func roundRobin(database: TestDatabase) async throws {
        try await database.withStore { store in
            let a = try await Fixtures.bootstrap(store, workspace: "a")
            let b = try await Fixtures.bootstrap(store, workspace: "b")
            let c = try await Fixtures.bootstrap(store, workspace: "c")
            let siteA = try await store.projects.create(Fixtures.newProject("site-a"), workspaceID: a.workspace.id)
            let siteB = try await store.projects.create(Fixtures.newProject("site-b"), workspaceID: b.workspace.id)
            let siteC = try await store.projects.create(Fixtures.newProject("site-c"), workspaceID: c.workspace.id)
            // A queues first and most; oldest first overall would run all of A before B and C.
            var names: [Int64: String] = [:]
            for (project, identity, count) in [(siteA, a, 4), (siteB, b, 2), (siteC, c, 1)] {
                for number in 1...count {
                    let deployment = try await store.deployments.create(Fixtures.newDeployment(project, by: identity))
                    names[deployment.id] = "\(identity.workspace.name)\(number)"
                }
            }

            var order: [String] = []
            while let claimed = try await Self.claim(store, limit: 1) {
                order.append(names[claimed.id] ?? "?")
                try await Self.finish(store, claimed)
            }
            #expect(order == ["a1", "b1", "c1", "a2", "b2", "a3", "a4"])

            // A workspace that comes back goes before one served since, although its deployment is newer.
            let a5 = try await store.deployments.create(Fixtures.newDeployment(siteA, by: a))
            let c2 = try await store.deployments.create(Fixtures.newDeployment(siteC, by: c))
            #expect(try await Self.claim(store, limit: 1)?.id == c2.id)
            #expect(try await Self.claim(store, limit: 1)?.id == a5.id)
        }
    }

    @Test("The install-wide workspace_workers limit overrides the server's, at once", arguments: TestDatabase.all)
    func theInstallLimitOverridesTheServersOwn(database: TestDatabase) async throws {
        try await database.withStore { store in
            let a = try await Fixtures.bootstrap(store, workspace: "a")
            for name in ["one", "two", "three"] {
                let project = try await store.projects.create(Fixtures.newProject("site-\(name)"), workspaceID: a.workspace.id)
                _ = try await store.deployments.create(Fixtures.newDeployment(project, by: a))
            }
            try await store.installLimits.setLimits(InstallLimits(workspaceWorkers: 1))
            #expect(try await Self.claim(store, limit: 3) != nil)
            #expect(try await Self.claim(store, limit: 3) == nil)
            try await store.installLimits.setLimits(InstallLimits(workspaceWorkers: 2))
            #expect(try await Self.claim(store, limit: 3) != nil)
            #expect(try await Self.claim(store, limit: 3) == nil)
            try await store.installLimits.setLimits(InstallLimits())
            #expect(try await Self.claim(store, limit: 3) != nil)
            #expect(try await Self.runningByWorkspace(store)[a.workspace.id]?.count == 3)
        }
    }

    @Test("A workspace runs at most its limit, FIFO per project, while other workspaces still start", arguments: TestDatabase.all)
    func limitAndProjectOrder(database: TestDatabase) async throws {
        try await database.withStore { store in
            let a = try await Fixtures.bootstrap(store, workspace: "a")
            let b = try await Fixtures.bootstrap(store, workspace: "b")
            let p = try await store.projects.create(Fixtures.newProject("p"), workspaceID: a.workspace.id)
            let q = try await store.projects.create(Fixtures.newProject("q"), workspaceID: a.workspace.id)
            let r = try await store.projects.create(Fixtures.newProject("r"), workspaceID: a.workspace.id)
            let other = try await store.projects.create(Fixtures.newProject("other"), workspaceID: b.workspace.id)
            let p1 = try await store.deployments.create(Fixtures.newDeployment(p, by: a))
            let q1 = try await store.deployments.create(Fixtures.newDeployment(q, by: a))
            let r1 = try await store.deployments.create(Fixtures.newDeployment(r, by: a))
            let p2 = try await store.deployments.create(Fixtures.newDeployment(p, by: a))
            let q2 = try await store.deployments.create(Fixtures.newDeployment(q, by: a))

            let first = try #require(try await Self.claim(store, limit: 2))
            #expect(first.id == p1.id)
            let second = try #require(try await Self.claim(store, limit: 2))
            #expect(second.id == q1.id)
            // A runs two: r1 waits although it could start, and nothing of p or q runs twice.
            #expect(try await Self.claim(store, limit: 2) == nil)

            // B is under its limit and starts at once.
            let otherDeployment = try await store.deployments.create(Fixtures.newDeployment(other, by: b))
            #expect(try await Self.claim(store, limit: 2)?.id == otherDeployment.id)
            #expect(try await Self.claim(store, limit: 2) == nil)

            // A worker of A is free: its oldest deployment that can start is r1 (before p2, which is newer).
            try await Self.finish(store, first)
            let third = try #require(try await Self.claim(store, limit: 2))
            #expect(third.id == r1.id)
            #expect(try await Self.claim(store, limit: 2) == nil)
            try await Self.finish(store, second)
            let fourth = try #require(try await Self.claim(store, limit: 2))
            #expect(fourth.id == p2.id)
            // q2 is next of its project, but A is at its limit again.
            #expect(try await Self.claim(store, limit: 2) == nil)
            try await Self.finish(store, fourth)
            #expect(try await Self.claim(store, limit: 2)?.id == q2.id)
            #expect(try await Self.runningByWorkspace(store)[a.workspace.id]?.count == 2)
        }
    }

    @Test("Many workers claiming at once never pass a workspace's limit nor run a project twice", arguments: TestDatabase.all)
    func concurrentClaimsKeepTheLimit(database: TestDatabase) async throws {
        try await database.withStore { store in
            let limit = 2
            var workspaces: [Int64] = []
            for name in ["a", "b", "c"] {
                let identity = try await Fixtures.bootstrap(store, workspace: name)
                workspaces.append(identity.workspace.id)
                for index in 0..<6 {
                    let project = try await store.projects.create(Fixtures.newProject("\(name)-\(index)"), workspaceID: identity.workspace.id)
                    for _ in 0..<2 { try await store.deployments.create(Fixtures.newDeployment(project, by: identity)) }
                }
            }
            // Bursts of claimers at once, while deployments end in between: each burst starts from a different
            // number of free workers per workspace. Every burst must leave each workspace at or under its limit.
            var claimedIDs: [Int64] = []
            for burst in 0..<6 {
                let claimed = try await withThrowingTaskGroup(of: Deployment?.self) { group in
                    for worker in 0..<24 { group.addTask { try await Self.claim(store, limit: limit, owner: "w\(worker)") } }
                    return try await group.reduce(into: [Deployment]()) { if let deployment = $1 { $0.append(deployment) } }
                }
                claimedIDs += claimed.map(\.id)
                let running = try await Self.runningByWorkspace(store)
                for workspace in workspaces {
                    let count = running[workspace]?.count ?? 0
                    #expect(count <= limit, "burst \(burst): workspace \(workspace) runs \(count)")
                    let projects = running[workspace]?.map(\.projectID) ?? []
                    #expect(Set(projects).count == projects.count, "burst \(burst): a project runs twice")
                }
                // One deployment of each workspace ends (the oldest running), freeing one of its workers.
                for workspace in workspaces {
                    if let oldest = running[workspace]?.min(by: { $0.id < $1.id }) { try await Self.finish(store, oldest) }
                }
            }
            #expect(Set(claimedIDs).count == claimedIDs.count, "a deployment was claimed twice")
            // The limits were used, not just kept: every burst filled every workspace up again.
            #expect(claimedIDs.count == workspaces.count * (limit + 5))
        }
    }
}
