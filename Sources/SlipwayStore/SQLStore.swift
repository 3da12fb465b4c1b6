import Foundation
public import Logging
public import ServiceLifecycle
public import SlipwayCore

/// Where the database is.
public enum DatabaseLocation: Sendable, Equatable {
    /// An SQLite file, created when missing (the single-node default: `<data-dir>/slipway.sqlite`).
    case sqlite(path: String)
    /// A private SQLite database in memory, gone when the store closes: for tests.
    case sqliteInMemory
    /// A PostgreSQL server: `postgres://user:password@host:port/database`. Two query parameters are understood:
    /// `tlsmode` (`disable`, `prefer`, `require`) and `search_path` (comma-separated schemas).
    case postgres(url: String)
}

/// The SQL store: the Core repositories over one SQLite connection or a PostgreSQL client.
///
/// A `Service`: its `run()` is the database's lifetime (PostgreSQL's client runs its connections in it; both close
/// when it ends), so it goes first in a ServiceGroup and is stopped last. Making a store does no IO; `prepare()`
/// connects and migrates, once `run()` runs. `withStore` does all of it around a closure, for tests and tools.
public final class SQLStore: Sendable, Service {
    let database: Database
    /// The install's secret key: seals project webhook secrets. Nil for a store opened without it (tests, tools),
    /// which cannot read or write a project's webhook secret.
    let secrets: SecretBox?
    private let logger: Logger
    /// Where the database is: named (never with its password) when it cannot be opened.
    private let location: DatabaseLocation

    /// Workspaces, users and API tokens.
    public let identities: any IdentityRepository
    /// Workspaces, memberships and invitations.
    public let tenancy: any TenancyRepository
    /// The install-wide limits.
    public let installLimits: any InstallLimitsRepository
    /// Projects.
    public let projects: any ProjectRepository
    /// Deployments and builds.
    public let deployments: any DeploymentRepository
    /// The queue and the control of deployments: leased claims, canceling, superseding, deletion and retention.
    public let control: any DeploymentControlRepository
    /// Custom domains of projects, with their certificates' state.
    public let domains: any DomainRepository
    /// Deployment listings through the query language (filters, orderBy, keyset cursors) and build lookups.
    public let queries: any DeploymentQueryRepository
    /// The audit trail: who changed what, when, from where, and the result.
    public let audit: any AuditRepository

    /// A store for the database at `location`, not connected yet. `secrets` is the install's key (`SecretBox.load`):
    /// it seals the webhook secrets of projects. Throws only for a database URL that is not a PostgreSQL URL.
    public init(_ location: DatabaseLocation, secrets: SecretBox? = nil, logger: Logger = Logger(label: "slipway.store")) throws {
        let database = try Database(location, logger: logger)
        self.database = database
        self.secrets = secrets
        self.logger = logger
        self.location = location
        self.identities = SQLIdentityRepository(database: database)
        self.tenancy = SQLTenancyRepository(database: database)
        self.installLimits = SQLInstallLimitsRepository(database: database)
        self.projects = SQLProjectRepository(database: database, secrets: secrets)
        self.deployments = SQLDeploymentRepository(database: database)
        self.control = SQLDeploymentControlRepository(database: database)
        self.queries = SQLDeploymentQueryRepository(database: database)
        self.domains = SQLDomainRepository(database: database)
        self.audit = SQLAuditRepository(database: database)
    }

    /// The database's lifetime: until the server shuts down gracefully (or the task is cancelled); then the
    /// database closes and later calls fail with `StoreError.closed`.
    public func run() async {
        await database.run()
    }

    /// How many SQL statements this store has run since it opened.
    public var statementsRun: Int { database.statements.value }

    /// Connects (failing with `StoreError.unavailable`, which names the database and says why, when it cannot be
    /// opened) and applies every migration the database has not seen yet. A database that has secrets sealed with
    /// another key than `secrets` is refused. Needs `run()` running.
    public func prepare() async throws {
        do {
            try await database.checkConnection()
            try await Migrator().migrate(database, secrets: secrets, logger: logger)
        } catch {
            throw StoreError.opening(location, error)
        }
    }

    /// Runs `body` with a prepared store at `location`, then closes the store, also when `body` throws. Structured:
    /// the store's `run()` is a child task for the length of the call.
    public static func withStore<Result>(
        _ location: DatabaseLocation, secrets: SecretBox? = nil, logger: Logger = Logger(label: "slipway.store"),
        _ body: (SQLStore) async throws -> Result
    ) async throws -> Result {
        let store = try SQLStore(location, secrets: secrets, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self, returning: Result.self) { group in
            group.addTask { await store.run() }
            // Thrown or returned, the child is cancelled and awaited before the group returns: the store is closed.
            defer { group.cancelAll() }
            try await store.prepare()
            return try await body(store)
        }
    }
}
