import Foundation

/// Runs `body`, or throws `TestSupportError` once `limit` has passed (the body is cancelled), so that a test waiting
/// for a stream to end fails instead of hanging.
public func withTimeout<T: Sendable>(_ limit: Duration, _ what: String = "the operation", _ body: @escaping @Sendable () async throws -> T)
    async throws -> T
{
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let result = try await group.next(), let value = result else {
            throw TestSupportError("\(what) did not finish within \(limit)")
        }
        return value
    }
}
