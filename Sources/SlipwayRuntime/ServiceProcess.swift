import Foundation
public import SlipwayCore
import SlipwaySandbox
import Synchronization

/// Where a live service's output goes: the deployment's log, opened by the composition root (lines marked runtime).
public struct RuntimeLog: Sendable {
    public var append: @Sendable (LogLine) -> Void
    public var close: @Sendable () -> Void

    public init(append: @escaping @Sendable (LogLine) -> Void, close: @escaping @Sendable () -> Void) {
        self.append = append
        self.close = close
    }
}

/// What a service runs: a sandboxed process in its build directory, or a container of its image.
enum ServiceProgram: Sendable {
    /// `spec` under `sandbox` (each start is a new sandbox, with a new network namespace), in `cgroup` when the machine
    /// offers cgroups (limits, whole-tree kill).
    case process(spec: SandboxSpec, sandbox: Sandbox, cgroup: BuildCgroup?)
    /// A container started from `spec` (each start is a new container, with a new network namespace), removed when it
    /// ends.
    case container(spec: ContainerRunSpec, client: ContainerClient)
    /// A compose app's set: a pod and its containers, all started again together (docs/containers.md "Compose apps").
    case compose(ComposeProgram, client: ContainerClient)
}

/// The process of one service deployment on its port. Before it is live, an exit ends it (the deploy fails);
/// once live, an exit is a crash: it is started again after a `RestartBackoff` pause, on the same port.
///
/// `supervise()` is that loop; it runs as a child task of the supervisor's `run()` (never a task of its own), and
/// `stop()` ends it and waits until it has.
final class ServiceProcess: Sendable {
    let launch: ServiceLaunch
    let port: Int
    /// What runs.
    let program: ServiceProgram
    /// Told the process's address at every start, before the process can listen.
    let onAddress: @Sendable (ServiceAddress, _ deploymentID: Int64) -> Void
    let startedAt: Date
    let gracePeriod: Duration
    /// The cgroup the process runs in (limits, whole-tree kill), when the machine offers cgroups.
    var cgroup: BuildCgroup? {
        if case .process(_, _, let cgroup) = program { return cgroup }
        return nil
    }
    /// Runs for every restart after a crash.
    let onRestart: @Sendable (ServiceRestart) async -> Void
    /// Runs when it exits while it is a standby: it is dropped, not restarted.
    let onStandbyEnded: @Sendable (ServiceProcess) -> Void

    private struct State {
        var deployOutput: (@Sendable (LogLine) -> Void)?
        var runtimeLog: RuntimeLog?
        var isLive = false
        var phase: ServiceState = .starting
        /// How the process ended before it was live: the deploy fails with this.
        var endedBeforeLive: String?
        var restarts = 0
        var stopping = false
        /// Where the current run of the process listens.
        var address: ServiceAddress?
        /// The host pid of the current container's main process.
        var containerProcessID: Int32?
        /// The deployment it serves: the one that started it, or a rollback that took it over as a warm standby.
        var servingDeploymentID: Int64
        /// Out of the route, kept for a rollback until its window ends; not restarted when it exits.
        var isStandby = false
        /// Stops it when its standby window ends.
        var standbyExpiry: Task<Void, Never>?
    }

    private let state: Mutex<State>
    private let handle = ProcessHandle()
    /// `stop()` was called: ends the pause before a restart at once.
    private let stopRequested = OneTimeEvent()
    /// `supervise()` has returned (or will never run).
    private let supervisionEnded = OneTimeEvent()

    init(
        launch: ServiceLaunch, port: Int, program: ServiceProgram, gracePeriod: Duration,
        deployOutput: @escaping @Sendable (LogLine) -> Void, onAddress: @escaping @Sendable (ServiceAddress, Int64) -> Void,
        onRestart: @escaping @Sendable (ServiceRestart) async -> Void,
        onStandbyEnded: @escaping @Sendable (ServiceProcess) -> Void = { _ in }
    ) {
        self.onStandbyEnded = onStandbyEnded
        self.onRestart = onRestart
        self.launch = launch
        self.port = port
        self.program = program
        self.onAddress = onAddress
        self.startedAt = Date()
        self.gracePeriod = gracePeriod
        self.state = Mutex(State(deployOutput: deployOutput, servingDeploymentID: launch.deploymentID))
    }

    /// Runs the process (and, while it is live, restarts it after each crash) until `stop()` or cancellation.
    func supervise() async {
        defer { supervisionEnded.signal() }
        await superviseLoop()
    }

    /// The process will never be supervised (the server is stopping): it ends before it started.
    func abandon(reason: String) {
        state.withLock { state in
            state.stopping = true
            state.endedBeforeLive = reason
        }
        supervisionEnded.signal()
    }

    /// Where the current run listens; nil until it has started.
    var address: ServiceAddress? { state.withLock { $0.address } }

    /// Whether the process is live (adopted after its deploy, or restored at start-up).
    var isLive: Bool { state.withLock { $0.isLive } }

    /// The deployment it serves now.
    var servingDeploymentID: Int64 { state.withLock { $0.servingDeploymentID } }

    /// Whether it is a warm standby.
    var isStandby: Bool { state.withLock { $0.isStandby } }

    /// Out of the route and kept for a rollback: an exit drops it from now on; `expiry` stops it when the window ends.
    func becomeStandby(expiry: Task<Void, Never>) {
        state.withLock { state in
            state.isStandby = true
            state.standbyExpiry = expiry
        }
    }

    /// A rollback takes the standby over: it serves `deploymentID` from now on, restarted again when it crashes.
    /// Returns its current address, or nil when it is not running (then it stays a standby).
    func takeOver(for deploymentID: Int64) -> ServiceAddress? {
        let (address, expiry) = state.withLock { state -> (ServiceAddress?, Task<Void, Never>?) in
            guard state.isStandby, !state.stopping, state.phase == .running, let address = state.address else { return (nil, nil) }
            state.isStandby = false
            state.servingDeploymentID = deploymentID
            defer { state.standbyExpiry = nil }
            return (address, state.standbyExpiry)
        }
        expiry?.cancel()
        return address
    }

    /// How the process ended before it went live, if it did.
    var endedBeforeLive: String? { state.withLock { $0.endedBeforeLive } }

    var status: ServiceStatus {
        state.withLock { state in
            ServiceStatus(
                deploymentID: state.servingDeploymentID, projectID: launch.projectID, port: port,
                state: state.isStandby ? .standby : state.phase,
                processID: state.containerProcessID ?? handle.processID, startedAt: startedAt, restarts: state.restarts
            )
        }
    }

    /// The process is live: its exits are crashes from now on, its lines go to `log`.
    func goLive(log: RuntimeLog?) {
        state.withLock { state in
            state.isLive = true
            state.phase = .running
            state.deployOutput = nil
            state.runtimeLog = log
        }
    }

    /// Stops the process for good: SIGTERM to its group, SIGKILL after the grace period; returns once it has ended.
    func stop() async {
        let expiry = state.withLock { state -> Task<Void, Never>? in
            state.stopping = true
            defer { state.standbyExpiry = nil }
            return state.standbyExpiry
        }
        expiry?.cancel()
        handle.stop(gracePeriod: gracePeriod)
        stopRequested.signal()
        if case .container(let spec, let client) = program {
            // Its end ends the run's `logs --follow`; one still being started is removed by the loop once it is.
            await Self.removeContainer(spec.name, client: client, gracePeriod: gracePeriod)
        }
        if case .compose(let program, let client) = program {
            await Self.removePod(program.pod.name, client: client, gracePeriod: gracePeriod)
        }
        await supervisionEnded.wait()
        let log = state.withLock { state -> RuntimeLog? in
            defer { state.runtimeLog = nil }
            return state.runtimeLog
        }
        log?.close()
    }

    private func superviseLoop() async {
        var backoff = RestartBackoff()
        while !isStopping {
            let clock = ContinuousClock()
            let began = clock.now
            let ended: String
            switch program {
            case .process(let spec, let sandbox, let cgroup):
                ended = await runProcess(spec, sandbox: sandbox, cgroup: cgroup)
            case .container(let spec, let client):
                ended = await runContainer(spec, client: client)
            case .compose(let program, let client):
                ended = await runCompose(program, client: client)
            }
            if isStopping { return }
            let isLive = state.withLock { state -> Bool in
                if !state.isLive { state.endedBeforeLive = ended }
                return state.isLive
            }
            guard isLive else { return }
            if isStandby {
                emit(LogLine(timestamp: Date(), stream: .system, stage: nil, text: "The warm standby \(ended): dropped, not restarted"))
                state.withLock { $0.standbyExpiry?.cancel() }
                onStandbyEnded(self)
                return
            }

            let pause = backoff.next(afterUptime: clock.now - began)
            let restarts = state.withLock { state -> Int in
                state.restarts += 1
                state.phase = .restarting
                return state.restarts
            }
            emit(
                LogLine(
                    timestamp: Date(), stream: .system, stage: nil,
                    text: "✗ The service process \(ended); restarting in \(pause) (restart \(restarts))"
                )
            )
            await onRestart(
                ServiceRestart(projectID: launch.projectID, deploymentID: servingDeploymentID, restartedAt: Date(), exitSummary: ended)
            )
            await stopRequested.wait(timeout: pause)
            state.withLock { $0.phase = .running }
        }
    }

    /// One run of the sandboxed process, to its end; returns how it ended.
    private func runProcess(_ spec: SandboxSpec, sandbox: Sandbox, cgroup: BuildCgroup?) async -> String {
        let killsBefore = cgroup?.outOfMemoryKills() ?? 0
        do {
            if !sandbox.hasPrivateNetwork { publish(ServiceAddress(port: port)) }
            let termination = try await SandboxedProcess.run(
                spec, in: sandbox, gracePeriod: gracePeriod, handle: handle, cgroup: cgroup,
                onNetwork: { [weak self] namespace in
                    guard let self else { return }
                    self.publish(ServiceAddress(port: self.port, namespace: namespace))
                }
            ) { [weak self] line in
                self?.emit(LogLine(timestamp: Date(), stream: line.stream == .stdout ? .stdout : .stderr, stage: nil, text: line.text))
            }
            let outOfMemory = (cgroup?.outOfMemoryKills() ?? 0) > killsBefore ? " (out of memory)" : ""
            return termination.summary + outOfMemory
        } catch {
            return "could not start: \(error)"
        }
    }

    /// One run of the container, to its end; returns how it ended. The container is started detached, its network
    /// namespace told to the edge, its output followed (`logs --follow` ends when the container does), its exit read
    /// from `inspect`, and it is removed.
    private func runContainer(_ spec: ContainerRunSpec, client: ContainerClient) async -> String {
        // One of the same name left by an earlier run (or a killed server) is in the way.
        try? await client.remove(spec.name)
        defer { state.withLock { $0.containerProcessID = nil } }
        do {
            try await client.run(spec)
            if isStopping {
                await Self.removeContainer(spec.name, client: client, gracePeriod: .zero)
                return "stopped"
            }
            // The output is followed before the address is published: the health check starts once it is, and a
            // line the container wrote before it went live belongs in the deployment's log, not the runtime log.
            let output = Task {
                try await ChildProcess.run(client.commands.logs(spec.name), timeout: nil, gracePeriod: .seconds(1)) { [weak self] line in
                    self?.emit(LogLine(timestamp: Date(), stream: line.stream == .stdout ? .stdout : .stderr, stage: nil, text: line.text))
                }
            }
            do {
                let running = try await client.inspect(spec.name)
                if running.running, let pid = running.processID {
                    state.withLock { $0.containerProcessID = pid }
                    publish(ServiceAddress(port: port, namespace: try NetworkNamespace.of(processID: pid)))
                }
            } catch {
                output.cancel()
                _ = try? await output.value
                throw error
            }
            _ = try await withTaskCancellationHandler {
                try await output.value
            } onCancel: {
                output.cancel()
            }
            let ended = try? await client.inspect(spec.name)
            await Self.removeContainer(spec.name, client: client, gracePeriod: .zero)
            guard let ended else { return "was removed" }
            return "exited with status \(ended.exitCode)" + (ended.outOfMemoryKilled ? " (out of memory)" : "")
        } catch {
            await Self.removeContainer(spec.name, client: client, gracePeriod: .zero)
            return "could not start: \(error)"
        }
    }

    /// Stops the container (its stop signal, then SIGKILL after `gracePeriod`) and removes it, in a task of its own: a
    /// cancelled task's engine commands would be stopped as they start.
    static func removeContainer(_ name: String, client: ContainerClient, gracePeriod: Duration) async {
        let seconds = Int(gracePeriod.components.seconds)
        await Task.detached {
            if seconds > 0 { try? await client.stop(name, timeoutSeconds: seconds) }
            try? await client.remove(name)
        }.value
    }

    var isStopping: Bool { state.withLock { $0.stopping } || Task.isCancelled }

    /// The address of a new run: kept, and told to the edge (never once the process is being stopped).
    func publish(_ address: ServiceAddress) {
        let (stopping, deploymentID) = state.withLock { state -> (Bool, Int64) in
            if !state.stopping { state.address = address }
            return (state.stopping, state.servingDeploymentID)
        }
        if !stopping { onAddress(address, deploymentID) }
    }

    /// A line about the process.
    func emit(system text: String) { emit(LogLine(timestamp: Date(), stream: .system, stage: nil, text: text)) }

    /// The host pid of the current run's main container process (its status shows it).
    func setContainerProcessID(_ pid: Int32?) { state.withLock { $0.containerProcessID = pid } }

    func clearContainerProcessID() { setContainerProcessID(nil) }

    /// Returns after `timeout`, or as soon as the process is being stopped.
    func waitForStop(timeout: Duration) async { await stopRequested.wait(timeout: timeout) }

    /// One line of the process (or about it): to the deploy's log before it is live, to the runtime log after.
    func emit(_ line: LogLine) {
        let (deployOutput, runtimeLog) = state.withLock { ($0.deployOutput, $0.runtimeLog) }
        if let deployOutput {
            deployOutput(line)
        } else if let runtimeLog {
            var runtimeLine = line
            runtimeLine.isRuntime = true
            runtimeLog.append(runtimeLine)
        }
    }
}
