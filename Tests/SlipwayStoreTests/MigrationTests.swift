import Foundation
import Logging
import SQLKit
import SlipwayCore
import Testing

@testable import SlipwayStore

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct MigrationTests {
    private struct VersionRow: Decodable {
        var version: Int64
        var name: String
    }

    private struct ServerRow: Decodable {
        var id: Int64
        var name: String
    }

    @Test(
        "The PostgreSQL variant of the store tests runs against SLIPWAY_TEST_DATABASE_URL",
        .enabled(
            if: TestDatabase.postgresURL != nil,
            "SLIPWAY_TEST_DATABASE_URL is not set: every store test ran on SQLite only, the PostgreSQL variant was skipped"
        )
    )
    func postgresVariantRuns() async throws {
        #expect(TestDatabase.all.count == 2)
        try await TestDatabase.all[1].withStore { store in
            #expect(store.database.dialect == .postgres)
        }
    }

    @Test("Reopening a database applies no migration twice and keeps its data", arguments: TestDatabase.all)
    func reopeningIsIdempotent(database: TestDatabase) async throws {
        try await database.withFreshLocation { location in
            let secret = APIToken.generateSecret()
            let identity = try await TestDatabase.withStore(at: location) { store in
                try await Fixtures.bootstrap(store, secret: secret)
            }
            try await TestDatabase.withStore(at: location) { store in
                let versions = try await store.database.withConnection { session in
                    try await session.all(VersionRow.self, "SELECT version, name FROM schema_migrations ORDER BY version")
                }
                #expect(versions.map(\.version) == Migrations.all.map(\.version))
                #expect(try await store.identities.isEmpty() == false)
                #expect(try await store.identities.authenticate(secret: secret)?.workspace == identity.workspace)
                // A third run of the migrator finds nothing to do.
                #expect(try await Migrator().migrate(store.database, logger: .init(label: "test")) == [])
            }
        }
    }

    @Test("An appended migration is applied on the next open, and only it", arguments: TestDatabase.all)
    func appendedMigrationApplies(database: TestDatabase) async throws {
        try await database.withFreshLocation { location in
            try await TestDatabase.withStore(at: location) { _ in }

            let known = Int64(Migrations.all.count)
            let appended = Migration(version: known + 1, name: "notes") { session in
                try await session.run("CREATE TABLE notes (id \(Migrations.idColumn(session.dialect)), body TEXT NOT NULL)")
            }
            try await TestDatabase.withDatabase(at: location) { opened in
                let applied = try await Migrator(migrations: Migrations.all + [appended]).migrate(opened, logger: .init(label: "test"))
                #expect(applied == [known + 1])
                let noteID = try await opened.withConnection { session in
                    try await session.insertReturningID("INSERT INTO notes (body) VALUES (\(bind: "hello")) RETURNING id")
                }
                #expect(noteID == 1)

                // A binary that does not know the appended migration refuses a database that already has it.
                await #expect(throws: StoreError.schemaTooNew(version: known + 1, known: known)) {
                    try await Migrator(migrations: Migrations.all).migrate(opened, logger: .init(label: "test"))
                }
            }
            // The store itself refuses it too, and closes what it opened.
            await #expect(throws: StoreError.schemaTooNew(version: known + 1, known: known)) {
                try await SQLStore.withStore(location) { _ in }
            }
        }
    }

    @Test("A new database has the server local with id 1", arguments: TestDatabase.all)
    func localServerIsSeeded(database: TestDatabase) async throws {
        try await database.withStore { store in
            let servers = try await store.database.withConnection { session in
                try await session.all(ServerRow.self, "SELECT id, name FROM servers ORDER BY id")
            }
            #expect(servers.map(\.id) == [1])
            #expect(servers.map(\.name) == ["local"])
        }
    }

    @Test("An in-memory SQLite store is migrated and private to its opener")
    func inMemoryStore() async throws {
        try await TestDatabase.withStore(at: .sqliteInMemory) { store in
            #expect(try await store.identities.isEmpty())
            _ = try await Fixtures.bootstrap(store)
            #expect(try await store.identities.isEmpty() == false)
        }
        let secondIsEmpty = try await TestDatabase.withStore(at: .sqliteInMemory) { store in
            try await store.identities.isEmpty()
        }
        #expect(secondIsEmpty)
    }

    @Test("A closed store refuses further work", arguments: TestDatabase.all)
    func closedStoreRefuses(database: TestDatabase) async throws {
        try await database.withFreshLocation { location in
            // The store's run ends when `withStore` returns, and closes the database.
            let store = try await SQLStore.withStore(location) { (store: SQLStore) async throws -> SQLStore in
                #expect(try await store.identities.isEmpty())
                return store
            }
            await #expect(throws: StoreError.closed) { try await store.identities.isEmpty() }
        }
    }

    @Test("A database URL that is not PostgreSQL is refused without echoing it")
    func invalidURL() throws {
        #expect(throws: StoreError.self) {
            _ = try SQLStore(.postgres(url: "mysql://root:hunter2@localhost/slipway"))
        }
        do {
            _ = try SQLStore(.postgres(url: "mysql://root:hunter2@localhost/slipway"))
        } catch {
            #expect(!String(describing: error).contains("hunter2"))
        }
    }

    @Test("A PostgreSQL server that cannot be reached fails the store's preparation with where and why, not a wait")
    func unreachablePostgres() async throws {
        // A loopback port that is bound but not listening: every connection to it is refused.
        let (socket, port) = try ClosedLoopbackPort.make()
        defer { close(socket) }
        let error = await #expect(throws: StoreError.self) {
            try await SQLStore.withStore(.postgres(url: "postgres://slipway:hunter2@127.0.0.1:\(port)/slipway?tlsmode=disable")) { _ in }
        }
        guard case .unavailable(let database, let reason) = error else {
            Issue.record("expected unavailable, got \(String(describing: error))")
            return
        }
        #expect(database == "the PostgreSQL database 'slipway' at 127.0.0.1:\(port) as user slipway")
        #expect(reason == "connection refused")
        #expect(!database.contains("hunter2") && !reason.contains("hunter2"))
    }
}

/// A loopback TCP port bound by this process without listening, so that connecting to it is refused.
enum ClosedLoopbackPort {
    struct Failure: Error { var call: String }

    static func make() throws -> (socket: Int32, port: Int) {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(call: "socket") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else {
            close(fd)
            throw Failure(call: "bind")
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }
}
