import Foundation
import SlipwayCore
import Testing

@testable import SlipwayStore

@Suite struct ProjectRepositoryTests {
    private static let nameTaken = SlipwayError.invalid("name", "is already taken")

    @Test("A created project reads back by id and by name with every setting", arguments: TestDatabase.all)
    func createAndRead(database: TestDatabase) async throws {
        try await database.withStore { store in
            let identity = try await Fixtures.bootstrap(store)
            let workspaceID = identity.workspace.id
            let created = try await store.projects.create(Fixtures.newProject("blog", kind: .service), workspaceID: workspaceID)
            #expect(created.name == "blog")
            #expect(created.repository == "https://git.example.com/blog.git")
            #expect(created.productionBranch == "main")
            #expect(created.kind == .service)
            #expect(created.rootDir == "site")
            #expect(created.buildCommand == "make build")
            #expect(created.outputDir == "public")
            #expect(created.serverID == 1)
            #expect(created.productionDeploymentID == nil)
            #expect(created.workspaceID == workspaceID)
            #expect(created.createdAt == created.updatedAt)

            #expect(try await store.projects.project(id: created.id, workspaceID: workspaceID) == created)
            #expect(try await store.projects.project(name: "blog", workspaceID: workspaceID) == created)
            #expect(try await store.projects.project(name: "nope", workspaceID: workspaceID) == nil)
            #expect(try await store.projects.project(id: created.id + 100, workspaceID: workspaceID) == nil)
        }
    }

    @Test("Project names are unique on the whole install", arguments: TestDatabase.all)
    func namesAreUnique(database: TestDatabase) async throws {
        try await database.withStore { store in
            let first = try await Fixtures.bootstrap(store, workspace: "first")
            let second = try await Fixtures.bootstrap(store, workspace: "second")
            _ = try await store.projects.create(Fixtures.newProject("blog"), workspaceID: first.workspace.id)
            await #expect(throws: Self.nameTaken) {
                try await store.projects.create(Fixtures.newProject("blog"), workspaceID: first.workspace.id)
            }
            await #expect(throws: Self.nameTaken) {
                try await store.projects.create(Fixtures.newProject("blog"), workspaceID: second.workspace.id)
            }
            #expect(try await store.projects.projects(workspaceID: second.workspace.id, page: Page(number: 1, size: 10)).total == 0)
        }
    }

    @Test("Concurrent creations of one name: exactly one wins, the others get the domain error", arguments: TestDatabase.all)
    func concurrentCreationsOfOneName(database: TestDatabase) async throws {
        try await database.withStore { store in
            let identity = try await Fixtures.bootstrap(store)
            let outcomes = await withTaskGroup(of: Result<Project, SlipwayError>?.self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        do {
                            return .success(try await store.projects.create(Fixtures.newProject("race"), workspaceID: identity.workspace.id))
                        } catch let error as SlipwayError {
                            return .failure(error)
                        } catch {
                            Issue.record("unexpected error: \(error)")
                            return nil
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            let successes = outcomes.compactMap { outcome -> Project? in
                if case .success(let project) = outcome { return project }
                return nil
            }
            #expect(successes.count == 1)
            #expect(
                outcomes.allSatisfy { outcome in
                    if case .failure(let error) = outcome { return error == Self.nameTaken }
                    return outcome != nil
                })
        }
    }

    @Test("Update saves settings, stamps updated_at, and refuses a taken name", arguments: TestDatabase.all)
    func updateAndRename(database: TestDatabase) async throws {
        try await database.withStore { store in
            let identity = try await Fixtures.bootstrap(store)
            let workspaceID = identity.workspace.id
            let blog = try await store.projects.create(Fixtures.newProject("blog"), workspaceID: workspaceID)
            let docs = try await store.projects.create(Fixtures.newProject("docs"), workspaceID: workspaceID)

            var changed = blog
            changed.repository = "/srv/git/blog"
            changed.productionBranch = "trunk"
            changed.kind = .service
            changed.rootDir = ""
            changed.buildCommand = ""
            changed.outputDir = "."
            let updated = try await store.projects.update(changed)
            #expect(updated.repository == "/srv/git/blog")
            #expect(updated.productionBranch == "trunk")
            #expect(updated.kind == .service)
            #expect(updated.buildCommand == "")
            #expect(updated.createdAt == blog.createdAt)
            #expect(updated.updatedAt >= blog.updatedAt)
            #expect(try await store.projects.project(id: blog.id, workspaceID: workspaceID) == updated)

            var clash = updated
            clash.name = docs.name
            await #expect(throws: Self.nameTaken) { try await store.projects.update(clash) }
            #expect(try await store.projects.project(id: blog.id, workspaceID: workspaceID)?.name == "blog")

            // Keeping its own name is no conflict; a free name is taken over.
            #expect(try await store.projects.update(updated).name == "blog")
            var renamed = updated
            renamed.name = "journal"
            #expect(try await store.projects.update(renamed).name == "journal")
            #expect(try await store.projects.project(name: "blog", workspaceID: workspaceID) == nil)
            #expect(try await store.projects.project(name: "journal", workspaceID: workspaceID)?.id == blog.id)
            // The old name is free again.
            _ = try await store.projects.create(Fixtures.newProject("blog"), workspaceID: workspaceID)
        }
    }

    @Test("A project of another workspace is invisible: not found, not listed, not changed", arguments: TestDatabase.all)
    func crossWorkspaceInvisibility(database: TestDatabase) async throws {
        try await database.withStore { store in
            let owner = try await Fixtures.bootstrap(store, workspace: "owner")
            let stranger = try await Fixtures.bootstrap(store, workspace: "stranger")
            let project = try await store.projects.create(Fixtures.newProject("secret"), workspaceID: owner.workspace.id)

            #expect(try await store.projects.project(id: project.id, workspaceID: stranger.workspace.id) == nil)
            #expect(try await store.projects.project(name: "secret", workspaceID: stranger.workspace.id) == nil)
            #expect(try await store.projects.projects(workspaceID: stranger.workspace.id, page: Page(number: 1, size: 15)).items.isEmpty)

            var hijacked = project
            hijacked.workspaceID = stranger.workspace.id
            hijacked.repository = "https://evil.example.com/x.git"
            await #expect(throws: SlipwayError.notFound("project \(project.id) not found")) { try await store.projects.update(hijacked) }
            await #expect(throws: SlipwayError.notFound("project \(project.id) not found")) {
                try await store.projects.delete(id: project.id, workspaceID: stranger.workspace.id)
            }
            #expect(try await store.projects.project(id: project.id, workspaceID: owner.workspace.id) == project)
        }
    }

    @Test("Projects are listed by id in pages with the total", arguments: TestDatabase.all)
    func listingPages(database: TestDatabase) async throws {
        try await database.withStore { store in
            let identity = try await Fixtures.bootstrap(store)
            var created: [Project] = []
            for index in 1...5 {
                created.append(try await store.projects.create(Fixtures.newProject("site-\(index)"), workspaceID: identity.workspace.id))
            }
            let first = try await store.projects.projects(workspaceID: identity.workspace.id, page: Page(number: 1, size: 2))
            #expect(first.total == 5)
            #expect(first.items == Array(created[0..<2]))
            let last = try await store.projects.projects(workspaceID: identity.workspace.id, page: Page(number: 3, size: 2))
            #expect(last.total == 5)
            #expect(last.items == [created[4]])
            let beyond = try await store.projects.projects(workspaceID: identity.workspace.id, page: Page(number: 4, size: 2))
            #expect(beyond.items.isEmpty && beyond.total == 5)
        }
    }

    @Test("Deleting a project removes its deployments and builds and returns the build ids", arguments: TestDatabase.all)
    func deleteRemovesEverything(database: TestDatabase) async throws {
        try await database.withStore { store in
            let identity = try await Fixtures.bootstrap(store)
            let workspaceID = identity.workspace.id
            let doomed = try await store.projects.create(Fixtures.newProject("doomed"), workspaceID: workspaceID)
            let kept = try await store.projects.create(Fixtures.newProject("kept"), workspaceID: workspaceID)

            let doomedBuilds = [UUID(), UUID()]
            for build in doomedBuilds {
                try await store.deployments.createBuild(
                    Build(id: build, workspaceID: workspaceID, projectID: doomed.id, commitID: "abc", createdAt: Fixtures.time)
                )
            }
            let keptBuild = UUID()
            try await store.deployments.createBuild(
                Build(id: keptBuild, workspaceID: workspaceID, projectID: kept.id, commitID: nil, createdAt: Fixtures.time)
            )
            _ = try await store.deployments.create(Fixtures.newDeployment(doomed, by: identity))
            var live = try #require(try await Fixtures.claimNext(store, at: Fixtures.time))
            try Fixtures.succeed(&live, build: doomedBuilds[0], at: Fixtures.time)
            try await store.deployments.saveLive(live, makeProduction: true)
            let queued = try await store.deployments.create(Fixtures.newDeployment(doomed, by: identity))
            let other = try await store.deployments.create(Fixtures.newDeployment(kept, by: identity))

            let removed = try await store.projects.delete(id: doomed.id, workspaceID: workspaceID)
            #expect(Set(removed) == Set(doomedBuilds))
            #expect(try await store.projects.project(id: doomed.id, workspaceID: workspaceID) == nil)
            #expect(try await store.deployments.deployment(id: live.id) == nil)
            #expect(try await store.deployments.deployment(id: queued.id) == nil)
            #expect(try await store.deployments.deployment(id: other.id) == other)
            #expect(try await store.deployments.liveDeployments().isEmpty)
            await #expect(throws: SlipwayError.notFound("project \(doomed.id) not found")) {
                try await store.projects.delete(id: doomed.id, workspaceID: workspaceID)
            }
            // The name is free again and the project's deployments start over at 1.
            let again = try await store.projects.create(Fixtures.newProject("doomed"), workspaceID: workspaceID)
            #expect(try await store.deployments.create(Fixtures.newDeployment(again, by: identity)).sequenceNumber == 1)
        }
    }
}
