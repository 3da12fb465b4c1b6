import Synchronization

/// How many webhook bodies that nobody has verified yet may be in memory at once. A webhook's signature covers
/// its whole body, so the body is read before it can be checked; without a bound, a flood of large unsigned
/// bodies holds them all at once (40 of 25 MB took the server from 288 MB to 1.13 GB). A delivery whose
/// `Content-Length` is at most `smallBody` bytes needs no slot (a push of a few commits is a few KB); any other
/// waits up to `wait` for one of `slots`, and is answered 503 with `Retry-After` if none frees up
/// (docs/security-connections.md).
public final class WebhookBodyGate: Sendable {
    /// The number of slots and how long a delivery waits for one.
    public struct Configuration: Sendable {
        /// How many unverified bodies larger than `smallBody` may be read at once.
        public var slots: Int
        /// How long a delivery waits for a slot before it is answered 503.
        public var wait: Duration
        /// The largest `Content-Length` read without a slot.
        public var smallBody: Int

        /// The defaults: 4 slots (4 × GitHub's 25 MB cap = 100 MB at most), 10 s of waiting (GitHub gives a
        /// delivery 10 s), bodies of up to 64 KiB read without a slot.
        public init(slots: Int = 4, wait: Duration = .seconds(10), smallBody: Int = 64 << 10) {
            self.slots = slots
            self.wait = wait
            self.smallBody = smallBody
        }
    }

    /// A slot held while one body is read and checked; `release()` gives it back (once).
    public struct Slot: Sendable {
        fileprivate let gate: WebhookBodyGate?

        /// Gives the slot back; the longest-waiting delivery gets it.
        public func release() { gate?.release() }
    }

    private struct State {
        var available: Int
        var waiters: [(id: Int, continuation: CheckedContinuation<Bool, Never>)] = []
        var cancelled: Set<Int> = []
        var nextID = 0
    }

    public let configuration: Configuration
    private let state: Mutex<State>

    /// A gate with `configuration`'s slots.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        self.state = Mutex(State(available: max(1, configuration.slots)))
    }

    /// How many slots are free now.
    public var availableSlots: Int { state.withLock { $0.available } }

    /// A slot for a body of `contentLength` bytes (nil: not said, chunked): at once for a small body (a slot that
    /// holds nothing), else the next free one within `configuration.wait`; nil when none freed up in time.
    public func slot(forContentLength contentLength: Int?) async -> Slot? {
        if let contentLength, contentLength <= configuration.smallBody { return Slot(gate: nil) }
        if state.withLock({ state in
            guard state.available > 0 else { return false }
            state.available -= 1
            return true
        }) {
            return Slot(gate: self)
        }
        let wait = configuration.wait
        let granted = await withTaskGroup(of: Bool?.self) { group in
            group.addTask { await self.waitForSlot() }
            group.addTask {
                try? await Task.sleep(for: wait)
                return nil
            }
            // The first to end cancels the other; a slot that came as the wait ran out is still taken.
            var granted = false
            for await result in group {
                if result == true { granted = true }
                group.cancelAll()
            }
            return granted
        }
        return granted ? Slot(gate: self) : nil
    }

    private func release() {
        let next = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard !state.waiters.isEmpty else {
                state.available += 1
                return nil
            }
            return state.waiters.removeFirst().continuation
        }
        next?.resume(returning: true)
    }

    /// Waits for a slot in line; false when the task is cancelled first.
    private func waitForSlot() async -> Bool {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let answer = state.withLock { state -> Bool? in
                    if state.cancelled.remove(id) != nil { return false }
                    if state.available > 0 {
                        state.available -= 1
                        return true
                    }
                    state.waiters.append((id, continuation))
                    return nil
                }
                if let answer { continuation.resume(returning: answer) }
            }
        } onCancel: {
            let waiting = state.withLock { state -> CheckedContinuation<Bool, Never>? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else {
                    // Not in line yet: it sees this when it gets there.
                    state.cancelled.insert(id)
                    return nil
                }
                return state.waiters.remove(at: index).continuation
            }
            waiting?.resume(returning: false)
        }
    }
}
