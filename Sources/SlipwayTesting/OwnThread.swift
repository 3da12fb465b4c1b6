import Foundation

/// Runs blocking work (raw sockets, a child process waited for) on a thread of its own, never on Swift's
/// cooperative pool: blocking two pool threads on a 2-core machine would starve the in-process server the work
/// talks to.
public func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
    }
}
