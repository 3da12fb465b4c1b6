import Foundation
public import Logging
public import ServiceLifecycle
public import SlipwayCore
public import SlipwaySandbox
import Synchronization

/// Runs the processes of service deployments (DESIGN.md §3 `SlipwayRuntime`): starts one per live deployment on a
/// loopback port, health checks it, supervises it once live, drains and stops the ones no route needs any more.
/// As a `Service` of the server its `run()` is where every process is supervised (each one's loop is a child task
/// of it), and it stops every process when the server shuts down.
public final class ServiceSupervisor: ServiceRuntime, Service {
    public struct Configuration: Sendable {
        public var layout: DataLayout
        public var sandbox: Sandbox
        public var ports: PortAllocator
        /// SIGTERM → SIGKILL grace period when a process is stopped.
        public var stopGracePeriod: Duration
        /// The cgroup hierarchies for limits and whole-tree kill (none: process groups only).
        public var cgroups: CgroupSupport
        /// The memory and process limits of one service process with everything it starts.
        public var limits: ResourceLimits
        /// The first uid of the sandbox users when the server runs as root; nil runs services as the server's uid.
        public var sandboxUserBase: UInt32?

        public init(
            layout: DataLayout, sandbox: Sandbox, ports: PortAllocator = PortAllocator(), stopGracePeriod: Duration = .seconds(10),
            cgroups: CgroupSupport = .unavailable(), limits: ResourceLimits = .buildDefaults,
            sandboxUserBase: UInt32? = SandboxUser.defaultBaseWhenRoot
        ) {
            self.layout = layout
            self.sandbox = sandbox
            self.ports = ports
            self.stopGracePeriod = stopGracePeriod
            self.cgroups = cgroups
            self.limits = limits
            self.sandboxUserBase = sandboxUserBase
        }

        /// The host identity of a workspace's services (nil: the server's own).
        func sandboxUser(workspaceID: Int64) -> SandboxUser? {
            sandboxUserBase.map { SandboxUser.workspace(workspaceID, base: $0) }
        }
    }

    let configuration: Configuration
    let endpoints: ServiceEndpoints
    let restarts: (any ServiceRestartRepository)?
    public let openLog: @Sendable (ServiceLaunch) -> RuntimeLog?
    let logger: Logger
    /// The runtime's figures; nil: metrics off.
    let metrics: RuntimeMetrics?
    private let processes = Mutex<[Int64: ServiceProcess]>([:])
    /// Processes started and waiting for `run()` to supervise them.
    private let supervision = WorkQueue<ServiceProcess>()

    /// `openLog` opens the deployment's log for the lines a live process prints.
    public init(
        configuration: Configuration, endpoints: ServiceEndpoints, restarts: (any ServiceRestartRepository)?,
        openLog: @escaping @Sendable (ServiceLaunch) -> RuntimeLog?, logger: Logger, metrics: RuntimeMetrics? = nil
    ) {
        self.metrics = metrics
        self.configuration = configuration
        self.endpoints = endpoints
        self.restarts = restarts
        self.openLog = openLog
        self.logger = logger
    }

    /// How many service processes it holds now (starting, live or draining).
    public var processCount: Int { processes.withLock { $0.count } }

    /// The environment entry every service process of this data directory carries: what a killed server left
    /// running is found by it (`killLeftovers`).
    public var marker: String { "SLIPWAY_RUNTIME=" + configuration.layout.root }

    /// Kills every service process a previous run of this data directory left behind (the server was killed).
    @discardableResult
    public func killLeftovers() -> Int {
        OrphanProcesses.kill(environmentEntry: marker)
    }

    /// Supervises every process started, each in a child task, until the server shuts down; then stops them all
    /// and returns once every one has ended. A process started after that is refused ("the server is stopping").
    public func run() async {
        await withDiscardingTaskGroup { group in
            await withGracefulShutdownHandler {
                await supervision.drain { process in group.addTask { await process.supervise() } }
            } onGracefulShutdown: {
                self.supervision.close()
            }
            // Also when cancelled instead of shut down: the children are cancelled then, and end at once.
            supervision.close()
            await stopAll()
        }
    }

    /// Stops every process (the server stops).
    public func stopAll() async {
        let all = processes.withLock { processes -> [ServiceProcess] in
            defer { processes.removeAll() }
            return Array(processes.values)
        }
        await withTaskGroup(of: Void.self) { group in
            for process in all { group.addTask { await self.finish(process) } }
        }
    }

    // MARK: ServiceRuntime

    public func start(_ launch: ServiceLaunch, output: @escaping @Sendable (LogLine) -> Void) async throws -> Int {
        let buildDirectory = configuration.layout.buildDirectory(launch.buildID)
        let startCommand = try Self.startCommand(for: launch.config, buildDirectory: buildDirectory)
        let port: Int
        if let fixed = launch.config.port {
            let holders = processes.withLock { $0.values.filter { $0.port == fixed } }
            // On the host's network one port is one socket for everybody. Another project's process there (on a port
            // assigned to it, or fixed before the rules) is never stopped for this one, and the edge never sends this
            // project's traffic to it. In network namespaces of their own, other projects' ports do not meet.
            let sharesHostNetwork = !configuration.sandbox.hasPrivateNetwork
            if sharesHostNetwork, holders.contains(where: { $0.launch.projectID != launch.projectID }) {
                throw ServiceFailure("port \(fixed) is held by another project's service; choose another port or leave it unset")
            }
            for holder in holders where holder.launch.projectID == launch.projectID {
                output(
                    LogLine(
                        timestamp: Date(), stream: .system, stage: nil,
                        text: "Port \(fixed) is fixed: stopping deployment \(holder.launch.deploymentID)'s process first (no zero-downtime switch)"
                    )
                )
                await stop(deploymentID: holder.launch.deploymentID)
            }
            // Something that is not ours listening there would answer the health check and the edge in its place.
            guard !sharesHostNetwork || PortAllocator.isFree(fixed) else {
                throw ServiceFailure("port \(fixed) is in use by another program on this machine; choose another port or leave it unset")
            }
            configuration.ports.take(fixed)
            port = fixed
        } else {
            port = try configuration.ports.allocate()
        }
        let home = configuration.layout.runtimeDirectory(launch.deploymentUID)
        try? SandboxFiles.remove(home)
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let user = configuration.sandboxUser(workspaceID: launch.workspaceID)
        try SandboxFiles.handOver(home, to: user)
        // The process sees its build read-only and its home writable, nothing else of the data directory.
        let sandbox = configuration.sandbox
        let buildMount = SandboxMount(hostPath: buildDirectory, name: "build", writable: false)
        let homeMount = SandboxMount(hostPath: home, name: "home", writable: true)
        let spec = SandboxSpec(
            shellCommand: startCommand, workingDirectory: sandbox.insidePath(of: buildMount), mounts: [homeMount, buildMount],
            hiddenDirectory: configuration.layout.root,
            environment: environment(for: launch, port: port, home: sandbox.insidePath(of: homeMount)), user: user
        )
        let cgroup = await makeCgroup(for: launch, output: output)
        let process = ServiceProcess(
            launch: launch, port: port, spec: spec, sandbox: sandbox, gracePeriod: configuration.stopGracePeriod,
            cgroup: cgroup, deployOutput: output,
            onAddress: { [endpoints] address in endpoints.setAddress(address, for: launch.deploymentID) },
            onRestart: { [restarts, logger, metrics] restart in
                metrics?.restarted(project: launch.projectName, exitSummary: restart.exitSummary)
                do {
                    try await restarts?.record(restart)
                } catch {
                    logger.error("deployment \(restart.deploymentID): cannot record a restart: \(error)")
                }
            }
        )
        let replaced = processes.withLock { processes -> ServiceProcess? in
            defer { processes[launch.deploymentID] = process }
            return processes[launch.deploymentID]
        }
        if let replaced { await finish(replaced) }
        let limits = cgroup == nil ? "" : ", limits: \(configuration.limits.summary)"
        output(LogLine(timestamp: Date(), stream: .system, stage: nil, text: "Starting: \(startCommand) (PORT=\(port)\(limits))"))
        guard supervision.add(process) else {
            process.abandon(reason: "was not started: the server is stopping")
            await stop(deploymentID: launch.deploymentID)
            throw ServiceFailure("the server is stopping: the process of deployment \(launch.deploymentID) was not started")
        }
        return port
    }

    public func waitUntilHealthy(deploymentID: Int64) async throws {
        guard let process = processes.withLock({ $0[deploymentID] }) else {
            throw ServiceFailure("the process of deployment \(deploymentID) is not running")
        }
        let config = process.launch.config
        let clock = ContinuousClock()
        let deadline = clock.now + config.healthCheckTimeoutDuration
        let interval = config.healthCheckIntervalDuration
        var last = HealthProbe.Result.failed("not checked yet")
        while true {
            try Task.checkCancellation()
            if let ended = process.endedBeforeLive {
                throw ServiceFailure("the process \(ended) before its health check passed")
            }
            let remaining = deadline - clock.now
            guard remaining > .zero else {
                throw ServiceFailure(
                    "the health check GET \(config.healthCheckPath) on port \(process.port) did not answer 2xx within "
                        + "\(ServiceConfig.text(seconds: config.healthCheckTimeout)) s (last: \(last))"
                )
            }
            if let address = process.address {
                last = await HealthProbe.check(address, path: config.healthCheckPath, timeout: min(remaining, .seconds(5)))
            } else {
                last = .failed("the process has not started yet")
            }
            if last.isHealthy { return }
            if let ended = process.endedBeforeLive {
                throw ServiceFailure("the process \(ended) before its health check passed")
            }
            try await Task.sleep(for: min(interval, max(deadline - clock.now, .zero)))
        }
    }

    public func adopt(deploymentID: Int64) async {
        guard let process = processes.withLock({ $0[deploymentID] }) else { return }
        process.goLive(log: openLog(process.launch))
    }

    public func retire(projectID: Int64, keeping: Set<Int64>) async {
        let retiring = processes.withLock { processes -> [ServiceProcess] in
            // Only live processes: a deploy of the same project that is still health checking its new one keeps it.
            let retiring = processes.values.filter {
                $0.launch.projectID == projectID && $0.isLive && !keeping.contains($0.launch.deploymentID)
            }
            for process in retiring { processes[process.launch.deploymentID] = nil }
            return retiring
        }
        await withTaskGroup(of: Void.self) { group in
            for process in retiring {
                group.addTask {
                    // No new request reaches it; the ones it was sent get up to the drain timeout to finish.
                    let deploymentID = process.launch.deploymentID
                    self.endpoints.removePort(of: deploymentID)
                    if await !self.endpoints.waitUntilIdle(deploymentID, timeout: process.launch.config.drainTimeoutDuration) {
                        self.logger.warning("deployment \(deploymentID): requests still in flight after the drain timeout; stopping anyway")
                    }
                    await self.finish(process)
                }
            }
        }
    }

    public func stop(deploymentID: Int64) async {
        guard let process = processes.withLock({ $0.removeValue(forKey: deploymentID) }) else { return }
        await finish(process)
    }

    public func statuses(projectID: Int64) -> [ServiceStatus] {
        processes.withLock { $0.values.filter { $0.launch.projectID == projectID }.map(\.status) }
            .sorted { $0.deploymentID < $1.deploymentID }
    }

    /// Every deployment with a process now.
    public var runningDeploymentIDs: Set<Int64> { processes.withLock { Set($0.keys) } }

    // MARK: Helpers

    /// Stops a process that has left the table, and frees what it held.
    private func finish(_ process: ServiceProcess) async {
        endpoints.removePort(of: process.launch.deploymentID)
        await process.stop()
        if let cgroup = process.cgroup { try? cgroup.remove() }
        configuration.ports.release(process.port)
        try? SandboxFiles.remove(configuration.layout.runtimeDirectory(process.launch.deploymentUID))
    }

    /// A cgroup with the service limits, when the machine offers cgroups: the process with everything it starts is
    /// limited, and killed whole when it exits. One of the same deployment left by a killed server is cleared first.
    /// A service without one still runs (the log says why).
    private func makeCgroup(for launch: ServiceLaunch, output: @Sendable (LogLine) -> Void) async -> BuildCgroup? {
        guard configuration.cgroups.isUsable else { return nil }
        let name = "service-" + launch.deploymentUID.lowercased
        do {
            try await BuildCgroup.killAndRemove(name: name, support: configuration.cgroups)
            return try BuildCgroup.create(name: name, limits: configuration.limits, support: configuration.cgroups)
        } catch {
            output(
                LogLine(
                    timestamp: Date(), stream: .system, stage: nil,
                    text: "Warning: no cgroup for this service (\(error)); it runs without memory and process limits"))
            return nil
        }
    }

    /// The project's start command, or the `web:` line of the build's `Procfile`.
    static func startCommand(for config: ServiceConfig, buildDirectory: String) throws -> String {
        let command = config.startCommand.trimmingCharacters(in: .whitespacesAndNewlines)
        if !command.isEmpty { return command }
        guard let procfile = try? String(contentsOfFile: buildDirectory + "/Procfile", encoding: .utf8) else {
            throw ServiceFailure("no start_command is set and the build has no Procfile")
        }
        guard let web = Procfile.webCommand(in: procfile) else {
            throw ServiceFailure("no start_command is set and the build's Procfile has no 'web:' line")
        }
        return web
    }

    private func environment(for launch: ServiceLaunch, port: Int, home: String) -> [String: String] {
        // The project's variables first: PORT, HOME and Slipway's facts win over them.
        launch.variables.mapValues(\.value).merging([
            "PATH": Sandbox.defaultPath, "HOME": home, "TMPDIR": home, "LANG": "C.UTF-8", "PORT": String(port), "HOST": "127.0.0.1",
            "SLIPWAY": "1", "SLIPWAY_PROJECT": launch.projectName, "SLIPWAY_DEPLOYMENT_ID": String(launch.deploymentID),
            "SLIPWAY_DEPLOYMENT_UID": launch.deploymentUID.lowercased, "SLIPWAY_RUNTIME": configuration.layout.root,
        ]) { _, slipway in slipway }
    }
}
