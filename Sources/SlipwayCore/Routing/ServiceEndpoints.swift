import Synchronization

/// The addresses (loopback port, and network namespace when sandboxed) of the service processes that run now, by
/// deployment, and the requests the edge has in flight to each. The runtime sets an address once the process is
/// started (again after each restart: a new sandbox is a new namespace) and removes it when the process stops;
/// the edge counts every proxied request from `beginRequest` to `endRequest`, so that a drain can wait until
/// the old process has answered everything it was sent.
public final class ServiceEndpoints: Sendable {
    private struct Entry {
        var address: ServiceAddress?
        var inFlight = 0
        var idleWaiters: [Int: CheckedContinuation<Void, Never>] = [:]
    }

    private struct State {
        var entries: [Int64: Entry] = [:]
        var nextWaiterID = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// The address of the deployment's running process, if it runs.
    public func address(of deploymentID: Int64) -> ServiceAddress? {
        state.withLock { $0.entries[deploymentID]?.address }
    }

    /// The deployment's process listens at `address` from now on.
    public func setAddress(_ address: ServiceAddress, for deploymentID: Int64) {
        state.withLock { $0.entries[deploymentID, default: Entry()].address = address }
    }

    /// The deployment's process listens on `port` of the host's loopback from now on.
    public func setPort(_ port: Int, for deploymentID: Int64) {
        setAddress(ServiceAddress(port: port), for: deploymentID)
    }

    /// The deployment's process no longer runs: requests to it get no address. Requests in flight still end normally.
    public func removePort(of deploymentID: Int64) {
        state.withLock { state in
            state.entries[deploymentID]?.address = nil
            if let entry = state.entries[deploymentID], entry.inFlight == 0, entry.idleWaiters.isEmpty {
                state.entries[deploymentID] = nil
            }
        }
    }

    /// Starts a request to the deployment: the address to send it to, or nil when its process does not run.
    /// A non-nil answer must be followed by exactly one `endRequest` once the response has been sent.
    public func beginRequest(to deploymentID: Int64) -> ServiceAddress? {
        state.withLock { state -> ServiceAddress? in
            // One lookup, and the entry changed in place: this runs for every proxied request.
            guard let index = state.entries.index(forKey: deploymentID), let address = state.entries.values[index].address else { return nil }
            state.entries.values[index].inFlight += 1
            return address
        }
    }

    /// Ends a request that `beginRequest` started.
    public func endRequest(to deploymentID: Int64) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard let index = state.entries.index(forKey: deploymentID) else { return [] }
            state.entries.values[index].inFlight = max(0, state.entries.values[index].inFlight - 1)
            guard state.entries.values[index].inFlight == 0 else { return [] }
            let waiters = Array(state.entries.values[index].idleWaiters.values)
            state.entries.values[index].idleWaiters = [:]
            if state.entries.values[index].address == nil { state.entries.remove(at: index) }
            return waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// How many requests to the deployment are in flight.
    public func inFlight(to deploymentID: Int64) -> Int {
        state.withLock { $0.entries[deploymentID]?.inFlight ?? 0 }
    }

    /// Waits until no request to the deployment is in flight, at most `timeout`. Returns whether it drained.
    public func waitUntilIdle(_ deploymentID: Int64, timeout: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { await self.idle(deploymentID) }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let drained = await group.next() ?? false
            group.cancelAll()
            return drained || self.inFlight(to: deploymentID) == 0
        }
    }

    /// Returns once nothing is in flight to the deployment, or once the task is cancelled (then false).
    private func idle(_ deploymentID: Int64) async -> Bool {
        let waiterID = state.withLock { state -> Int in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    guard let entry = state.entries[deploymentID], entry.inFlight > 0, !Task.isCancelled else { return true }
                    state.entries[deploymentID]?.idleWaiters[waiterID] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.entries[deploymentID]?.idleWaiters.removeValue(forKey: waiterID) }
            waiter?.resume()
        }
        return !Task.isCancelled
    }
}
