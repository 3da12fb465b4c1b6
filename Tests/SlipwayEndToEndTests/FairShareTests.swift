import Foundation
import SlipwayClient
import SlipwayServer
import SlipwayTesting
import Testing

/// The fair share with real builds (docs/scheduling.md): two workers, at most one per workspace, workspaces served in
/// turn. Builds sleep until they are killed, so every step waits for a build to show it started, never for time.
@Suite struct FairShareTests {
    /// A repository whose build prints `started` and then sleeps for `marker` seconds (it is killed long before).
    func makeSlowSite(marker: String) throws -> TemporaryGitRepository {
        let repository = try TemporaryGitRepository()
        try repository.write("build.sh", "echo started\nsleep \(marker)\nmkdir -p dist && echo done > dist/index.html\n")
        try repository.commit("slow site")
        return repository
    }

    func createProject(_ api: SlipwayClient, name: String, site: TemporaryGitRepository) async throws -> Int64 {
        try await api.createProject(NewProjectRequest(name: name, repository: site.path, buildCommand: "sh build.sh", outputDir: "dist")).id
    }

    /// Waits until the deployment's build shows it started: a worker runs it.
    func waitUntilStarted(_ api: SlipwayClient, _ id: Int64) async throws {
        let seen = try await ProcessTable.eventually(timeout: .seconds(60)) {
            try await api.logs(id).data.contains { $0.line.contains("started") }
        }
        #expect(seen, "deployment \(id) never started")
    }

    /// The deployments the workspace of `api` runs now, by id.
    func active(_ api: SlipwayClient) async throws -> [Int64] {
        try await api.queue().data.filter { $0.state == "active" }.map(\.deploymentId)
    }

    /// Why each waiting deployment of the workspace of `api` waits, by id.
    func reasons(_ api: SlipwayClient) async throws -> [Int64: String] {
        var reasons: [Int64: String] = [:]
        for entry in try await api.queue().data where entry.state == "waiting" { reasons[entry.deploymentId] = entry.waitingReason }
        return reasons
    }

    @Test func theWorkspaceLimitComesFromItsVariableOrIsHalfOfTheWorkers() throws {
        var configuration = try SlipwayConfiguration.fromEnvironment(["SLIPWAY_WORKERS": "5"])
        #expect(configuration.workspaceWorkers == nil && configuration.effectiveWorkspaceWorkers == 2)
        configuration.workers = 1
        #expect(configuration.effectiveWorkspaceWorkers == 1)
        configuration = try SlipwayConfiguration.fromEnvironment(["SLIPWAY_WORKERS": "2", "SLIPWAY_WORKSPACE_WORKERS": "3"])
        #expect(configuration.effectiveWorkspaceWorkers == 3)
        for bad in ["0", "-1", "two"] {
            #expect(throws: (any Error).self) { try SlipwayConfiguration.fromEnvironment(["SLIPWAY_WORKSPACE_WORKERS": bad]) }
        }
    }

    @Test func aWorkspaceWithManyBuildsLeavesTheSecondWorkerToOthersAndWorkspacesTakeTurns() async throws {
        let marker = ProcessTable.uniqueSleepDuration()
        let site = try makeSlowSite(marker: marker)
        try await TestServer.withServer(configure: {
            $0.workers = 2
            $0.workspaceWorkers = 1
        }) { server in
            let a = server.client
            let b = server.client(token: try await server.createWorkspace("bravo"))
            let c = server.client(token: try await server.createWorkspace("charlie"))

            // A queues six builds of six projects: without a workspace limit it would take both workers.
            var projectsOfA: [Int64] = []
            for index in 1...6 { projectsOfA.append(try await createProject(a, name: "alpha-\(index)", site: site)) }
            let ofA = try await a.deploy(projectIDs: projectsOfA).deploymentIds
            try await waitUntilStarted(a, ofA[0])

            // B queues one: the second worker is free for it at once, before A's remaining five.
            let projectOfB = try await createProject(b, name: "bravo-site", site: site)
            let b1 = try await b.deploy(projectIDs: [projectOfB]).deploymentIds[0]
            try await waitUntilStarted(b, b1)
            #expect(try await active(a) == [ofA[0]])
            #expect(try await active(b) == [b1])
            #expect(try await reasons(a) == Dictionary(uniqueKeysWithValues: ofA.dropFirst().map { ($0, "workspace limit") }))

            // A's build ends: A's next one takes the worker (nobody else waits).
            _ = try await a.cancel(ofA[0], kill: true)
            try await waitUntilStarted(a, ofA[1])
            #expect(try await active(a) == [ofA[1]])

            // B queues another of its busy project, C its first: both workers are busy.
            let b2 = try await b.deploy(projectIDs: [projectOfB]).deploymentIds[0]
            let projectOfC = try await createProject(c, name: "charlie-site", site: site)
            let c1 = try await c.deploy(projectIDs: [projectOfC]).deploymentIds[0]
            #expect(try await reasons(b) == [b2: "project busy"])
            #expect(try await reasons(c) == [c1: "no free worker"])
            #expect(try await reasons(a) == Dictionary(uniqueKeysWithValues: ofA.dropFirst(2).map { ($0, "workspace limit") }))

            // B's build ends: B and C could both go; C was never served, so C goes first.
            _ = try await b.cancel(b1, kill: true)
            try await waitUntilStarted(c, c1)
            #expect(try await active(b).isEmpty)
            #expect(try await reasons(b) == [b2: "no free worker"])

            // A's build ends: B's last turn (b1) is older than A's (A's second), so B goes before A's third.
            _ = try await a.cancel(ofA[1], kill: true)
            try await waitUntilStarted(b, b2)
            #expect(try await active(a).isEmpty)
            #expect(try await active(c) == [c1])
            #expect(try await reasons(a) == Dictionary(uniqueKeysWithValues: ofA.dropFirst(2).map { ($0, "no free worker") }))

            // The order in which builds were claimed (the end of their `queued` stage, fixed-width UTC), from the records.
            var started: [(id: Int64, at: String)] = []
            for (api, id) in [(a, ofA[0]), (a, ofA[1]), (b, b1), (b, b2), (c, c1)] {
                let queuedStage = try #require(try await api.deployment(id).stages.first { $0.name == "queued" })
                started.append((id, try #require(queuedStage.endedOn)))
            }
            #expect(started.sorted { $0.at < $1.at }.map(\.id) == [ofA[0], b1, ofA[1], c1, b2])

            for id in ofA.dropFirst(2) { _ = try await a.cancel(id) }
            _ = try await c.cancel(c1, kill: true)
            _ = try await b.cancel(b2, kill: true)
            #expect(ProcessTable.matching(marker).isEmpty, "builds survived: \(ProcessTable.matching(marker))")
        }
    }
}
