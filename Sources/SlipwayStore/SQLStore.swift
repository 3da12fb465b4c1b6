import Foundation
import Logging
import SlipwayCore

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

/// The SQL store: the Core repositories over one SQLite connection or a PostgreSQL connection pool.
public final class SQLStore: Sendable {
    let database: Database
    /// The install's secret key: seals project webhook secrets. Nil for a store opened without it (tests, tools),
    /// which cannot read or write a project's webhook secret.
    let secrets: SecretBox?

    /// Workspaces, users and API tokens.
    public let identities: any IdentityRepository
    /// Projects.
    public let projects: any ProjectRepository
    /// Deployments and builds.
    public let deployments: any DeploymentRepository
    /// The queue and the control of deployments: leased claims, canceling, superseding, deletion and retention.
    public let control: any DeploymentControlRepository
    /// Deployment listings through the query language (filters, orderBy, keyset cursors) and build lookups.
    public let queries: any DeploymentQueryRepository

    private init(database: Database, secrets: SecretBox?) {
        self.database = database
        self.secrets = secrets
        self.identities = SQLIdentityRepository(database: database)
        self.projects = SQLProjectRepository(database: database, secrets: secrets)
        self.deployments = SQLDeploymentRepository(database: database)
        self.control = SQLDeploymentControlRepository(database: database)
        self.queries = SQLDeploymentQueryRepository(database: database)
    }

    /// Connects to the database and applies every migration it has not seen yet. `secrets` is the install's key
    /// (`SecretBox.load`): it seals the webhook secrets of projects, and a database that has secrets sealed with
    /// another key is refused.
    public static func open(
        _ location: DatabaseLocation, secrets: SecretBox? = nil, logger: Logger = Logger(label: "slipway.store")
    ) async throws -> SQLStore {
        let database: Database
        do {
            database = try await Database.open(location, logger: logger)
        } catch {
            throw StoreError.opening(location, error)
        }
        do {
            try await Migrator().migrate(database, secrets: secrets, logger: logger)
        } catch {
            try? await database.close()
            throw StoreError.opening(location, error)
        }
        return SQLStore(database: database, secrets: secrets)
    }

    /// Closes the connection or the pool. Waits for a statement in flight; later calls fail with `StoreError.closed`.
    public func close() async throws {
        try await database.close()
    }
}
