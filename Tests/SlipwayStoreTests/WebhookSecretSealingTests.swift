import Foundation
import Logging
import SQLKit
import SlipwayCore
import Testing

@testable import SlipwayStore

/// `projects.webhook_secret` is sealed with the install's key like secret env vars (migration 9), on SQLite and
/// PostgreSQL; the domain only ever sees it in clear.
@Suite struct WebhookSecretSealingTests {
    private static func storedSecret(_ store: SQLStore, projectID: Int64) async throws -> String? {
        try await store.database.withConnection { session in
            try await session.value(String.self, column: "webhook_secret", "SELECT webhook_secret FROM projects WHERE id = \(bind: projectID)")
        }
    }

    private static func storedSecret(_ database: Database, projectID: Int64) async throws -> String? {
        try await database.withConnection { session in
            try await session.value(String.self, column: "webhook_secret", "SELECT webhook_secret FROM projects WHERE id = \(bind: projectID)")
        }
    }

    @Test("A project's webhook secret is stored sealed and reads back in clear", arguments: TestDatabase.all)
    func storedSealed(database: TestDatabase) async throws {
        try await database.withStore { store in
            let identity = try await Fixtures.bootstrap(store)
            var new = Fixtures.newProject("blog")
            new.webhookSecret = "whsec_clear_value_of_the_test_0001"
            let project = try await store.projects.create(new, workspaceID: identity.workspace.id)
            #expect(project.webhookSecret == "whsec_clear_value_of_the_test_0001")

            let stored = try #require(try await Self.storedSecret(store, projectID: project.id))
            #expect(stored != new.webhookSecret)
            #expect(!stored.contains("clear_value"))
            #expect(stored.hasPrefix("v1:"))
            #expect(try await store.projects.project(id: project.id, workspaceID: identity.workspace.id)?.webhookSecret == new.webhookSecret)
            #expect(try await store.gitSources.project(uid: project.uid)?.webhookSecret == new.webhookSecret)

            var changed = project
            changed.webhookSecret = "whsec_another_clear_value_0002"
            #expect(try await store.projects.update(changed).webhookSecret == "whsec_another_clear_value_0002")
            let restored = try #require(try await Self.storedSecret(store, projectID: project.id))
            #expect(restored.hasPrefix("v1:") && !restored.contains("another_clear_value"))
            #expect(try await store.projects.project(name: "blog", workspaceID: identity.workspace.id)?.webhookSecret == changed.webhookSecret)
        }
    }

    @Test("A sealed secret copied into another project's row does not open", arguments: TestDatabase.all)
    func boundToItsProject(database: TestDatabase) async throws {
        try await database.withStore { store in
            let identity = try await Fixtures.bootstrap(store)
            let blog = try await store.projects.create(Fixtures.newProject("blog"), workspaceID: identity.workspace.id)
            let docs = try await store.projects.create(Fixtures.newProject("docs"), workspaceID: identity.workspace.id)
            let sealed = try #require(try await Self.storedSecret(store, projectID: blog.id))
            try await store.database.withConnection { session in
                try await session.run("UPDATE projects SET webhook_secret = \(bind: sealed) WHERE id = \(bind: docs.id)")
            }
            await #expect(throws: SecretKeyError.self) { try await store.projects.project(id: docs.id, workspaceID: identity.workspace.id) }
        }
    }

    @Test("Migration 9 seals the clear webhook secrets an older database holds", arguments: TestDatabase.all)
    func migrationSealsClearSecrets(database: TestDatabase) async throws {
        try await database.withFreshLocation { location in
            let (projectID, clear) = try await Self.databaseAtVersionEight(location, clearSecret: "whsec_written_in_clear_by_v8_0003")
            try await TestDatabase.withStore(at: location) { store in
                let stored = try #require(try await Self.storedSecret(store, projectID: projectID))
                #expect(stored != clear && stored.hasPrefix("v1:") && !stored.contains("written_in_clear"))
                #expect(try await store.projects.project(id: projectID, workspaceID: 1)?.webhookSecret == clear)
            }
        }
    }

    @Test("Without the key, or with another key, migration 9 refuses and leaves the secrets as they were", arguments: TestDatabase.all)
    func migrationNeedsTheRightKey(database: TestDatabase) async throws {
        try await database.withFreshLocation { location in
            let (projectID, clear) = try await Self.databaseAtVersionEight(location, clearSecret: "whsec_written_in_clear_by_v8_0004")
            await #expect(throws: SecretKeyError.self) { try await SQLStore.withStore(location) { _ in } }
            let other = try SecretBox.load(environmentValue: Data(repeating: 9, count: 32).base64EncodedString(), keyFile: "/nonexistent")
            await #expect(throws: SecretKeyError.self) { try await SQLStore.withStore(location, secrets: other) { _ in } }
            let stored = try await TestDatabase.withDatabase(at: location) { opened in try await Self.storedSecret(opened, projectID: projectID) }
            #expect(stored == clear)
        }
    }

    /// A database as Slipway left it before migration 9: schema 8, the key check recorded with the test key, and one
    /// project whose webhook secret is in clear.
    private static func databaseAtVersionEight(_ location: DatabaseLocation, clearSecret: String) async throws -> (Int64, String) {
        try await TestDatabase.withDatabase(at: location) { opened in
            let applied = try await Migrator(migrations: Array(Migrations.all.prefix(8))).migrate(opened, logger: .init(label: "test"))
            #expect(applied == Array(1...8))
            try await SQLEnvironmentVariableRepository(database: opened, box: Fixtures.secrets).verifyKey()
            try await Fixtures.lendUserColumns(opened)
            let identity = try await SQLIdentityRepository(database: opened).bootstrap(
                workspaceName: "default", userName: "admin", tokenSecret: APIToken.generateSecret())
            let project = try await SQLProjectRepository(database: opened, secrets: Fixtures.secrets).create(
                Fixtures.newProject("blog"), workspaceID: identity.workspace.id)
            try await Fixtures.takeBackUserColumns(opened)
            try await opened.withConnection { session in
                try await session.run("UPDATE projects SET webhook_secret = \(bind: clearSecret) WHERE id = \(bind: project.id)")
            }
            return (project.id, clearSecret)
        }
    }
}
