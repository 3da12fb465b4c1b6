import Foundation
public import SlipwayCore
public import SlipwaySandbox
import Synchronization

/// Why a running deployment must stop before it ends by itself.
public enum StopRequest: Sendable, Equatable {
    /// Someone canceled (or killed) it: it ends `canceled` with this reason.
    case cancel(reason: String)
    /// Slipway stopped it for cause (its log hit the cap): it ends `failed` with this error.
    case fail(error: String)
    /// This node lost its lease: someone else has ended the deployment already, so nothing is written.
    case abandon
}

/// The control of one running deployment: the handle of the command it runs now, and whether it must stop.
public final class RunControl: Sendable {
    /// The process group the deployment's current command runs in.
    public let process = ProcessHandle()
    private struct State {
        var request: StopRequest?
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// The first stop asked for, if any.
    public var stopRequest: StopRequest? { state.withLock { $0.request } }

    /// Asks it to stop; the first request wins. The process group gets SIGTERM then SIGKILL after `gracePeriod`,
    /// and whoever waits in `waitForStop` wakes up.
    public func requestStop(_ stop: StopRequest, gracePeriod: Duration) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            if state.request == nil { state.request = stop }
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        process.stop(gracePeriod: gracePeriod)
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once a stop is asked for, or when the waiting task is cancelled.
    public func waitForStop() async {
        let id = state.withLock { state -> Int in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.request != nil || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}

/// The deployments this node is running, so that cancel and kill reach their workers.
public final class RunningDeployments: DeploymentStopper {
    private let controls = Mutex<[Int64: RunControl]>([:])
    /// Set by `stopAll`: every deployment that registers afterwards is stopped with it at once.
    private let stopEveryone = Mutex<StopRequest?>(nil)
    /// How long a canceled build may take to exit after SIGTERM before it gets SIGKILL.
    public let gracePeriod: Duration

    public init(gracePeriod: Duration = .seconds(5)) {
        self.gracePeriod = gracePeriod
    }

    /// Registers a deployment that starts running here.
    public func register(_ deploymentID: Int64) -> RunControl {
        let control = RunControl()
        controls.withLock { $0[deploymentID] = control }
        if let stop = stopEveryone.withLock({ $0 }) { control.requestStop(stop, gracePeriod: .zero) }
        return control
    }

    /// Stops every running deployment with `request` (SIGTERM, SIGKILL after the grace period), and every one that
    /// starts from now on: the server is shutting down.
    public func stopAll(_ request: StopRequest) {
        stopEveryone.withLock { $0 = request }
        for control in controls.withLock({ Array($0.values) }) { control.requestStop(request, gracePeriod: gracePeriod) }
    }

    /// Forgets a deployment that has ended.
    public func unregister(_ deploymentID: Int64) {
        controls.withLock { $0[deploymentID] = nil }
    }

    public func stop(deploymentID: Int64, reason: String, immediately: Bool) -> Bool {
        guard let control = controls.withLock({ $0[deploymentID] }) else { return false }
        control.requestStop(.cancel(reason: reason), gracePeriod: immediately ? .zero : gracePeriod)
        return true
    }
}
