import Foundation
import SQLKit
import Synchronization
import Testing

@testable import SlipwayStore

/// Several connections to one SQLite file (a server and a command-line tool, or a test's second store) waiting for
/// each other's write lock.
@Suite("SQLite lock waits and cancelled transactions")
struct SQLiteLockWaitTests {
    @Test("Connections waiting for a file's write lock never stop the one that holds it")
    func waitersDoNotStarveTheHolder() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("slipway-lock-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let location = DatabaseLocation.sqlite(path: directory.appendingPathComponent("slipway.sqlite").path)
        // More waiters than NIO's shared thread pool has threads: on that pool, waiters spinning for the lock took every
        // thread, and the holder's next statement never ran.
        let waiters = ProcessInfo.processInfo.activeProcessorCount + 1

        let rows = try await failingAfter(.seconds(60)) {
            try await TestDatabase.withDatabase(at: location) { holder in
                try await holder.withConnection { session in try await session.run("CREATE TABLE marks (owner TEXT NOT NULL)") }
                return try await withThrowingTaskGroup(of: Void.self) { group in
                    try await holder.transaction { session in
                        try await session.run("INSERT INTO marks (owner) VALUES (\(bind: "holder"))")
                        for index in 0..<waiters {
                            group.addTask {
                                try await TestDatabase.withDatabase(at: location) { waiter in
                                    try await waiter.transaction { session in
                                        try await session.run("INSERT INTO marks (owner) VALUES (\(bind: "waiter \(index)"))")
                                    }
                                }
                            }
                        }
                        // Lets the waiters reach SQLite and wait for the lock this transaction holds.
                        try await Task.sleep(for: .milliseconds(500))
                        try await session.run("INSERT INTO marks (owner) VALUES (\(bind: "holder"))")
                    }
                    try await group.waitForAll()
                    return try await holder.withConnection { session in
                        try await session.all(Mark.self, "SELECT owner FROM marks")
                    }
                }
            }
        }
        #expect(rows.count(where: { $0.owner == "holder" }) == 2)
        #expect(rows.count == 2 + waiters)
    }

    @Test("A transaction whose task is cancelled is rolled back and leaves the connection usable")
    func cancelledTransactionIsRolledBack() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("slipway-cancel-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let location = DatabaseLocation.sqlite(path: directory.appendingPathComponent("slipway.sqlite").path)
        try await TestDatabase.withDatabase(at: location) { database in
            try await database.withConnection { session in try await session.run("CREATE TABLE marks (owner TEXT NOT NULL)") }
            let cancelled = Task {
                try await database.transaction { session in
                    try await session.run("INSERT INTO marks (owner) VALUES (\(bind: "cancelled"))")
                    withUnsafeCurrentTask { $0?.cancel() }
                    // NIO's thread pool does not run a cancelled task's work: this statement throws unrun.
                    try await session.run("INSERT INTO marks (owner) VALUES (\(bind: "never"))")
                }
            }
            await #expect(throws: CancellationError.self) { try await cancelled.value }
            // The next transaction begins on the same connection, and nothing of the cancelled one was kept.
            try await database.transaction { session in
                try await session.run("INSERT INTO marks (owner) VALUES (\(bind: "next"))")
            }
            let owners = try await database.withConnection { session in try await session.all(Mark.self, "SELECT owner FROM marks") }
            #expect(owners.map(\.owner) == ["next"])
        }
    }

    /// Runs `body`, or throws once `limit` has passed, so that a test that would hang fails instead. Not a task group:
    /// a group waits for its children, and a deadlocked child never ends.
    private func failingAfter<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let outcome = Mutex<CheckedContinuation<T, any Error>?>(nil)
        return try await withCheckedThrowingContinuation { continuation in
            outcome.withLock { $0 = continuation }
            let finish: @Sendable (Result<T, any Error>) -> Void = { result in
                outcome.withLock { pending in
                    pending?.resume(with: result)
                    pending = nil
                }
            }
            Task {
                do { finish(.success(try await body())) } catch { finish(.failure(error)) }
            }
            Task {
                try? await Task.sleep(for: limit)
                finish(.failure(DeadlockError(limit: limit)))
            }
        }
    }

    private struct DeadlockError: Error, CustomStringConvertible {
        var limit: Duration
        var description: String { "the transactions did not finish within \(limit)" }
    }

    private struct Mark: Decodable {
        var owner: String
    }
}
