import Foundation
import Logging
import SQLKit
import SlipwayCore
import Testing

@testable import SlipwayStore

@Suite struct BuildTypeStoreTests {
    static let dockerfile = BuildTypeConfig(
        type: .dockerfile, dockerfilePath: "docker/Dockerfile", dockerContext: "docker", buildArgs: ["NODE_ENV", "API_URL"])
    static let compose = BuildTypeConfig(type: .compose, composePath: "deploy/compose.yaml", exposeService: "web", exposePort: 8080)

    @Test("A project's build type and its settings read back as created and as updated", arguments: TestDatabase.all)
    func roundTrip(database: TestDatabase) async throws {
        try await database.withStore { store in
            let identity = try await Fixtures.bootstrap(store)
            var new = Fixtures.newProject("api", kind: .service)
            new.build = Self.dockerfile
            let created = try await store.projects.create(new, workspaceID: identity.workspace.id)
            #expect(created.build == Self.dockerfile)
            #expect(try await store.projects.project(id: created.id, workspaceID: identity.workspace.id)?.build == Self.dockerfile)

            var changed = created
            changed.build = Self.compose
            #expect(try await store.projects.update(changed).build == Self.compose)
            #expect(try await store.projects.project(name: "api", workspaceID: identity.workspace.id)?.build == Self.compose)
            // The type is a column of its own, as listings by type need it.
            let type = try await store.database.withConnection { session in
                try await session.value(String.self, column: "build_type", "SELECT build_type FROM projects WHERE id = \(bind: created.id)")
            }
            #expect(type == "compose")

            // A project made without a build type builds with a command.
            let plain = try await store.projects.create(Fixtures.newProject("site"), workspaceID: identity.workspace.id)
            #expect(try await store.projects.project(id: plain.id, workspaceID: identity.workspace.id)?.build == BuildTypeConfig())
        }
    }

    @Test("A deployment snapshots the build type; a promote runs with its target's, not the project's current one", arguments: TestDatabase.all)
    func deploymentSnapshot(database: TestDatabase) async throws {
        try await database.withStore { store in
            let identity = try await Fixtures.bootstrap(store)
            var new = Fixtures.newProject("api", kind: .service)
            new.build = Self.dockerfile
            var project = try await store.projects.create(new, workspaceID: identity.workspace.id)
            let service = DeploymentServiceTests.service(store)

            _ = try await service.deploy(projectIDs: [project.id], request: DeployRequest(gitBranch: "feature"), by: identity)
            var preview = try #require(try await Fixtures.claimNext(store))
            #expect(preview.config.build == Self.dockerfile)
            #expect(try await store.deployments.deployment(id: preview.id)?.config.build == Self.dockerfile)
            let build = UUID()
            try await store.deployments.createBuild(
                Build(id: build, workspaceID: project.workspaceID, projectID: project.id, commitID: nil, createdAt: Fixtures.time))
            try Fixtures.succeed(&preview, build: build, at: Fixtures.time)
            try await store.deployments.saveLive(preview, makeProduction: false)

            // The project moves back to command builds; what was built with a Dockerfile is promoted as it was built.
            project.build.type = .command
            project = try await store.projects.update(project)
            let promote = try await service.promote(preview.id, by: identity)
            #expect(promote.config.build == Self.dockerfile)
            #expect(try await store.deployments.deployment(id: promote.id)?.config.build == Self.dockerfile)
            // A new deployment takes the project's current type.
            let next = try await service.deploy(projectIDs: [project.id], request: DeployRequest(), by: identity)
            #expect(try await store.deployments.deployment(id: next[0].id)?.config.build.type == .command)
        }
    }

    @Test("Projects and deployments from before build types build with a command after the migration", arguments: TestDatabase.all)
    func existingRowsBuildWithACommand(database: TestDatabase) async throws {
        try await database.withFreshLocation { location in
            let before = Array(Migrations.all.prefix { $0.name != "project build types" })
            #expect(before.count < Migrations.all.count)
            let (projectID, deploymentID, workspaceID) = try await TestDatabase.withDatabase(at: location) { opened in
                _ = try await Migrator(migrations: before).migrate(opened, logger: .init(label: "test"))
                try await SQLEnvironmentVariableRepository(database: opened, box: Fixtures.secrets).verifyKey()
                // Today's repositories write the new columns: lend them, write, and take them back.
                try await opened.withConnection { session in try await Migrations.addBuildTypes(session) }
                try await Fixtures.lendNotificationTables(opened)
                let identity = try await SQLIdentityRepository(database: opened).bootstrap(
                    workspaceName: "default", userName: "admin", tokenSecret: APIToken.generateSecret())
                let project = try await SQLProjectRepository(database: opened, secrets: Fixtures.secrets).create(
                    Fixtures.newProject("blog"), workspaceID: identity.workspace.id)
                let deployment = try await SQLDeploymentRepository(database: opened).create(Fixtures.newDeployment(project, by: identity))
                try await opened.withConnection { session in
                    try await session.run("ALTER TABLE projects DROP COLUMN build_type_config")
                    try await session.run("ALTER TABLE projects DROP COLUMN build_type")
                    try await session.run("DROP TABLE notification_deliveries")
                    try await session.run("DROP TABLE notification_destinations")
                    // The snapshot as an older Slipway wrote it: no `build` key.
                    let old = #"{"kind":"static","root_dir":"site","build_command":"make build","output_dir":"public","service":{}}"#
                    try await session.run("UPDATE deployments SET config = \(bind: old) WHERE id = \(bind: deployment.id)")
                }
                return (project.id, deployment.id, identity.workspace.id)
            }
            try await TestDatabase.withStore(at: location) { store in
                let project = try #require(try await store.projects.project(id: projectID, workspaceID: workspaceID))
                #expect(project.build == BuildTypeConfig())
                #expect(project.buildCommand == "make build")
                let deployment = try #require(try await store.deployments.deployment(id: deploymentID))
                #expect(deployment.config.build.type == .command)
                #expect(deployment.config.buildCommand == "make build")
            }
        }
    }
}
