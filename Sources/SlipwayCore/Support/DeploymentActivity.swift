public import Foundation
import Synchronization

/// Wakes whoever follows a deployment (a live log stream, a CLI waiting for the end) the moment its log grows
/// or its state changes, instead of letting them poll.
///
/// Each deployment has a generation counter: a follower reads what there is, remembers the generation it saw,
/// and waits for a newer one, so nothing that happens between its read and its wait is missed.
public final class DeploymentActivity: Sendable {
    private struct Waiter {
        var deployment: UUID
        var generation: UInt64
        var continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var generations: [UUID: UInt64] = [:]
        var waiters: [UUID: Waiter] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// The current generation of a deployment's activity.
    public func generation(of deployment: UUID) -> UInt64 {
        state.withLock { $0.generations[deployment, default: 0] }
    }

    /// Something happened to the deployment: its log grew, a stage changed, it ended.
    public func notify(_ deployment: UUID) {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.generations[deployment, default: 0] &+= 1
            let ready = state.waiters.filter { $0.value.deployment == deployment }
            for key in ready.keys { state.waiters[key] = nil }
            return ready.map(\.value.continuation)
        }
        woken.forEach { $0.resume() }
    }

    /// Returns once the deployment's generation is past `generation`, after `timeout`, or on cancellation.
    public func wait(for deployment: UUID, after generation: UInt64, timeout: Duration) async {
        let key = UUID()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withTaskCancellationHandler {
                    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                        let resumeNow = self.state.withLock { state -> Bool in
                            if state.generations[deployment, default: 0] != generation || Task.isCancelled { return true }
                            state.waiters[key] = Waiter(deployment: deployment, generation: generation, continuation: continuation)
                            return false
                        }
                        if resumeNow { continuation.resume() }
                    }
                } onCancel: {
                    self.state.withLock { $0.waiters.removeValue(forKey: key) }?.continuation.resume()
                }
            }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }
}
