import Foundation
import Logging
import NIOPosix
import PostgresKit
import PostgresNIO
import SQLKit
import SQLiteKit
import ServiceLifecycle
import SlipwayCore
import Synchronization

/// Which SQL database a store talks to. The few statements that differ between the two branch on this.
enum DatabaseDialect: Sendable, Equatable {
    case sqlite
    case postgres
}

/// SQL on one connection for the length of a `Database.withConnection` or `Database.transaction` call.
///
/// The only way the repositories run SQL. Every method here calls sql-kit's async overloads, so no query can be
/// left un-awaited by picking a future-returning overload by accident.
struct Session: Sendable {
    let database: any SQLDatabase
    let dialect: DatabaseDialect
    /// Counts the statements run through this session.
    var counter = StatementCounter()
    /// Told when a statement of this session queued a notification delivery (`NotificationOutbox`).
    var notificationsQueued: WakeUpSignal? = nil

    /// The clause that locks the rows a `SELECT` returns until the transaction ends: PostgreSQL only, since SQLite
    /// runs one writer at a time anyway. With `skipLocked`, rows another transaction holds are passed over.
    func rowLock(skipLocked: Bool) -> SQLQueryString {
        switch dialect {
        case .sqlite: ""
        case .postgres: skipLocked ? "FOR UPDATE SKIP LOCKED" : "FOR UPDATE"
        }
    }

    /// Runs a statement and ignores any rows it returns.
    func run(_ query: SQLQueryString) async throws {
        counter.count()
        try await database.raw(query).run()
    }

    /// Runs a query and returns its raw rows.
    func rows(_ query: SQLQueryString) async throws -> [any SQLRow] {
        counter.count()
        return try await database.raw(query).all()
    }

    /// Runs a query and decodes every row into `Row`, whose property names are the snake_case columns in camelCase.
    func all<Row: Decodable>(_ type: Row.Type, _ query: SQLQueryString) async throws -> [Row] {
        try await rows(query).map { try $0.decode(model: Row.self, with: Self.rowDecoder) }
    }

    /// Decodes `workspaceID` from `workspace_id` and `createdAt` from `created_at`. (sql-kit's own
    /// `.convertFromSnakeCase` looks for `workspace_iD`.)
    private static let rowDecoder = SQLRowDecoder(
        keyDecodingStrategy: .custom { path in SomeCodingKey(stringValue: columnName(path.last?.stringValue ?? "")) }
    )

    /// The snake_case column for a camelCase property: an underscore before each capital that follows a
    /// lower-case letter or digit, then all lower case.
    static func columnName(_ property: String) -> String { FieldNaming.snakeCase.spell(property) }

    /// Runs a query and decodes its first row, if any.
    func first<Row: Decodable>(_ type: Row.Type, _ query: SQLQueryString) async throws -> Row? {
        try await all(type, query).first
    }

    /// Runs a query and decodes one column of its first row, if there is a row.
    func value<Value: Decodable>(_ type: Value.Type, column: String, _ query: SQLQueryString) async throws -> Value? {
        try await rows(query).first?.decode(column: column, as: Value.self)
    }

    /// Runs an `INSERT … RETURNING id` and returns the new id.
    func insertReturningID(_ query: SQLQueryString) async throws -> Int64 {
        guard let id = try await value(Int64.self, column: "id", query) else { throw MissingRowError(expected: "the inserted row's id") }
        return id
    }
}

/// How many SQL statements a store has run: for the operator (what a request costs) and for tests that hold a
/// listing to a constant number of statements.
final class StatementCounter: Sendable {
    private let total = Atomic<Int>(0)

    /// Adds one statement.
    func count() { total.add(1, ordering: .relaxed) }

    /// The statements run so far.
    var value: Int { total.load(ordering: .relaxed) }
}

/// A statement that always returns a row returned none: a bug, never user input.
struct MissingRowError: Error, CustomStringConvertible {
    var expected: String
    var description: String { "the database returned no row where \(expected) was expected" }
}

/// The connection layer under every repository: one serialized SQLite connection or a PostgreSQL client (a pool).
///
/// Making one does no IO: the SQLite file is opened by the first statement, and PostgreSQL's connections are opened
/// by its client once `run()` runs. `run()` is the database's lifetime (it is the store's `Service.run`): statements
/// on PostgreSQL wait until it runs, and it closes the database when it ends.
///
/// `withConnection` lends one connection to a closure; `transaction` does the same inside BEGIN … COMMIT and
/// rolls back when the closure throws. On SQLite both hold an async lock for their whole length, so a transaction
/// never interleaves with another task's statements; on PostgreSQL each call leases its own connection.
final class Database: Sendable {
    let dialect: DatabaseDialect
    /// Every statement run on this database.
    let statements = StatementCounter()
    /// Signalled when a notification delivery is queued: the delivery service waits on it.
    let notificationsQueued = WakeUpSignal()
    private let backend: Backend
    private let logger: Logger
    private let isClosed = Mutex(false)

    /// How SQL statements are logged: quietly, they can be many.
    private static let queryLogLevel: Logger.Level = .trace

    private enum Backend: Sendable {
        case sqlite(SQLiteFile)
        case postgres(PostgresClient, PostgresSettings)
    }

    /// The most connections the PostgreSQL client opens (the pool before it allowed 4 per event loop, 8 here).
    static let postgresMaximumConnections = 8

    /// A database at `location`, not connected yet. Throws only for a URL that is not a PostgreSQL URL.
    init(_ location: DatabaseLocation, logger: Logger) throws {
        self.logger = logger
        switch location {
        case .sqlite(let path):
            dialect = .sqlite
            backend = .sqlite(SQLiteFile(storage: .file(path: path), logger: logger))
        case .sqliteInMemory:
            dialect = .sqlite
            backend = .sqlite(SQLiteFile(storage: .memory, logger: logger))
        case .postgres(let url):
            dialect = .postgres
            let settings = try PostgresSettings(url: url, maximumConnections: Self.postgresMaximumConnections)
            backend = .postgres(PostgresClient(configuration: settings.client, backgroundLogger: logger), settings)
        }
    }

    /// The database's lifetime: PostgreSQL's client runs (opens, keeps alive and closes connections) until the
    /// server shuts down gracefully or the task is cancelled; SQLite needs no run loop and waits for the same. Then
    /// the database closes: later calls throw `StoreError.closed`.
    func run() async {
        switch backend {
        case .sqlite(let file):
            // Returns on graceful shutdown, and throws (ignored) when cancelled instead.
            try? await gracefulShutdown()
            markClosed()
            await file.close()
        case .postgres(let client, _):
            // Ends on graceful shutdown or cancellation, closing every connection.
            await client.run()
            markClosed()
        }
    }

    /// Connects once, to fail early with a readable reason when the database cannot be reached: a PostgreSQL
    /// server that refuses, or an SQLite file that cannot be opened. The store puts the driver's error in words
    /// (`StoreError.opening`).
    func checkConnection() async throws {
        switch backend {
        case .sqlite:
            try await withConnection { _ in }
        case .postgres(_, let settings):
            let connection = try await PostgresConnection.connect(configuration: settings.connection, id: 0, logger: logger)
            try? await connection.close()
        }
    }

    /// Lends one connection to `body`. Statements run in autocommit mode.
    func withConnection<Result>(_ body: (Session) async throws -> Result) async throws -> Result {
        try checkOpen()
        switch backend {
        case .sqlite(let file):
            return try await file.withConnection { connection in
                try checkOpen()
                return try await body(session(connection))
            }
        case .postgres(let client, _):
            return try await client.withConnection { connection in try await body(session(connection)) }
        }
    }

    /// Runs `body` in one transaction on one connection: committed when it returns, rolled back when it throws.
    func transaction<Result>(_ body: (Session) async throws -> Result) async throws -> Result {
        // IMMEDIATE takes SQLite's write lock at once, so a transaction that reads and then writes cannot fail to
        // upgrade its lock if another process shares the file.
        let begin: SQLQueryString = dialect == .sqlite ? "BEGIN IMMEDIATE" : "BEGIN"
        return try await withConnection { session in
            try await session.run(begin)
            do {
                let result = try await body(session)
                try await session.run("COMMIT")
                return result
            } catch {
                do {
                    // Not cancellable: NIO's thread pool does not run the work of a cancelled task (sqlite-nio's
                    // statements throw CancellationError unrun), and a ROLLBACK that never ran would leave the
                    // connection inside this transaction, every later BEGIN on it refused.
                    try await Task { try await session.run("ROLLBACK") }.value
                } catch let rollbackError {
                    logger.debug("Rollback failed", metadata: ["error": "\(String(reflecting: rollbackError))"])
                }
                throw error
            }
        }
    }

    private func markClosed() {
        isClosed.withLock { $0 = true }
    }

    private func checkOpen() throws {
        if isClosed.withLock({ $0 }) { throw StoreError.closed }
    }

    private func session(_ connection: SQLiteConnection) -> Session {
        Session(
            database: connection.sql(queryLogLevel: Self.queryLogLevel), dialect: .sqlite, counter: statements,
            notificationsQueued: notificationsQueued)
    }

    private func session(_ connection: PostgresConnection) -> Session {
        Session(
            database: connection.sql(queryLogLevel: Self.queryLogLevel), dialect: .postgres, counter: statements,
            notificationsQueued: notificationsQueued)
    }
}

extension Database {
    /// Runs `body` with the database at `location` running, then closes it, also when `body` throws: for tests and
    /// tools. Structured: the database's `run()` is a child task for the length of `body`.
    static func withRunning<Result>(
        _ location: DatabaseLocation, logger: Logger, _ body: (Database) async throws -> Result
    ) async throws -> Result {
        let database = try Database(location, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self, returning: Result.self) { group in
            group.addTask { await database.run() }
            // Thrown or returned, the child is cancelled and awaited before the group returns: the database is closed.
            defer { group.cancelAll() }
            return try await body(database)
        }
    }
}

/// One SQLite connection, opened by the first statement and used by one caller at a time.
///
/// A file's connection runs its calls on a thread of its own, not on NIO's shared pool, and waits for another
/// connection's lock by sleeping (`busy_timeout`). sqlite-nio installs a busy handler that retries at once, forever:
/// with the shared pool (two threads here), two connections to the same file spinning for a lock could hold both
/// threads while the connection that holds the lock waited for one to run its next statement, and every store in
/// the process would stop answering.
private final class SQLiteFile: Sendable {
    /// How long a statement waits for another connection's lock before it fails with "database is locked".
    static let busyTimeoutMilliseconds = 10_000

    private enum State {
        case notOpened
        case open(SQLiteConnection, NIOThreadPool?)
        case closed
    }

    private let storage: SQLiteConnection.Storage
    private let logger: Logger
    private let lock = AsyncLock()
    /// Read and written only while `lock` is held.
    private let state = Mutex(State.notOpened)

    init(storage: SQLiteConnection.Storage, logger: Logger) {
        self.storage = storage
        self.logger = logger
    }

    /// Lends the connection to `body` while holding the lock; opens it first if no statement ran before.
    func withConnection<Result>(_ body: (SQLiteConnection) async throws -> Result) async throws -> Result {
        try await lock.withLock {
            try await body(try await openedConnection())
        }
    }

    /// Waits for the statement or transaction in flight, then closes the connection. Not affected by cancellation:
    /// the lock's wait and the close's future ignore it, so a cancelled shutdown still closes the file.
    func close() async {
        await lock.withLock {
            let previous = state.withLock { state -> State in
                defer { state = .closed }
                return state
            }
            guard case .open(let connection, let threadPool) = previous else { return }
            do {
                try await connection.close().get()
            } catch {
                logger.warning("closing the SQLite database: \(error)")
            }
            try? await threadPool?.shutdownGracefully()
        }
    }

    /// The open connection; opened with WAL journaling and foreign keys on at the first call. Only under `lock`.
    private func openedConnection() async throws -> SQLiteConnection {
        switch state.withLock({ $0 }) {
        case .open(let connection, _): return connection
        case .closed: throw StoreError.closed
        case .notOpened: break
        }
        // An in-memory database is private to its connection and never waits for another: the shared pool will do.
        var threadPool: NIOThreadPool?
        if case .file = storage {
            let ownThread = NIOThreadPool(numberOfThreads: 1)
            ownThread.start()
            threadPool = ownThread
        }
        let connection: SQLiteConnection
        do {
            connection = try await SQLiteConnection.open(
                storage: storage, threadPool: threadPool ?? .singleton, logger: logger, on: MultiThreadedEventLoopGroup.singleton.any())
        } catch {
            try? await threadPool?.shutdownGracefully()
            throw error
        }
        do {
            let database = connection.sql(queryLogLevel: .trace)
            // Replaces sqlite-nio's busy handler (retry at once, forever) with SQLite's own, which sleeps and gives up.
            try await database.raw("PRAGMA busy_timeout = \(unsafeRaw: String(Self.busyTimeoutMilliseconds))").run()
            // A file database switches to WAL; an in-memory one answers "memory" and stays so.
            try await database.raw("PRAGMA journal_mode = WAL").run()
            try await database.raw("PRAGMA synchronous = NORMAL").run()
            try await database.raw("PRAGMA foreign_keys = ON").run()
        } catch {
            try? await connection.close().get()
            try? await threadPool?.shutdownGracefully()
            throw error
        }
        state.withLock { $0 = .open(connection, threadPool) }
        return connection
    }
}

/// How the PostgreSQL client and the start-up check connect, from a `postgres://` URL.
struct PostgresSettings: Sendable {
    /// The pool's configuration.
    var client: PostgresClient.Configuration
    /// One connection's configuration, for the check before the pool's first use.
    var connection: PostgresConnection.Configuration
    /// Host and port (or socket path), for messages: never the URL, which may hold a password.
    var endpoint: String

    /// Understands `tlsmode` (`disable`, `prefer`, `require`; postgres-kit's rules and aliases) and `search_path`
    /// (comma-separated schemas, set on every connection as it starts).
    init(url: String, maximumConnections: Int) throws {
        guard let components = URLComponents(string: url), let scheme = components.scheme,
            ["postgres", "postgresql", "postgres+tcp", "postgresql+tcp", "postgres+uds", "postgresql+uds"].contains(scheme)
        else {
            throw StoreError.invalidDatabaseURL("expected postgres://user[:password]@host[:port]/database")
        }
        var connection: PostgresConnection.Configuration
        do {
            connection = try SQLPostgresConfiguration(url: url).coreConfiguration
        } catch {
            // The URL may hold a password: name the rule, never echo the URL.
            throw StoreError.invalidDatabaseURL("expected postgres://user[:password]@host[:port]/database[?tlsmode=disable]")
        }
        if let searchPath = components.queryItems?.last(where: { $0.name == "search_path" })?.value {
            let schemas = searchPath.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            // A list value at connection start, each schema a quoted identifier (as `SET search_path TO "a","b"`).
            let quoted = schemas.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }.joined(separator: ",")
            if !schemas.isEmpty { connection.options.additionalStartupParameters.append(("search_path", quoted)) }
        }
        let tls: PostgresClient.Configuration.TLS =
            connection.tls.isEnforced
            ? .require(.makeClientConfiguration()) : connection.tls.isAllowed ? .prefer(.makeClientConfiguration()) : .disable
        var client: PostgresClient.Configuration
        if let socket = connection.unixSocketPath {
            client = .init(unixSocketPath: socket, username: connection.username, password: connection.password, database: connection.database)
            endpoint = socket
        } else {
            let host = connection.host ?? "localhost"
            let port = connection.port ?? SQLPostgresConfiguration.ianaPortNumber
            client = .init(
                host: host, port: port, username: connection.username, password: connection.password, database: connection.database, tls: tls)
            endpoint = "\(host):\(port)"
        }
        client.options.additionalStartupParameters = connection.options.additionalStartupParameters
        client.options.maximumConnections = maximumConnections
        self.client = client
        self.connection = connection
    }
}

/// A mutual-exclusion lock for async code: one holder at a time, waiters served first come, first served.
///
/// Waiting suspends the task instead of blocking a thread. Not reentrant: a holder that asks again waits forever.
final class AsyncLock: Sendable {
    private struct State {
        var isLocked = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    /// Runs `body` while holding the lock.
    func withLock<Result>(_ body: () async throws -> Result) async rethrows -> Result {
        await lock()
        defer { unlock() }
        return try await body()
    }

    private func lock() async {
        let acquired = state.withLock { state in
            if state.isLocked { return false }
            state.isLocked = true
            return true
        }
        if acquired { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let acquiredMeanwhile = state.withLock { state in
                if !state.isLocked {
                    state.isLocked = true
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if acquiredMeanwhile { continuation.resume() }
        }
    }

    /// Hands the lock to the first waiter (it stays locked), or unlocks it when nobody waits.
    private func unlock() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiters.isEmpty {
                state.isLocked = false
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}
