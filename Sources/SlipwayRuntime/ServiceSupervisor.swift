public import Foundation
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
        /// The container engine that runs the services whose build is an image; nil: this server runs none.
        public var containers: ContainerClient?

        public init(
            layout: DataLayout, sandbox: Sandbox, ports: PortAllocator = PortAllocator(), stopGracePeriod: Duration = .seconds(10),
            cgroups: CgroupSupport = .unavailable(), limits: ResourceLimits = .buildDefaults,
            sandboxUserBase: UInt32? = SandboxUser.defaultBaseWhenRoot, containers: ContainerClient? = nil
        ) {
            self.containers = containers
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

    public let configuration: Configuration
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
    /// Its containers (labelled with this data directory) are removed too.
    @discardableResult
    public func killLeftovers() async -> Int {
        var count = OrphanProcesses.kill(environmentEntry: marker)
        if let client = configuration.containers {
            let label = Self.runtimeLabel + "=" + configuration.layout.root
            // Also when no container is listed: a compose set's pod may be left without its service containers.
            let left = (try? await client.containers(withLabel: label)) ?? []
            do {
                try await client.removeAll(withLabel: label)
                count += left.count
            } catch {
                logger.error("service containers left by the previous server could not be listed or removed: \(error)")
            }
        }
        return count
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
        let client: ContainerClient?
        if launch.image != nil || launch.compose != nil {
            guard let containers = configuration.containers else {
                throw ServiceFailure("this service runs an image, and this server has no container engine")
            }
            client = containers
        } else {
            client = nil
        }
        let startCommand = client == nil ? try Self.startCommand(for: launch.config, buildDirectory: buildDirectory) : nil
        let port: Int
        if let set = launch.compose {
            // Inside the set's own network namespace: no host port is taken.
            port = set.exposePort
        } else if let fixed = launch.config.port {
            let holders = processes.withLock { $0.values.filter { $0.port == fixed } }
            // On the host's network one port is one socket for everybody. Another project's process there (on a port
            // assigned to it, or fixed before the rules) is never stopped for this one, and the edge never sends this
            // project's traffic to it. In network namespaces of their own, other projects' ports do not meet.
            let sharesHostNetwork = client == nil && !configuration.sandbox.hasPrivateNetwork
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
        let program: ServiceProgram
        let starting: String
        if let client, let set = launch.compose {
            let compose = composeProgram(for: launch, set: set)
            program = .compose(compose, client: client)
            starting =
                "\(compose.summary) (expose_service \(set.exposeService) on port \(port) inside the set, limits per container: "
                + "\(configuration.limits.summary))"
        } else if let client, let image = launch.image {
            let spec = containerSpec(for: launch, image: image, port: port)
            program = .container(spec: spec, client: client)
            let command = spec.command.map { ": " + $0.joined(separator: " ") } ?? " (the image's command)"
            starting = "container \(spec.name) of \(image)\(command) (PORT=\(port), limits: \(configuration.limits.summary))"
        } else {
            let spec = try processSpec(for: launch, startCommand: startCommand ?? "", buildDirectory: buildDirectory, port: port)
            let cgroup = await makeCgroup(for: launch, output: output)
            program = .process(spec: spec, sandbox: configuration.sandbox, cgroup: cgroup)
            starting = (startCommand ?? "") + " (PORT=\(port)" + (cgroup == nil ? "" : ", limits: \(configuration.limits.summary)") + ")"
        }
        let process = ServiceProcess(
            launch: launch, port: port, program: program, gracePeriod: configuration.stopGracePeriod, deployOutput: output,
            onAddress: { [endpoints] address, deploymentID in endpoints.setAddress(address, for: deploymentID) },
            onRestart: { [restarts, logger, metrics] restart in
                metrics?.restarted(project: launch.projectName, exitSummary: restart.exitSummary)
                do {
                    try await restarts?.record(restart)
                } catch {
                    logger.error("deployment \(restart.deploymentID): cannot record a restart: \(error)")
                }
            },
            onStandbyEnded: { [weak self] process in
                // Not awaited here: the process's own supervision calls this, and its stop waits for that to end.
                Task { await self?.dropStandby(process) }
            }
        )
        let replaced = processes.withLock { processes -> ServiceProcess? in
            defer { processes[launch.deploymentID] = process }
            return processes[launch.deploymentID]
        }
        if let replaced { await finish(replaced) }
        output(LogLine(timestamp: Date(), stream: .system, stage: nil, text: "Starting: \(starting)"))
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
        // A standby a rollback took over is live already, with its runtime log open.
        guard let process = processes.withLock({ $0[deploymentID] }), !process.isLive else { return }
        process.goLive(log: openLog(process.launch))
    }

    public func retire(projectID: Int64, keeping: Set<Int64>, standby: Int64?, window: Duration) async {
        let (retiring, keptAsStandby) = processes.withLock { processes -> ([ServiceProcess], ServiceProcess?) in
            // Only live processes: a deploy of the same project that is still health checking its new one keeps it.
            let retiring = processes.filter { id, process in
                process.launch.projectID == projectID && process.isLive && !keeping.contains(id)
            }
            var standbyProcess: ServiceProcess?
            for (id, process) in retiring {
                if id == standby && window > .zero && !process.isStandby {
                    standbyProcess = process
                } else {
                    processes[id] = nil
                }
            }
            return (retiring.values.filter { $0 !== standbyProcess }, standbyProcess)
        }
        await withTaskGroup(of: Void.self) { group in
            for process in retiring {
                group.addTask {
                    await self.drain(process)
                    await self.finish(process)
                }
            }
            if let keptAsStandby {
                group.addTask { await self.keepAsStandby(keptAsStandby, window: window) }
            }
        }
    }

    /// No new request reaches the process; the ones it was sent get up to the drain timeout to finish.
    private func drain(_ process: ServiceProcess) async {
        let deploymentID = process.servingDeploymentID
        endpoints.removePort(of: deploymentID)
        if await !endpoints.waitUntilIdle(deploymentID, timeout: process.launch.config.drainTimeoutDuration) {
            logger.warning("deployment \(deploymentID): requests still in flight after the drain timeout; stopping anyway")
        }
    }

    /// The production process just replaced stays running out of the route for `window`, then stops (a rollback can
    /// take it over before that: `takeOverStandby`).
    private func keepAsStandby(_ process: ServiceProcess, window: Duration) async {
        let deploymentID = process.servingDeploymentID
        let expiry = Task { [weak self] in
            guard (try? await Task.sleep(for: window)) != nil, let self else { return }
            let expired = self.processes.withLock { processes -> Bool in
                guard processes[deploymentID] === process, process.isStandby else { return false }
                processes[deploymentID] = nil
                return true
            }
            if expired { await self.finish(process) }
        }
        process.becomeStandby(expiry: expiry)
        endpoints.removePort(of: deploymentID)
        logger.info("deployment \(deploymentID): kept as a warm standby for \(window)")
    }

    public func takeOverStandby(for launch: ServiceLaunch) async -> Int? {
        let candidate = processes.withLock { processes -> ServiceProcess? in
            processes.values.first {
                $0.launch.projectID == launch.projectID && $0.isStandby && $0.launch.buildID == launch.buildID
                    && $0.launch.config == launch.config && $0.launch.variables == launch.variables && $0.launch.image == launch.image
                    && $0.launch.compose == launch.compose
            }
        }
        guard let candidate else { return nil }
        let previousID = candidate.servingDeploymentID
        // Re-keyed under the lock first: its expiry and a crash's drop look it up by the id it serves.
        let taken = processes.withLock { processes -> Bool in
            guard processes[previousID] === candidate, processes[launch.deploymentID] == nil else { return false }
            processes[previousID] = nil
            processes[launch.deploymentID] = candidate
            return true
        }
        guard taken else { return nil }
        guard let address = candidate.takeOver(for: launch.deploymentID) else {
            processes.withLock { processes in
                processes[launch.deploymentID] = nil
                processes[previousID] = candidate
            }
            return nil
        }
        endpoints.setAddress(address, for: launch.deploymentID)
        return candidate.port
    }

    /// A standby that exited leaves the table and frees what it held.
    private func dropStandby(_ process: ServiceProcess) async {
        let deploymentID = process.servingDeploymentID
        let dropped = processes.withLock { processes -> Bool in
            guard processes[deploymentID] === process else { return false }
            processes[deploymentID] = nil
            return true
        }
        if dropped { await finish(process) }
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
        endpoints.removePort(of: process.servingDeploymentID)
        await process.stop()
        if let cgroup = process.cgroup { try? cgroup.remove() }
        if process.launch.compose == nil { configuration.ports.release(process.port) }
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

    /// The sandbox spec of a process service: its build read-only and its home writable, nothing else of the data
    /// directory.
    private func processSpec(for launch: ServiceLaunch, startCommand: String, buildDirectory: String, port: Int) throws -> SandboxSpec {
        let home = configuration.layout.runtimeDirectory(launch.deploymentUID)
        try? SandboxFiles.remove(home)
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let user = configuration.sandboxUser(workspaceID: launch.workspaceID)
        try SandboxFiles.handOver(home, to: user)
        let sandbox = configuration.sandbox
        let buildMount = SandboxMount(hostPath: buildDirectory, name: "build", writable: false)
        let homeMount = SandboxMount(hostPath: home, name: "home", writable: true)
        return SandboxSpec(
            shellCommand: startCommand, workingDirectory: sandbox.insidePath(of: buildMount), mounts: [homeMount, buildMount],
            hiddenDirectory: configuration.layout.root,
            environment: environment(for: launch, port: port, home: sandbox.insidePath(of: homeMount)), user: user
        )
    }

    /// The container of a container service (docs/containers.md "Container services"): named after the deployment,
    /// labelled with it and with this data directory (a killed server's containers are found by it), the service
    /// limits, `PORT` and the deployment's plain variables in its environment and its secret ones as engine secrets.
    /// `start_command`, when set, runs as `sh -c` in the image; else the image's own entrypoint and command.
    func containerSpec(for launch: ServiceLaunch, image: String, port: Int) -> ContainerRunSpec {
        let (environment, secrets) = containerEnvironment(for: launch, port: port)
        let command = launch.config.startCommand.trimmingCharacters(in: .whitespacesAndNewlines)
        return ContainerRunSpec(
            name: ContainerRunSpec.serviceName(deploymentUID: launch.deploymentUID.lowercased), image: image,
            labels: [
                "slipway.deployment": launch.deploymentUID.lowercased, Self.runtimeLabel: configuration.layout.root,
            ],
            environment: environment, secrets: secrets, command: command.isEmpty ? nil : ["sh", "-c", command],
            limits: ContainerLimits(resources: configuration.limits)
        )
    }

    /// The environment of a container of `launch`: `base` (a compose service's own), the deployment's plain variables
    /// over it and Slipway's facts over those (`PORT` when given); the deployment's secret variables apart, as engine
    /// secrets.
    private func containerEnvironment(
        for launch: ServiceLaunch, port: Int?, base: [String: String] = [:]
    ) -> (environment: [String: String], secrets: [String: String]) {
        var environment = base
        var secrets: [String: String] = [:]
        for (name, variable) in launch.variables {
            if variable.secret {
                secrets[name] = variable.value
                environment[name] = nil
            } else {
                environment[name] = variable.value
            }
        }
        var facts = [
            "HOST": "127.0.0.1", "SLIPWAY": "1", "SLIPWAY_PROJECT": launch.projectName,
            "SLIPWAY_DEPLOYMENT_ID": String(launch.deploymentID), "SLIPWAY_DEPLOYMENT_UID": launch.deploymentUID.lowercased,
        ]
        if let port { facts["PORT"] = String(port) }
        environment.merge(facts) { _, slipway in slipway }
        for name in facts.keys { secrets[name] = nil }
        return (environment, secrets)
    }

    /// The pod and containers of a compose app (docs/containers.md "Compose apps"): the pod named and labelled like a
    /// service container (`slipway-<deployment uid>`), every service's name resolving to its loopback; a container per
    /// service, `slipway-<deployment uid>-<service>`, with the service's environment, the deployment's variables over
    /// it (secrets as engine secrets), `PORT` for the exposed service, the service limits each, and its named volumes
    /// (`slipway-<project uid>-<volume>`, kept between deployments).
    func composeProgram(for launch: ServiceLaunch, set: ComposeSet) -> ComposeProgram {
        let name = ContainerRunSpec.serviceName(deploymentUID: launch.deploymentUID.lowercased)
        let labels = ["slipway.deployment": launch.deploymentUID.lowercased, Self.runtimeLabel: configuration.layout.root]
        let limits = ContainerLimits(resources: configuration.limits)
        let containers = set.services.map { service in
            let port = service.name == set.exposeService ? set.exposePort : nil
            let (environment, secrets) = containerEnvironment(for: launch, port: port, base: service.environment)
            var spec = ContainerRunSpec(
                name: name + "-" + ContainerNames.component(service.name), image: service.image,
                labels: labels.merging(["slipway.compose.service": service.name]) { $1 }, environment: environment, secrets: secrets,
                command: service.command, limits: limits)
            spec.pod = name
            spec.entrypoint = service.entrypoint
            spec.volumes = service.volumes.map {
                ContainerRunSpec.VolumeMount(volume: set.engineVolumeName($0.volume), target: $0.target, readOnly: $0.readOnly)
            }
            return ComposeProgram.Container(service: service, spec: spec)
        }
        let used = Set(set.services.flatMap { $0.volumes.map(\.volume) })
        let volumes = set.volumes.filter(used.contains).map { volume in
            (name: set.engineVolumeName(volume), labels: ["slipway.project": set.project, "slipway.compose.volume": volume])
        }
        return ComposeProgram(
            pod: PodSpec(name: name, labels: labels, hostNames: set.services.map(\.name), limits: limits), containers: containers,
            exposeService: set.exposeService, volumes: volumes)
    }

    /// A deleted project's compose volumes go with it.
    public func removeProjectData(projectUID: UUID) async {
        guard let client = configuration.containers, client.engine.kind == .podman else { return }
        do {
            try await client.removeVolumes(withLabel: "slipway.project=" + projectUID.lowercased)
        } catch {
            logger.error("the volumes of deleted project \(projectUID.lowercased) could not be removed: \(error)")
        }
    }

    /// The label every service container carries, with this data directory as its value.
    public static let runtimeLabel = "slipway.runtime"

    private func environment(for launch: ServiceLaunch, port: Int, home: String) -> [String: String] {
        // The project's variables first: PORT, HOME and Slipway's facts win over them.
        launch.variables.mapValues(\.value).merging([
            "PATH": Sandbox.defaultPath, "HOME": home, "TMPDIR": home, "LANG": "C.UTF-8", "PORT": String(port), "HOST": "127.0.0.1",
            "SLIPWAY": "1", "SLIPWAY_PROJECT": launch.projectName, "SLIPWAY_DEPLOYMENT_ID": String(launch.deploymentID),
            "SLIPWAY_DEPLOYMENT_UID": launch.deploymentUID.lowercased, "SLIPWAY_RUNTIME": configuration.layout.root,
        ]) { _, slipway in slipway }
    }
}
