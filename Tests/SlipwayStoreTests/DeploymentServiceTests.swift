import Foundation
import SlipwayCore
import SlipwayStore
import Testing

/// The deployment use cases over a real store: superseding of queued `auto` deployments and the queue cap.
@Suite struct DeploymentServiceTests {
    /// The use cases over `store`, creating through the one admission path.
    static func service(_ store: SQLStore, queueCap: Int = 100) -> DeploymentService {
        let admission = DeploymentAdmission(repository: store.admissions(box: Fixtures.secrets), queueSignal: WakeUpSignal(), queueCap: queueCap)
        return DeploymentService(projects: store.projects, deployments: store.deployments, admission: admission)
    }

    @Test("A newer auto deployment of a branch supersedes the older queued ones; manual ones never", arguments: TestDatabase.all)
    func superseding(database: TestDatabase) async throws {
        try await database.withStore { store in
            let identity = try await Fixtures.bootstrap(store)
            let project = try await store.projects.create(Fixtures.newProject("site"), workspaceID: identity.workspace.id)
            let service = Self.service(store)
            let push = DeployRequest(gitBranch: "main", trigger: .auto)
            let firstPush = try await service.deploy(projectIDs: [project.id], request: push, by: identity)[0]
            let manual = try await service.deploy(projectIDs: [project.id], request: DeployRequest(gitBranch: "main"), by: identity)[0]
            let otherBranch = try await service.deploy(
                projectIDs: [project.id], request: DeployRequest(gitBranch: "dev", trigger: .auto), by: identity)[0]
            let secondPush = try await service.deploy(projectIDs: [project.id], request: push, by: identity)[0]

            let superseded = try #require(try await store.deployments.deployment(id: firstPush.id))
            #expect(superseded.state == .skipped)
            #expect(superseded.progress.reason == Admission.supersededReason)
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
            let service = Self.service(store, queueCap: 3)
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

    @Test("Many concurrent deploys never pass the queue cap: exactly the cap is admitted, the rest are refused", arguments: TestDatabase.all)
    func queueCapUnderConcurrency(database: TestDatabase) async throws {
        try await database.withStore { store in
            let identity = try await Fixtures.bootstrap(store)
            let project = try await store.projects.create(Fixtures.newProject("site"), workspaceID: identity.workspace.id)
            let service = Self.service(store, queueCap: 5)
            // A push, a manual deploy and a rollback-like re-deploy at once, 40 requests in all.
            let outcomes = await withTaskGroup(of: Result<Int64, any Error>.self) { group in
                for index in 0..<40 {
                    group.addTask {
                        do {
                            let trigger: DeploymentTrigger = index % 2 == 0 ? .manual : .rerun
                            let request = DeployRequest(gitBranch: "branch-\(index)", trigger: trigger)
                            return .success(try await service.deploy(projectIDs: [project.id], request: request, by: identity)[0].id)
                        } catch {
                            return .failure(error)
                        }
                    }
                }
                var outcomes: [Result<Int64, any Error>] = []
                for await outcome in group { outcomes.append(outcome) }
                return outcomes
            }
            let admitted = outcomes.compactMap { try? $0.get() }
            #expect(admitted.count == 5)
            for case .failure(let error) in outcomes {
                guard case .tooManyRequests? = error as? SlipwayError else {
                    Issue.record("a refused deploy failed with \(error) instead of a full queue")
                    continue
                }
            }
            #expect(try await store.control.queuedCount(workspaceID: identity.workspace.id) == 5)
        }
    }

    @Test("A promote copies the target's variables and unpins production in its admission", arguments: TestDatabase.all)
    func promoteAndRollbackAdmissions(database: TestDatabase) async throws {
        try await database.withStore { store in
            let identity = try await Fixtures.bootstrap(store)
            let project = try await store.projects.create(Fixtures.newProject("site"), workspaceID: identity.workspace.id)
            let variables = store.environmentVariables(box: Fixtures.secrets)
            try await variables.replace(projectID: project.id, with: [.preview: ["API": EnvironmentVariable(value: "one", secret: true)]])
            let service = Self.service(store)

            // A successful preview deployment with its snapshot taken when it ran.
            _ = try await service.deploy(projectIDs: [project.id], request: DeployRequest(gitBranch: "feature"), by: identity)
            var preview = try #require(try await Fixtures.claimNext(store))
            #expect(try await variables.snapshot(of: preview) == ["API": EnvironmentVariable(value: "one", secret: true)])
            let build = UUID()
            try await store.deployments.createBuild(
                Build(id: build, workspaceID: project.workspaceID, projectID: project.id, commitID: nil, createdAt: Fixtures.time))
            try Fixtures.succeed(&preview, build: build, at: Fixtures.time)
            try await store.deployments.saveLive(preview, makeProduction: false)
            try await variables.replace(projectID: project.id, with: [.preview: ["API": EnvironmentVariable(value: "two", secret: true)]])

            try await store.projects.setProductionPinned(projectID: project.id, pinned: true)
            let promote = try await service.promote(preview.id, by: identity)
            #expect(promote.trigger == .promote && promote.environment == .production && promote.buildID == preview.buildID)
            #expect(try await store.projects.project(id: project.id, workspaceID: identity.workspace.id)?.productionPinned == false)
            // Copied at admission: the promote runs with what the target ran with, not today's variables.
            #expect(try await variables.variablesShown(for: [promote])[promote.id] == ["API": EnvironmentVariable(value: "one", secret: true)])
        }
    }

    @Test("Listing a page of deployments with their variables takes the same number of statements for 2 or 40", arguments: TestDatabase.all)
    func listingStatementsAreConstant(database: TestDatabase) async throws {
        try await database.withStore { store in
            let identity = try await Fixtures.bootstrap(store)
            let project = try await store.projects.create(Fixtures.newProject("site"), workspaceID: identity.workspace.id)
            let variables = store.environmentVariables(box: Fixtures.secrets)
            try await variables.replace(projectID: project.id, with: [.production: ["A": EnvironmentVariable(value: "1", secret: true)]])
            let environment = EnvironmentService(variables: variables)
            let service = Self.service(store)

            /// The statements one listing of `size` deployments runs: the page and the variables of every row.
            func statementsOfListing(size: Int) async throws -> Int {
                let before = store.statementsRun
                let page = try await store.deployments.deployments(projectID: project.id, page: Page(number: 1, size: size))
                let shown = try await environment.maskedVariables(of: page.items)
                #expect(page.items.count == size && shown.count == size)
                #expect(shown.values.allSatisfy { $0 == ["A": EnvironmentVariable(value: SecretMasker.mask, secret: true)] })
                return store.statementsRun - before
            }

            // Some queued, some that ran (a snapshot taken), one that reuses a build (a rollback-like deploy-a-build).
            for index in 0..<40 {
                _ = try await service.deploy(
                    projectIDs: [project.id], request: DeployRequest(gitBranch: "b\(index)", environment: .production), by: identity)
                if index % 3 == 0, let claimed = try await Fixtures.claimNext(store) { _ = try await variables.snapshot(of: claimed) }
            }
            let few = try await statementsOfListing(size: 2)
            let many = try await statementsOfListing(size: 40)
            #expect(few == many)
            #expect(many <= 5)
        }
    }
}
