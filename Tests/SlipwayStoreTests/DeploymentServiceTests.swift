import Foundation
import SlipwayCore
import SlipwayStore
import Testing

/// The deployment use cases over a real store: superseding of queued `auto` deployments and the queue cap.
@Suite struct DeploymentServiceTests {
    @Test("A newer auto deployment of a branch supersedes the older queued ones; manual ones never", arguments: TestDatabase.all)
    func superseding(database: TestDatabase) async throws {
        try await database.withStore { store in
            let identity = try await Fixtures.bootstrap(store)
            let project = try await store.projects.create(Fixtures.newProject("site"), workspaceID: identity.workspace.id)
            let service = DeploymentService(
                projects: store.projects, deployments: store.deployments, control: store.control, queueSignal: WakeUpSignal())
            let push = DeployRequest(gitBranch: "main", trigger: .auto)
            let firstPush = try await service.deploy(projectIDs: [project.id], request: push, by: identity)[0]
            let manual = try await service.deploy(projectIDs: [project.id], request: DeployRequest(gitBranch: "main"), by: identity)[0]
            let otherBranch = try await service.deploy(
                projectIDs: [project.id], request: DeployRequest(gitBranch: "dev", trigger: .auto), by: identity)[0]
            let secondPush = try await service.deploy(projectIDs: [project.id], request: push, by: identity)[0]

            let superseded = try #require(try await store.deployments.deployment(id: firstPush.id))
            #expect(superseded.state == .skipped)
            #expect(superseded.progress.reason == DeploymentService.supersededReason)
            #expect(superseded.stages.first?.status == .skipped)
            for id in [manual.id, otherBranch.id, secondPush.id] {
                #expect(try await store.deployments.deployment(id: id)?.state == .queued)
            }
        }
    }

    @Test("The queue cap refuses what would pass it, counting every project asked for", arguments: TestDatabase.all)
    func queueCap(database: TestDatabase) async throws {
        try await database.withStore { store in
            let identity = try await Fixtures.bootstrap(store)
            let project = try await store.projects.create(Fixtures.newProject("site"), workspaceID: identity.workspace.id)
            let service = DeploymentService(
                projects: store.projects, deployments: store.deployments, control: store.control, queueSignal: WakeUpSignal(), queueCap: 3
            )
            _ = try await service.deploy(projectIDs: [project.id, project.id], request: DeployRequest(), by: identity)
            await #expect(
                throws: SlipwayError.tooManyRequests(
                    "the deployment queue of this workspace is full (2 waiting, at most 3); try again when some have run")
            ) {
                try await service.deploy(projectIDs: [project.id, project.id], request: DeployRequest(), by: identity)
            }
            _ = try await service.deploy(projectIDs: [project.id], request: DeployRequest(), by: identity)
            do {
                _ = try await service.deploy(projectIDs: [project.id], request: DeployRequest(), by: identity)
                Issue.record("a fourth queued deployment was accepted")
            } catch let error as SlipwayError {
                guard case .tooManyRequests(let message) = error else { throw error }
                #expect(message.contains("3 waiting, at most 3"))
            }
            #expect(try await store.control.queuedCount(workspaceID: identity.workspace.id) == 3)
        }
    }
}
