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
    }

    private let state = Mutex(State())
    /// Wakes `drain` when an element comes or the queue closes.
    private let wakeUp = WakeUpSignal()

    public init() {}

    /// Queues `element` for `drain`; false when the queue is closed (nothing will take it).
    @discardableResult
    public func add(_ element: Element) -> Bool {
        let accepted = state.withLock { state -> Bool in
            guard !state.isClosed else { return false }
            state.elements.append(element)
            return true
        }
        if accepted { wakeUp.signal() }
        return accepted
    }

    /// Refuses further elements and ends `drain` once it has handed out the ones accepted before.
    public func close() {
        state.withLock { $0.isClosed = true }
        wakeUp.signal()
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
            await wakeUp.wait()
        }
    }
}
