import Foundation
import Logging
import SQLKit
import SlipwayCore
import Testing

@testable import SlipwayStore

/// A database the store tests run against: SQLite always, PostgreSQL when `SLIPWAY_TEST_DATABASE_URL` is set.
enum TestDatabase: Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres(url: String)

    /// The URL of a PostgreSQL server the tests may create schemas in, if any.
    static var postgresURL: String? {
        guard let url = ProcessInfo.processInfo.environment["SLIPWAY_TEST_DATABASE_URL"], !url.isEmpty else { return nil }
        return url
    }

    /// Every database available here; each parameterized store test runs once per entry.
    static var all: [TestDatabase] {
        if let url = postgresURL { return [.sqlite, .postgres(url: url)] }
        return [.sqlite]
    }

    var testDescription: String {
        switch self {
        case .sqlite: "SQLite"
        case .postgres: "PostgreSQL"
        }
    }

    /// A fresh, empty place for one test: a new SQLite file in a temporary directory, or a new PostgreSQL schema
    /// (tests run in parallel, so each gets its own `search_path`). Removed again after `body`.
    func withFreshLocation<Result>(_ body: (DatabaseLocation) async throws -> Result) async throws -> Result {
        switch self {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("slipway-store-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            return try await body(.sqlite(path: directory.appendingPathComponent("slipway.sqlite").path))
        case .postgres(let url):
            let schema = "slipway_test_" + UUID().hexDigits
            try await Self.administer(url: url, "CREATE SCHEMA \"\(schema)\"")
            let separator = url.contains("?") ? "&" : "?"
            do {
                let result = try await body(.postgres(url: url + separator + "tlsmode=disable&search_path=" + schema))
                try await Self.administer(url: url, "DROP SCHEMA \"\(schema)\" CASCADE")
                return result
            } catch {
                try? await Self.administer(url: url, "DROP SCHEMA \"\(schema)\" CASCADE")
                throw error
            }
        }
    }

    /// Opens a store on a fresh location, runs `body`, and closes the store.
    func withStore<Result>(_ body: (SQLStore) async throws -> Result) async throws -> Result {
        try await withFreshLocation { location in try await Self.withStore(at: location, body) }
    }

    /// Opens a store at `location`, runs `body`, and closes the store, also when `body` throws.
    static func withStore<Result>(at location: DatabaseLocation, _ body: (SQLStore) async throws -> Result) async throws -> Result {
        try await SQLStore.withStore(location, secrets: Fixtures.secrets, body)
    }

    /// Opens the bare database at `location` (no migrations), runs `body`, and closes it, also when `body` throws.
    static func withDatabase<Result>(at location: DatabaseLocation, _ body: (Database) async throws -> Result) async throws -> Result {
        try await Database.withRunning(location, logger: .init(label: "slipway.store.tests"), body)
    }

    /// Runs one administrative statement (schema names are generated here, never user input).
    private static func administer(url: String, _ statement: String) async throws {
        try await withDatabase(at: .postgres(url: url)) { database in
            try await database.withConnection { session in try await session.run("\(unsafeRaw: statement)") }
        }
    }
}

/// Values the store tests share.
enum Fixtures {
    /// The secret key of every test store (it seals the projects' webhook secrets).
    static let secrets: SecretBox = {
        do {
            return try SecretBox.load(environmentValue: Data(repeating: 7, count: 32).base64EncodedString(), keyFile: "/nonexistent/secret-key")
        } catch {
            fatalError("the test key is 32 bytes: \(error)")
        }
    }()

    /// A timestamp with every microsecond digit set, so that a lost digit shows.
    static let time = Timestamp.date(microseconds: 1_768_658_131_123_457)

    /// `time` moved by some microseconds.
    static func time(plus microseconds: Int64) -> Date {
        Timestamp.date(microseconds: 1_768_658_131_123_457 + microseconds)
    }

    /// Lends a database older than migration 10 the user columns, the sessions table, the token expiry (migration
    /// 12), the memberships (13), the install-wide limits (14) and the build types (18) that today's identity and project
    /// repositories use; `takeBackUserColumns` removes them again, so that the database is as the older Slipway left it.
    static func lendUserColumns(_ database: Database) async throws {
        try await database.withConnection { session in
            try await Migrations.addUsersAndSessions(session)
            try await Migrations.addTokenExpiry(session)
            try await Migrations.addMemberships(session)
            try await Migrations.addInstallLimits(session)
            try await Migrations.addBuildTypes(session)
        }
        try await lendNotificationTables(database)
    }

    /// The tables of migrations 21 and 22, which today's deployment writer queues notifications in.
    static func lendNotificationTables(_ database: Database) async throws {
        try await database.withConnection { session in
            try await Migrations.addNotifications(session)
            try await Migrations.addCommitStatuses(session)
        }
    }

    /// Removes what `lendNotificationTables` added.
    static func takeBackNotificationTables(_ database: Database) async throws {
        try await database.withConnection { session in
            try await session.run("DROP TABLE notification_deliveries")
            try await session.run("DROP TABLE notification_destinations")
        }
    }

    /// Removes what `lendUserColumns` added (the rows written stay, in the older columns).
    static func takeBackUserColumns(_ database: Database) async throws {
        try await takeBackNotificationTables(database)
        try await database.withConnection { session in
            try await session.run("ALTER TABLE projects DROP COLUMN build_type_config")
            try await session.run("ALTER TABLE projects DROP COLUMN build_type")
            try await session.run("DROP TABLE install_limits")
            try await session.run("DROP TABLE sessions")
            try await session.run("DROP TABLE invitations")
            try await session.run("DROP TABLE memberships")
            try await session.run("DROP INDEX workspaces_name_unique")
            try await session.run("ALTER TABLE workspaces DROP COLUMN deleted_at")
            try await session.run("ALTER TABLE api_tokens DROP COLUMN expires_at")
            try await session.run("DROP INDEX users_login_unique")
            for column in ["login", "email", "password_hash", "is_install_admin"] {
                try await session.run("ALTER TABLE users DROP COLUMN \(unsafeRaw: column)")
            }
        }
    }

    /// A first workspace with its admin.
    static func bootstrap(_ store: SQLStore, workspace: String = "default", secret: String? = nil) async throws -> Identity {
        try await store.identities.bootstrap(
            workspaceName: workspace, userName: workspace == "default" ? "admin" : "admin-\(workspace)",
            tokenSecret: secret ?? APIToken.generateSecret()
        )
    }

    /// A static project with a repository and a build command.
    static func newProject(_ name: String, kind: ProjectKind = .static) -> NewProject {
        NewProject(
            name: name, repository: "https://git.example.com/\(name).git", productionBranch: "main", kind: kind,
            rootDir: "site", buildCommand: "make build", outputDir: "public"
        )
    }

    /// A manual deployment of `project` by the identity's user.
    static func newDeployment(
        _ project: Project, by identity: Identity, branch: String? = nil, environment: DeploymentEnvironment = .production,
        commitID: String? = nil
    ) -> NewDeployment {
        NewDeployment(
            workspaceID: project.workspaceID, projectID: project.id, serverID: project.serverID, initiatedBy: identity.user.id,
            environment: environment, trigger: .manual, gitBranch: branch ?? project.productionBranch, commitID: commitID,
            description: "Deployment started from tests", config: project.buildConfig
        )
    }

    /// Creates a deployment through the one admission path (no queue cap), superseding older queued pushes of its
    /// branch when `supersedes`.
    @discardableResult
    static func admit(_ store: SQLStore, _ new: NewDeployment, supersedes: Bool = false, at time: Date = Fixtures.time) async throws -> Deployment {
        let created = try await store.admissions(box: secrets).admit(
            [Admission(new, supersedesOlderPushes: supersedes)], workspaceID: new.workspaceID, queueCap: .max, at: time)
        return created[0]
    }

    /// The worker the tests claim deployments as.
    static let worker = "test-worker"

    /// Claims the next deployment as `worker`, leased for a minute from `time`.
    static func claimNext(_ store: SQLStore, at time: Date = Fixtures.time) async throws -> Deployment? {
        try await store.control.claimNext(at: time, owner: worker, leaseUntil: time.addingTimeInterval(60))
    }

    /// Drives a running deployment through every stage to `success` with `build` as its build.
    static func succeed(_ deployment: inout Deployment, build: UUID, at time: Date) throws {
        for stage in deployment.stages.map(\.name) where stage != .queued {
            try deployment.progress.begin(stage, at: time)
            try deployment.progress.complete(stage, at: time)
        }
        try deployment.progress.succeed(at: time)
        deployment.buildID = build
        deployment.commitID = deployment.commitID ?? String(repeating: "a", count: 40)
    }
}

extension DeploymentControlRepository {
    /// A claim without a workspace limit, for the tests that are not about the fair share.
    func claimNext(at time: Date, owner: String, leaseUntil: Date) async throws -> Deployment? {
        try await claimNext(at: time, owner: owner, leaseUntil: leaseUntil, workspaceWorkers: .max)
    }
}
