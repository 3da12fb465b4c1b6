import Synchronization

/// Something that happens once — a process's supervision ended, the start-up work is done — that any number of
/// tasks can wait for, without polling.
public final class OneTimeEvent: Sendable {
    private struct State {
        var happened = false
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// Whether it has happened.
    public var hasHappened: Bool { state.withLock { $0.happened } }

    /// Marks it as happened and wakes every waiter; later calls do nothing.
    public func signal() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.happened = true
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns true once it has happened, or false when the waiting task is cancelled first.
    @discardableResult
    public func wait() async -> Bool {
        let id = state.withLock { state -> Int in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.happened || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
        return hasHappened
    }

    /// Returns true once it has happened, or false when `timeout` passes (or the task is cancelled) first.
    @discardableResult
    public func wait(timeout: Duration) async -> Bool {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.wait() }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
        return hasHappened
    }
}
