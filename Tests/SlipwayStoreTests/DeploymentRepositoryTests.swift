import Foundation
import SQLKit
import SlipwayCore
import Testing

@testable import SlipwayStore

@Suite struct DeploymentRepositoryTests {
    @Test("Created deployments are queued with per-project increasing sequence numbers", arguments: TestDatabase.all)
    func createAssignsSequenceNumbers(database: TestDatabase) async throws {
        try await database.withStore { store in
            let identity = try await Fixtures.bootstrap(store)
            let blog = try await store.projects.create(Fixtures.newProject("blog"), workspaceID: identity.workspace.id)
            let api = try await store.projects.create(Fixtures.newProject("api", kind: .service), workspaceID: identity.workspace.id)

            let first = try await store.deployments.create(Fixtures.newDeployment(blog, by: identity, commitID: "abc1234"))
            let second = try await store.deployments.create(Fixtures.newDeployment(blog, by: identity, branch: "feature/x", environment: .preview))
            let other = try await store.deployments.create(Fixtures.newDeployment(api, by: identity))
            let third = try await store.deployments.create(Fixtures.newDeployment(blog, by: identity))
            #expect([first, second, third].map(\.sequenceNumber) == [1, 2, 3])
            #expect(other.sequenceNumber == 1)
            #expect(Set([first, second, other, third].map(\.uid)).count == 4)
            #expect(first.id < second.id && second.id < other.id && other.id < third.id)

            #expect(first.state == .queued)
            #expect(first.stages.map(\.name) == [.queued, .initialize, .cloneRepo, .build, .deploy])
            #expect(other.stages.map(\.name).last == .healthCheck)
            #expect(first.stages[0].status == .active && first.stages[0].startedOn == first.createdAt)
            #expect(first.startedAt == nil && first.completedAt == nil)
            #expect(first.config == blog.buildConfig)
            #expect(first.commitID == "abc1234")
            #expect(second.environment == .preview && second.gitBranch == "feature/x")

            // What create returned is exactly what is stored.
            for deployment in [first, second, other, third] {
                #expect(try await store.deployments.deployment(id: deployment.id) == deployment)
                #expect(try await store.deployments.deployment(id: deployment.id, workspaceID: identity.workspace.id) == deployment)
            }
            #expect(try await store.deployments.hasUnfinishedDeployments(projectID: blog.id))
        }
    }

    @Test("Concurrent creations on one project get distinct, gapless sequence numbers", arguments: TestDatabase.all)
    func concurrentCreations(database: TestDatabase) async throws {
        try await database.withStore { store in
            let identity = try await Fixtures.bootstrap(store)
            let project = try await store.projects.create(Fixtures.newProject("busy"), workspaceID: identity.workspace.id)
            let numbers = try await withThrowingTaskGroup(of: Int64.self) { group in
                for _ in 0..<20 {
                    group.addTask { try await store.deployments.create(Fixtures.newDeployment(project, by: identity)).sequenceNumber }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(numbers.sorted() == Array(1...20))
        }
    }

    @Test("Deployments are invisible to other workspaces and cannot be created in their projects", arguments: TestDatabase.all)
    func workspaceScoping(database: TestDatabase) async throws {
        try await database.withStore { store in
            let owner = try await Fixtures.bootstrap(store, workspace: "owner")
            let stranger = try await Fixtures.bootstrap(store, workspace: "stranger")
            let project = try await store.projects.create(Fixtures.newProject("blog"), workspaceID: owner.workspace.id)
            let deployment = try await store.deployments.create(Fixtures.newDeployment(project, by: owner))
            #expect(try await store.deployments.deployment(id: deployment.id, workspaceID: stranger.workspace.id) == nil)

            var forged = Fixtures.newDeployment(project, by: stranger)
            forged.workspaceID = stranger.workspace.id
            await #expect(throws: SlipwayError.notFound("project \(project.id) not found")) { try await store.deployments.create(forged) }
        }
    }

    @Test("claimNext takes the oldest queued deployment, one running per project", arguments: TestDatabase.all)
    func claimIsFIFOAndOnePerProject(database: TestDatabase) async throws {
        try await database.withStore { store in
            let identity = try await Fixtures.bootstrap(store)
            let blog = try await store.projects.create(Fixtures.newProject("blog"), workspaceID: identity.workspace.id)
            let docs = try await store.projects.create(Fixtures.newProject("docs"), workspaceID: identity.workspace.id)
            let blog1 = try await store.deployments.create(Fixtures.newDeployment(blog, by: identity))
            let blog2 = try await store.deployments.create(Fixtures.newDeployment(blog, by: identity))
            let docs1 = try await store.deployments.create(Fixtures.newDeployment(docs, by: identity))

            let start = Fixtures.time
            let claimed = try #require(try await Fixtures.claimNext(store, at: start))
            #expect(claimed.id == blog1.id)
            #expect(claimed.state == .running)
            #expect(claimed.startedAt == start)
            #expect(claimed.stages[0].status == .success && claimed.stages[0].endedOn == start)
            #expect(try await store.deployments.deployment(id: blog1.id) == claimed)

            // blog is busy, so docs goes next although blog2 is older.
            #expect(try await Fixtures.claimNext(store, at: start)?.id == docs1.id)
            #expect(try await Fixtures.claimNext(store, at: start) == nil)

            var finished = claimed
            try Fixtures.succeed(&finished, build: UUID(), at: Fixtures.time(plus: 5))
            try await store.deployments.saveProgress(finished)
            let next = try #require(try await Fixtures.claimNext(store, at: Fixtures.time(plus: 6)))
            #expect(next.id == blog2.id)
            #expect(next.startedAt == Fixtures.time(plus: 6))
            #expect(try await Fixtures.claimNext(store, at: start) == nil)
        }
    }

    @Test("A canceled head of a project's queue lets the next one of that project go", arguments: TestDatabase.all)
    func canceledHeadIsPassedOver(database: TestDatabase) async throws {
        try await database.withStore { store in
            let identity = try await Fixtures.bootstrap(store)
            let blog = try await store.projects.create(Fixtures.newProject("blog"), workspaceID: identity.workspace.id)
            var head = try await store.deployments.create(Fixtures.newDeployment(blog, by: identity))
            let second = try await store.deployments.create(Fixtures.newDeployment(blog, by: identity))
            try head.progress.cancel(reason: "not wanted", at: Fixtures.time)
            try await store.deployments.saveProgress(head)
            #expect(try await store.deployments.deployment(id: head.id)?.progress.reason == "not wanted")
            #expect(try await Fixtures.claimNext(store, at: Fixtures.time)?.id == second.id)
        }
    }

    @Test("Concurrent workers never claim one deployment twice nor two of one project", arguments: TestDatabase.all)
    func concurrentClaims(database: TestDatabase) async throws {
        try await database.withStore { store in
            let identity = try await Fixtures.bootstrap(store)
            var firstOfProject: [Int64: Int64] = [:]
            for index in 0..<4 {
                let project = try await store.projects.create(Fixtures.newProject("app-\(index)"), workspaceID: identity.workspace.id)
                for _ in 0..<3 {
                    let deployment = try await store.deployments.create(Fixtures.newDeployment(project, by: identity))
                    if firstOfProject[project.id] == nil { firstOfProject[project.id] = deployment.id }
                }
            }
            let claimed = try await withThrowingTaskGroup(of: Deployment?.self) { group in
                for _ in 0..<12 {
                    group.addTask { try await Fixtures.claimNext(store, at: Fixtures.time) }
                }
                return try await group.reduce(into: [Deployment]()) { if let deployment = $1 { $0.append(deployment) } }
            }
            #expect(claimed.count == 4)
            #expect(Set(claimed.map(\.id)) == Set(firstOfProject.values))
        }
    }

    @Test("Concurrent workers drain the queue: each deployment once, in order per project, never two at once", arguments: TestDatabase.all)
    func concurrentWorkersDrainTheQueue(database: TestDatabase) async throws {
        struct RunningCount: Decodable {
            var count: Int64
        }
        actor ClaimLog {
            var order: [Deployment] = []
            func append(_ deployment: Deployment) { order.append(deployment) }
        }
        let log = ClaimLog()
        try await database.withStore { store in
            let identity = try await Fixtures.bootstrap(store)
            var total = 0
            for index in 0..<3 {
                let project = try await store.projects.create(Fixtures.newProject("app-\(index)"), workspaceID: identity.workspace.id)
                for _ in 0..<4 {
                    _ = try await store.deployments.create(Fixtures.newDeployment(project, by: identity))
                    total += 1
                }
            }
            let runs = try await withThrowingTaskGroup(of: [Deployment].self) { group in
                for _ in 0..<5 {
                    group.addTask {
                        var mine: [Deployment] = []
                        var idleRounds = 0
                        while idleRounds < 200 {
                            guard var deployment = try await Fixtures.claimNext(store, at: Fixtures.time) else {
                                idleRounds += 1
                                await Task.yield()
                                continue
                            }
                            idleRounds = 0
                            await log.append(deployment)
                            let running = try await store.database.withConnection { session in
                                try await session.first(
                                    RunningCount.self,
                                    """
                                    SELECT COUNT(*) AS count FROM deployments
                                    WHERE project_id = \(bind: deployment.projectID) AND state = \(bind: "running")
                                    """
                                )
                            }
                            #expect(running?.count == 1, "another deployment of the project is running")
                            try Fixtures.succeed(&deployment, build: UUID(), at: Fixtures.time(plus: 1))
                            try await store.deployments.saveLive(deployment, makeProduction: true)
                            mine.append(deployment)
                        }
                        return mine
                    }
                }
                return try await group.reduce(into: [Deployment]()) { $0 += $1 }
            }
            #expect(runs.count == total)
            #expect(Set(runs.map(\.id)).count == total)
            // Within a project, deployments were claimed in the order they were queued.
            for projectRuns in Dictionary(grouping: await log.order, by: \.projectID).values {
                #expect(projectRuns.map(\.sequenceNumber) == [1, 2, 3, 4])
            }
        }
    }

    @Test("saveProgress round-trips state, stages, commit, build and timestamps to the microsecond", arguments: TestDatabase.all)
    func saveProgressRoundTrip(database: TestDatabase) async throws {
        try await database.withStore { store in
            let identity = try await Fixtures.bootstrap(store)
            let project = try await store.projects.create(Fixtures.newProject("api", kind: .service), workspaceID: identity.workspace.id)
            _ = try await store.deployments.create(Fixtures.newDeployment(project, by: identity))
            var deployment = try #require(try await Fixtures.claimNext(store, at: Fixtures.time(plus: 1)))

            try deployment.progress.begin(.initialize, at: Fixtures.time(plus: 2))
            try deployment.progress.complete(.initialize, at: Fixtures.time(plus: 3))
            try deployment.progress.begin(.cloneRepo, at: Fixtures.time(plus: 4))
            try deployment.progress.complete(.cloneRepo, at: Fixtures.time(plus: 999_999))
            deployment.commitID = String(repeating: "c", count: 40)
            deployment.commitMessage = "Fix the thing\n\nWith a body, quotes \" and 'apostrophes', and ünïcode ✓"
            deployment.commitAuthor = "Ada <ada@example.com>"
            try deployment.progress.begin(.build, at: Fixtures.time(plus: 1_000_001))
            try await store.deployments.saveProgress(deployment)

            var stored = try #require(try await store.deployments.deployment(id: deployment.id))
            #expect(stored.updatedAt >= deployment.createdAt)
            deployment.updatedAt = stored.updatedAt
            #expect(stored == deployment)
            #expect(stored.stages[2].endedOn == Fixtures.time(plus: 999_999))
            #expect(stored.progress.activeStage == .build)

            try stored.progress.fail(at: Fixtures.time(plus: 2_000_000))
            stored.error = "build command exited with status 2"
            let build = UUID()
            stored.buildID = build
            try await store.deployments.saveProgress(stored)
            var failed = try #require(try await store.deployments.deployment(id: deployment.id, workspaceID: identity.workspace.id))
            #expect(failed.state == .failed)
            #expect(failed.stages.first { $0.name == .build }?.status == .failure)
            #expect(failed.completedAt == Fixtures.time(plus: 2_000_000))
            #expect(failed.error == "build command exited with status 2")
            #expect(failed.buildID == build)
            failed.updatedAt = stored.updatedAt
            #expect(failed == stored)
            #expect(try await store.deployments.hasUnfinishedDeployments(projectID: project.id) == false)
        }
    }

    @Test("Saving progress of a deleted deployment reports it not found", arguments: TestDatabase.all)
    func saveProgressOfMissingDeployment(database: TestDatabase) async throws {
        try await database.withStore { store in
            let identity = try await Fixtures.bootstrap(store)
            let project = try await store.projects.create(Fixtures.newProject("gone"), workspaceID: identity.workspace.id)
            var deployment = try await store.deployments.create(Fixtures.newDeployment(project, by: identity))
            _ = try await store.projects.delete(id: project.id, workspaceID: identity.workspace.id)
            try deployment.progress.cancel(reason: "x", at: Fixtures.time)
            await #expect(throws: SlipwayError.notFound("deployment \(deployment.id) not found")) {
                try await store.deployments.saveProgress(deployment)
            }
        }
    }

    @Test("saveLive moves production only when asked, and liveDeployments reflects it", arguments: TestDatabase.all)
    func saveLiveSwitchesProduction(database: TestDatabase) async throws {
        try await database.withStore { store in
            let identity = try await Fixtures.bootstrap(store)
            let workspaceID = identity.workspace.id
            let blog = try await store.projects.create(Fixtures.newProject("blog"), workspaceID: workspaceID)

            func deployLive(environment: DeploymentEnvironment, branch: String, makeProduction: Bool) async throws -> Deployment {
                _ = try await store.deployments.create(Fixtures.newDeployment(blog, by: identity, branch: branch, environment: environment))
                var deployment = try #require(try await Fixtures.claimNext(store, at: Fixtures.time))
                let build = UUID()
                try await store.deployments.createBuild(
                    Build(id: build, workspaceID: workspaceID, projectID: blog.id, commitID: "abc", createdAt: Fixtures.time)
                )
                try Fixtures.succeed(&deployment, build: build, at: Fixtures.time(plus: 10))
                try await store.deployments.saveLive(deployment, makeProduction: makeProduction)
                return try #require(try await store.deployments.deployment(id: deployment.id))
            }

            let first = try await deployLive(environment: .production, branch: "main", makeProduction: true)
            #expect(try await store.projects.project(id: blog.id, workspaceID: workspaceID)?.productionDeploymentID == first.id)
            let second = try await deployLive(environment: .production, branch: "main", makeProduction: true)
            #expect(try await store.projects.project(id: blog.id, workspaceID: workspaceID)?.productionDeploymentID == second.id)
            let preview = try await deployLive(environment: .preview, branch: "feature/x", makeProduction: false)
            #expect(try await store.projects.project(id: blog.id, workspaceID: workspaceID)?.productionDeploymentID == second.id)
            #expect(preview.state == .success && preview.buildID != nil)

            // A running deployment and a successful one without a build are not live.
            _ = try await store.deployments.create(Fixtures.newDeployment(blog, by: identity))
            _ = try #require(try await Fixtures.claimNext(store, at: Fixtures.time))

            let live = try await store.deployments.liveDeployments()
            #expect(live.map(\.deploymentID) == [first.id, second.id, preview.id])
            #expect(live.map(\.isProduction) == [false, true, false])
            #expect(live.allSatisfy { $0.projectName == "blog" })
            #expect(live[2].gitBranch == "feature/x")
            #expect(live[1].uid == second.uid && live[1].buildID == second.buildID)

            // Rolling back is switching the pointer to an older one.
            try await store.deployments.saveLive(first, makeProduction: true)
            #expect(try await store.deployments.liveDeployments().map(\.isProduction) == [true, false, false])
            #expect(try await store.deployments.successfulProductionDeployments(projectID: blog.id).map(\.id) == [second.id, first.id])
        }
    }

    @Test("An abandoned running deployment ends failed with truthful stages; queued ones stay queued", arguments: TestDatabase.all)
    func interruptAbandoned(database: TestDatabase) async throws {
        try await database.withStore { store in
            let identity = try await Fixtures.bootstrap(store)
            let blog = try await store.projects.create(Fixtures.newProject("blog"), workspaceID: identity.workspace.id)
            let docs = try await store.projects.create(Fixtures.newProject("docs"), workspaceID: identity.workspace.id)

            _ = try await store.deployments.create(Fixtures.newDeployment(blog, by: identity))
            var done = try #require(try await Fixtures.claimNext(store, at: Fixtures.time))
            try Fixtures.succeed(&done, build: UUID(), at: Fixtures.time(plus: 1))
            try await store.deployments.saveLive(done, makeProduction: true)

            _ = try await store.deployments.create(Fixtures.newDeployment(blog, by: identity))
            var running = try #require(try await Fixtures.claimNext(store, at: Fixtures.time(plus: 2)))
            try running.progress.begin(.initialize, at: Fixtures.time(plus: 3))
            try await store.deployments.saveProgress(running)
            let queued = try await store.deployments.create(Fixtures.newDeployment(docs, by: identity))
            let waiting = try await store.deployments.create(Fixtures.newDeployment(blog, by: identity))

            // The node restarts: everything it held is abandoned, whatever the lease says.
            let crash = Fixtures.time(plus: 100)
            let abandoned = try await store.control.abandonedDeployments(at: crash, formerOwner: Fixtures.worker)
            #expect(abandoned.map(\.id) == [running.id])
            #expect(abandoned.first?.stages == running.stages)
            for var deployment in abandoned {
                try deployment.progress.interrupt(at: crash)
                deployment.error = "interrupted"
                try await store.deployments.saveProgress(deployment)
            }

            let interrupted = try #require(try await store.deployments.deployment(id: running.id))
            #expect(interrupted.state == .failed)
            #expect(interrupted.error == "interrupted")
            #expect(interrupted.completedAt == crash)
            #expect(interrupted.startedAt == Fixtures.time(plus: 2))
            #expect(interrupted.stages.first { $0.name == .initialize }?.status == .failure)
            #expect(interrupted.stages.first { $0.name == .initialize }?.endedOn == crash)
            #expect(interrupted.stages.allSatisfy { $0.status != .active })

            for deployment in [queued, waiting] {
                #expect(try await store.deployments.deployment(id: deployment.id) == deployment)
            }
            #expect(try await store.deployments.deployment(id: done.id)?.state == .success)
            #expect(try await store.control.abandonedDeployments(at: crash, formerOwner: Fixtures.worker) == [])
            #expect(try await Fixtures.claimNext(store, at: crash)?.id == queued.id)
            #expect(try await Fixtures.claimNext(store, at: crash)?.id == waiting.id)
        }
    }

    @Test("A project's deployments page newest first with the total", arguments: TestDatabase.all)
    func pagination(database: TestDatabase) async throws {
        try await database.withStore { store in
            let identity = try await Fixtures.bootstrap(store)
            let blog = try await store.projects.create(Fixtures.newProject("blog"), workspaceID: identity.workspace.id)
            let docs = try await store.projects.create(Fixtures.newProject("docs"), workspaceID: identity.workspace.id)
            var created: [Deployment] = []
            for _ in 0..<7 { created.append(try await store.deployments.create(Fixtures.newDeployment(blog, by: identity))) }
            _ = try await store.deployments.create(Fixtures.newDeployment(docs, by: identity))
            let newestFirst = created.reversed().map(\.id)

            let first = try await store.deployments.deployments(projectID: blog.id, page: Page(number: 1, size: 3))
            #expect(first.total == 7)
            #expect(first.items.map(\.id) == Array(newestFirst[0..<3]))
            let second = try await store.deployments.deployments(projectID: blog.id, page: Page(number: 2, size: 3))
            #expect(second.items.map(\.id) == Array(newestFirst[3..<6]))
            let third = try await store.deployments.deployments(projectID: blog.id, page: Page(number: 3, size: 3))
            #expect(third.items.map(\.id) == [newestFirst[6]] && third.total == 7)
            let beyond = try await store.deployments.deployments(projectID: blog.id, page: Page(number: 4, size: 3))
            #expect(beyond.items.isEmpty && beyond.total == 7)
            #expect(try await store.deployments.deployments(projectID: docs.id, page: Page(number: 1, size: 15)).total == 1)
            #expect(try await store.deployments.deployments(projectID: 9999, page: Page(number: 1, size: 15)).total == 0)
        }
    }

    @Test("A project's deployments of one environment page newest first with their exact total", arguments: TestDatabase.all)
    func paginationOfOneEnvironment(database: TestDatabase) async throws {
        try await database.withStore { store in
            let identity = try await Fixtures.bootstrap(store)
            let blog = try await store.projects.create(Fixtures.newProject("blog"), workspaceID: identity.workspace.id)
            var previews: [Deployment] = []
            for index in 0..<5 {
                _ = try await store.deployments.create(Fixtures.newDeployment(blog, by: identity))
                previews.append(
                    try await store.deployments.create(Fixtures.newDeployment(blog, by: identity, branch: "feature-\(index)", environment: .preview)))
            }
            let newestPreviewsFirst = previews.reversed().map(\.id)

            let first = try await store.deployments.deployments(projectID: blog.id, environment: .preview, page: Page(number: 1, size: 2))
            #expect(first.total == 5 && first.items.map(\.id) == Array(newestPreviewsFirst[0..<2]))
            let last = try await store.deployments.deployments(projectID: blog.id, environment: .preview, page: Page(number: 3, size: 2))
            #expect(last.total == 5 && last.items.map(\.id) == [newestPreviewsFirst[4]])
            let production = try await store.deployments.deployments(projectID: blog.id, environment: .production, page: Page(number: 1, size: 10))
            #expect(production.total == 5 && production.items.allSatisfy { $0.environment == .production })
            #expect(try await store.deployments.deployments(projectID: blog.id, environment: nil, page: Page(number: 1, size: 1)).total == 10)
        }
    }
}
