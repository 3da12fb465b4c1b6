import Foundation
import Logging
import PostgresKit
import SQLKit
import SQLiteKit
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
        try await database.raw(query).run()
    }

    /// Runs a query and returns its raw rows.
    func rows(_ query: SQLQueryString) async throws -> [any SQLRow] {
        try await database.raw(query).all()
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
    static func columnName(_ property: String) -> String {
        // Property names are ASCII: work on bytes (the Unicode-aware path below cost ~20% of a page of 100 rows).
        if property.utf8.allSatisfy({ $0 < 0x80 }) {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(property.utf8.count + 4)
            var previous: UInt8 = 0
            for byte in property.utf8 {
                let isUpper = (65...90).contains(byte)
                if isUpper, (97...122).contains(previous) || (48...57).contains(previous) { bytes.append(95) }
                bytes.append(isUpper ? byte + 32 : byte)
                previous = byte
            }
            return String(decoding: bytes, as: UTF8.self)
        }
        var column = ""
        var previous: Character?
        for character in property {
            if character.isUppercase, let previous, previous.isLowercase || previous.isNumber { column.append("_") }
            column.append(contentsOf: character.lowercased())
            previous = character
        }
        return column
    }

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

/// A statement that always returns a row returned none: a bug, never user input.
struct MissingRowError: Error, CustomStringConvertible {
    var expected: String
    var description: String { "the database returned no row where \(expected) was expected" }
}

/// The connection layer under every repository: one serialized SQLite connection or a PostgreSQL pool.
///
/// `withConnection` lends one connection to a closure; `transaction` does the same inside BEGIN … COMMIT and
/// rolls back when the closure throws. On SQLite both hold an async lock for their whole length, so a transaction
/// never interleaves with another task's statements; on PostgreSQL each call takes its own pooled connection.
final class Database: Sendable {
    let dialect: DatabaseDialect
    private let backend: Backend
    private let logger: Logger
    private let isClosed = Mutex(false)

    /// How SQL statements are logged: quietly, they can be many.
    private static let queryLogLevel: Logger.Level = .trace

    private enum Backend: Sendable {
        case sqlite(SQLiteConnection, AsyncLock)
        case postgres(PostgresPool)
    }

    private init(dialect: DatabaseDialect, backend: Backend, logger: Logger) {
        self.dialect = dialect
        self.backend = backend
        self.logger = logger
    }

    /// How many PostgreSQL connections each event loop of the pool may open.
    static let postgresConnectionsPerEventLoop = 4

    /// Opens the database at `location`: one SQLite connection, or a PostgreSQL pool.
    static func open(_ location: DatabaseLocation, logger: Logger) async throws -> Database {
        switch location {
        case .sqlite(let path):
            try await openSQLite(storage: .file(path: path), logger: logger)
        case .sqliteInMemory:
            try await openSQLite(storage: .memory, logger: logger)
        case .postgres(let url):
            try await openPostgres(
                configuration: try postgresConfiguration(url: url), maxConnectionsPerEventLoop: postgresConnectionsPerEventLoop,
                logger: logger
            )
        }
    }

    /// The pool configuration for a `postgres://` URL, with its `search_path` parameter applied.
    static func postgresConfiguration(url: String) throws -> SQLPostgresConfiguration {
        guard let components = URLComponents(string: url), let scheme = components.scheme,
            ["postgres", "postgresql", "postgres+tcp", "postgresql+tcp", "postgres+uds", "postgresql+uds"].contains(scheme)
        else {
            throw StoreError.invalidDatabaseURL("expected postgres://user[:password]@host[:port]/database")
        }
        var configuration: SQLPostgresConfiguration
        do {
            configuration = try SQLPostgresConfiguration(url: url)
        } catch {
            // The URL may hold a password: name the rule, never echo the URL.
            throw StoreError.invalidDatabaseURL("expected postgres://user[:password]@host[:port]/database[?tlsmode=disable]")
        }
        if let searchPath = components.queryItems?.last(where: { $0.name == "search_path" })?.value {
            let schemas = searchPath.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            if !schemas.isEmpty { configuration.searchPath = schemas }
        }
        return configuration
    }

    /// Opens one SQLite connection with WAL journaling and foreign keys on.
    static func openSQLite(storage: SQLiteConnection.Storage, logger: Logger) async throws -> Database {
        let connection = try await SQLiteConnection.open(storage: storage, logger: logger)
        let database = Database(dialect: .sqlite, backend: .sqlite(connection, AsyncLock()), logger: logger)
        do {
            try await database.withConnection { session in
                // A file database switches to WAL; an in-memory one answers "memory" and stays so.
                try await session.run("PRAGMA journal_mode = WAL")
                try await session.run("PRAGMA synchronous = NORMAL")
                try await session.run("PRAGMA foreign_keys = ON")
            }
        } catch {
            try? await connection.close()
            throw error
        }
        return database
    }

    /// Makes a PostgreSQL connection pool after one connection of its own succeeded: a server that cannot be reached,
    /// or refuses the user, fails here with its reason instead of in the pool's log. The pool opens connections lazily.
    static func openPostgres(configuration: SQLPostgresConfiguration, maxConnectionsPerEventLoop: Int, logger: Logger) async throws -> Database {
        let probe = try await PostgresConnection.connect(
            on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration.coreConfiguration, id: 0, logger: logger
        ).get()
        try await probe.close()
        let pool = EventLoopGroupConnectionPool(
            source: PostgresConnectionSource(sqlConfiguration: configuration),
            maxConnectionsPerEventLoop: maxConnectionsPerEventLoop,
            logger: logger,
            on: MultiThreadedEventLoopGroup.singleton
        )
        return Database(dialect: .postgres, backend: .postgres(PostgresPool(pool)), logger: logger)
    }

    /// Lends one connection to `body`. Statements run in autocommit mode.
    func withConnection<Result>(_ body: (Session) async throws -> Result) async throws -> Result {
        try checkOpen()
        switch backend {
        case .sqlite(let connection, let lock):
            return try await lock.withLock {
                try checkOpen()
                return try await body(session(connection))
            }
        case .postgres(let pool):
            let connection = try await pool.pool.requestConnection(logger: logger).get()
            defer { pool.pool.releaseConnection(connection, logger: logger) }
            return try await body(session(connection))
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
                    try await session.run("ROLLBACK")
                } catch let rollbackError {
                    logger.debug("Rollback failed", metadata: ["error": "\(String(reflecting: rollbackError))"])
                }
                throw error
            }
        }
    }

    /// Closes the connection or shuts the pool down. Later calls throw `StoreError.closed`.
    func close() async throws {
        let wasClosed = isClosed.withLock { closed in
            defer { closed = true }
            return closed
        }
        guard !wasClosed else { return }
        switch backend {
        case .sqlite(let connection, let lock):
            // Waits for the statement or transaction in flight to finish first.
            try await lock.withLock { try await connection.close() }
        case .postgres(let pool):
            try await pool.pool.shutdownAsync()
        }
    }

    private func checkOpen() throws {
        if isClosed.withLock({ $0 }) { throw StoreError.closed }
    }

    private func session(_ connection: SQLiteConnection) -> Session {
        Session(database: connection.sql(queryLogLevel: Self.queryLogLevel), dialect: .sqlite)
    }

    private func session(_ connection: PostgresConnection) -> Session {
        Session(database: connection.sql(queryLogLevel: Self.queryLogLevel), dialect: .postgres)
    }
}

/// The PostgreSQL connection pool, made `Sendable`.
///
/// `EventLoopGroupConnectionPool` is safe to use from any thread (it locks its own state and hops onto each
/// event loop's pool), but async-kit does not mark it `Sendable`.
private final class PostgresPool: @unchecked Sendable {
    let pool: EventLoopGroupConnectionPool<PostgresConnectionSource>

    init(_ pool: EventLoopGroupConnectionPool<PostgresConnectionSource>) {
        self.pool = pool
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
