import Synchronization

/// Work handed to a long-lived service from outside it, that the service's own `run()` takes and runs as its child
/// tasks: structured, so that nothing of it outlives the service.
///
/// `add` never blocks. Once the queue is closed (the service stops), `add` refuses: every element it accepted
/// before is handed out by `drain`, none after.
public final class WorkQueue<Element: Sendable>: Sendable {
    private struct State {
        var elements: [Element] = []
        var isClosed = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    public init() {}

    /// Queues `element` for `drain`; false when the queue is closed (nothing will take it).
    @discardableResult
    public func add(_ element: Element) -> Bool {
        let (accepted, waiter) = state.withLock { state -> (Bool, CheckedContinuation<Void, Never>?) in
            guard !state.isClosed else { return (false, nil) }
            state.elements.append(element)
            defer { state.waiter = nil }
            return (true, state.waiter)
        }
        waiter?.resume()
        return accepted
    }

    /// Refuses further elements and ends `drain` once it has handed out the ones accepted before.
    public func close() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.isClosed = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Hands every element to `body` as it is added, until the queue is closed (or the task is cancelled, which
    /// closes it); returns after handing out the last element accepted. One drainer at a time.
    public func drain(_ body: (Element) -> Void) async {
        while true {
            let (elements, isClosed) = state.withLock { state -> ([Element], Bool) in
                defer { state.elements.removeAll() }
                return (state.elements, state.isClosed)
            }
            for element in elements { body(element) }
            if isClosed { return }
            if Task.isCancelled {
                close()
                continue
            }
            await waitForWork()
        }
    }

    private func waitForWork() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if !state.elements.isEmpty || state.isClosed || Task.isCancelled { return true }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
    }
}
