import Foundation
public import Logging
public import SlipwayCore
public import SlipwaySandbox

/// Takes one claimed deployment through its stages — initialize, clone_repo, build, deploy — and ends it
/// `success` (live), `failed` with an error, or `canceled` with a reason. Never throws: every outcome is
/// written to the deployment. While it runs it renews its lease and answers stop requests (cancel, kill).
public struct DeploymentRunner: Sendable {
    public struct Configuration: Sendable {
        public var layout: DataLayout
        public var sandbox: Sandbox
        public var buildTimeout: Duration
        /// The largest log a deployment may write, in bytes.
        public var logCap: Int
        /// This node's name: the owner of the leases it holds.
        public var nodeName: String
        /// How long a lease lasts; the runner renews it three times per period.
        public var leaseDuration: Duration
        /// How many finished deployments per project keep their build and log.
        public var keepDeployments: Int
        /// The cgroup hierarchies usable for limits and whole-tree kill (none: process groups only).
        public var cgroups: CgroupSupport
        /// The memory and process limits of a build, where cgroups allow them.
        public var buildLimits: ResourceLimits
        /// Where a repository may be cloned from, checked again at every clone (docs/security-inputs.md).
        public var repositories: RepositorySourceRules
        /// The first uid of the sandbox users (`SandboxUser.workspace`) when the server runs as root; nil runs builds
        /// as the server's own uid (an unprivileged server).
        public var sandboxUserBase: UInt32?
        /// The container engine found at start-up, for `dockerfile` builds, or why there is none (the error of such a
        /// build then).
        public var containers: Result<ContainerClient, ContainerEngineUnavailable>

        public init(
            layout: DataLayout, sandbox: Sandbox, buildTimeout: Duration = .seconds(20 * 60), logCap: Int = 50 << 20,
            nodeName: String = "local", leaseDuration: Duration = .seconds(60), keepDeployments: Int = 50,
            cgroups: CgroupSupport = .unavailable(), buildLimits: ResourceLimits = .buildDefaults, repositories: RepositorySourceRules? = nil,
            sandboxUserBase: UInt32? = SandboxUser.defaultBaseWhenRoot,
            containers: Result<ContainerClient, ContainerEngineUnavailable> = .failure(ContainerEngineUnavailable("no container engine was given"))
        ) {
            self.containers = containers
            self.layout = layout
            self.sandbox = sandbox
            self.buildTimeout = buildTimeout
            self.logCap = logCap
            self.nodeName = nodeName
            self.leaseDuration = leaseDuration
            self.keepDeployments = keepDeployments
            self.cgroups = cgroups
            self.buildLimits = buildLimits
            self.repositories = repositories ?? RepositorySourceRules(dataDirectory: layout.root, paths: FileSystemPaths())
            self.sandboxUserBase = sandboxUserBase
        }

        /// The host identity of a workspace's builds (nil: the server's own).
        func sandboxUser(workspaceID: Int64) -> SandboxUser? {
            sandboxUserBase.map { SandboxUser.workspace(workspaceID, base: $0) }
        }
    }

    let configuration: Configuration
    let projects: any ProjectRepository
    let deployments: any DeploymentRepository
    let control: any DeploymentControlRepository
    let routes: RouteTable
    let activity: DeploymentActivity
    let running: RunningDeployments
    let files: any DeploymentFileStore
    var logger: Logger
    /// The env snapshots of deployments (docs/env.md); nil runs every build without project variables.
    let variables: (any EnvironmentVariableRepository)?
    /// The service supervisor; nil fails the deploy stage of every service.
    let runtime: (any ServiceRuntime)?
    /// Prepares a stored static build for the edge (its manifest); nil leaves that to the edge's first request.
    let indexer: (any BuildIndexer)?
    /// The pipeline's figures; nil: metrics off.
    let metrics: PipelineMetrics?

    public init(
        configuration: Configuration, projects: any ProjectRepository, deployments: any DeploymentRepository,
        control: any DeploymentControlRepository, routes: RouteTable, activity: DeploymentActivity, running: RunningDeployments,
        files: any DeploymentFileStore, logger: Logger, variables: (any EnvironmentVariableRepository)? = nil,
        runtime: (any ServiceRuntime)? = nil, indexer: (any BuildIndexer)? = nil, metrics: PipelineMetrics? = nil
    ) {
        self.metrics = metrics
        self.indexer = indexer
        self.configuration = configuration
        self.projects = projects
        self.deployments = deployments
        self.control = control
        self.routes = routes
        self.activity = activity
        self.running = running
        self.files = files
        self.logger = logger
        self.variables = variables
        self.runtime = runtime
    }

    /// Runs a deployment that `claimNext` has just started (and leased to this node).
    public func run(_ deployment: Deployment) async {
        // Every line logged about this deployment carries its id, project and workspace (docs/operations.md "Logs").
        var runner = self
        runner.logger = Self.logger(logger, for: deployment)
        await runner.runLogged(deployment)
    }

    /// `logger` with the metadata of `deployment`: `deployment_id`, `deployment_uid`, `project_id`, `workspace_id`.
    public static func logger(_ logger: Logger, for deployment: Deployment) -> Logger {
        var logger = logger
        logger[metadataKey: "deployment_id"] = "\(deployment.id)"
        logger[metadataKey: "deployment_uid"] = "\(deployment.uid.uuidString.lowercased())"
        logger[metadataKey: "project_id"] = "\(deployment.projectID)"
        logger[metadataKey: "workspace_id"] = "\(deployment.workspaceID)"
        return logger
    }

    private func runLogged(_ deployment: Deployment) async {
        let runControl = running.register(deployment.id)
        defer { running.unregister(deployment.id) }
        metrics?.started(deployment)
        defer { metrics?.stopped() }
        logger.info("deployment \(deployment.id) started")
        let log: DeploymentLogWriter
        do {
            log = try DeploymentLogWriter(
                path: configuration.layout.logFile(deployment.uid), cap: configuration.logCap,
                // A service process's output while it is deployed goes on past the cap, as it will once live.
                overflow: deployment.config.kind == .service
                    ? .init(
                        layout: configuration.layout, deploymentUID: deployment.uid, segmentSize: max(configuration.logCap / 2, 64 << 10),
                        stages: [.deploy, .healthCheck])
                    : nil,
                onAppend: { [activity] in activity.notify(deployment.uid) },
                onCapReached: {
                    runControl.requestStop(.fail(error: "the log reached its cap of \(configuration.logCap) bytes"), gracePeriod: .zero)
                }
            )
        } catch {
            logger.error("deployment \(deployment.id): \(error)")
            await end(DeploymentRun(deployment: deployment, log: nil, control: runControl), outcome: .fail(error: "\(error)"))
            return
        }
        defer { log.close() }
        let run = DeploymentRun(deployment: deployment, log: log, control: runControl)
        let workDirectory = configuration.layout.workDirectory(deployment.uid)
        defer { try? SandboxFiles.remove(workDirectory) }

        await withTaskGroup(of: Void.self) { group in
            group.addTask { await renewLease(of: deployment, control: runControl) }
            do {
                try await stages(of: run, workDirectory: workDirectory)
            } catch {
                let outcome: StopRequest =
                    runControl.stopRequest
                    ?? (error is CancellationError
                        ? .fail(error: "interrupted: the server stopped during the deployment") : .fail(error: "\(error)"))
                // On graceful shutdown the scheduler stops the deployment (it is not cancelled), so this is recorded.
                await end(run, outcome: outcome)
            }
            group.cancelAll()
        }
        do {
            try await Retention(
                projects: projects, control: control, routes: routes, files: files, keep: configuration.keepDeployments,
                images: try? configuration.containers.get()
            ).apply(projectID: deployment.projectID, workspaceID: deployment.workspaceID)
        } catch {
            logger.error("retention for project \(deployment.projectID): \(error)")
        }
    }

    /// Renews the lease until cancelled; a lease that cannot be renewed any more stops the deployment.
    private func renewLease(of deployment: Deployment, control runControl: RunControl) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: configuration.leaseDuration / 3)
            guard !Task.isCancelled else { return }
            let until = Timestamp.now().addingTimeInterval(Self.seconds(configuration.leaseDuration))
            do {
                if try await !control.renewLease(deploymentID: deployment.id, owner: configuration.nodeName, until: until) {
                    runControl.requestStop(.abandon, gracePeriod: .zero)
                    return
                }
            } catch {
                logger.warning("deployment \(deployment.id): cannot renew its lease: \(error)")
            }
        }
    }

    private func stages(of run: DeploymentRun, workDirectory: String) async throws {
        let deployment = run.deployment
        run.system(
            "Deployment \(deployment.id) (#\(deployment.sequenceNumber)) started: \(deployment.trigger.rawValue), "
                + "\(deployment.environment.rawValue), branch \(deployment.gitBranch)" + (deployment.commitID.map { ", commit \($0)" } ?? ""),
            stage: .queued
        )
        guard let project = try await projects.project(id: deployment.projectID, workspaceID: deployment.workspaceID) else {
            throw PipelineError("project \(deployment.projectID) no longer exists")
        }
        try await stage(.initialize, of: run) {
            try FileManager.default.createDirectory(atPath: workDirectory + "/home", withIntermediateDirectories: true)
            // The build (and git before it) writes here as the workspace's sandbox user.
            let user = configuration.sandboxUser(workspaceID: run.deployment.workspaceID)
            try SandboxFiles.handOver(workDirectory, to: user)
            try SandboxFiles.handOver(workDirectory + "/home", to: user)
            let config = run.deployment.config
            run.system(
                "Build config: build_type \(config.build.summary), root_dir '\(config.rootDir)', build_command '\(config.buildCommand)', "
                    + "output_dir '\(config.outputDir)'",
                stage: .initialize
            )
            try await loadEnvironmentVariables(of: run)
            run.system("Sandbox: \(configuration.sandbox.isolation.summary)", stage: .initialize)
            if configuration.cgroups.isUsable {
                run.system("Limits: \(configuration.buildLimits.summary) (cgroups)", stage: .initialize)
            }
        }
        if let buildID = deployment.buildID {
            run.system(
                "Reusing build \(buildID.lowercased)" + (deployment.rollbackOf.map { " of deployment \($0)" } ?? "") + ": no clone, no build",
                stage: .initialize
            )
            try await skip(.cloneRepo, of: run)
            try await skip(.build, of: run)
        } else {
            try await stage(.cloneRepo, of: run) {
                try await clone(project: project, run: run, workDirectory: workDirectory)
            }
            try await stage(.build, of: run) {
                try await build(project: project, workDirectory: workDirectory, run: run)
            }
        }
        if run.deployment.config.kind == .service {
            try await goLiveAsService(run, project: project)
        } else {
            try await goLive(run, project: project)
        }
    }

    /// The work directory as the sandbox shows it to git and the build (`<inside>/src` is the checkout,
    /// `<inside>/home` the HOME).
    private func workMount(_ workDirectory: String) -> SandboxMount {
        SandboxMount(hostPath: workDirectory, name: "work", writable: true)
    }

    private func clone(project: Project, run: DeploymentRun, workDirectory: String) async throws {
        let deployment = run.deployment
        run.system(
            "Cloning \(project.repository) (branch \(deployment.gitBranch)\(deployment.commitID.map { ", commit \($0)" } ?? ""))",
            stage: .cloneRepo
        )
        // Checked again here: a row written past the API, a project made before the rules, a link changed since.
        let source: CloneSource
        do {
            source = try configuration.repositories.cloneSource(for: project, layout: configuration.layout)
        } catch {
            throw PipelineError("the repository cannot be cloned: \(error)")
        }
        // git runs in the build's sandbox: a local repository (an allowed path, or Slipway's own remote in the data
        // directory) is shown to it read-only, and nothing else of the host's files.
        let sandbox = configuration.sandbox
        let work = workMount(workDirectory)
        var mounts = [work]
        var repository = source.url
        let environment = ["SLIPWAY_DEPLOYMENT_UID": deployment.uid.lowercased].merging(
            GitCommands.protocolEnvironment(allowsFileProtocol: source.allowsFileProtocol)
        ) { $1 }
        if let localPath = GitCommands.localPath(of: source.url) {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: localPath, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw PipelineError("branch '\(deployment.gitBranch)' could not be cloned from \(project.repository): no repository is there")
            }
            let mount = SandboxMount(hostPath: localPath, name: "repository", writable: false)
            mounts.append(mount)
            repository = GitCommands.fetchURL(sandbox.insidePath(of: mount))
            // The repository belongs to another uid than the sandbox's: git must still read it.
            let gitConfig = workDirectory + "/home/.gitconfig"
            try GitCommands.trustingRepositoryOwner.write(toFile: gitConfig, atomically: false, encoding: .utf8)
            try SandboxFiles.handOver(gitConfig, to: configuration.sandboxUser(workspaceID: deployment.workspaceID))
        }
        let inside = sandbox.insidePath(of: work)
        let checkout = GitCheckout(
            home: inside + "/home", environment: environment, handle: run.control.process,
            sandbox: GitSandbox(
                sandbox: sandbox, mounts: mounts, workingDirectory: inside, hiddenDirectory: configuration.layout.root,
                user: configuration.sandboxUser(workspaceID: deployment.workspaceID))
        )
        let commit = try await checkout.checkout(
            repository: repository, branch: deployment.gitBranch, commit: deployment.commitID, into: inside + "/src"
        ) { line in run.system(line.text, stage: .cloneRepo) }
        run.deployment.commitID = commit.id
        run.deployment.commitAuthor = commit.author
        run.deployment.commitMessage = commit.message
        run.system("Checked out \(commit.id): \(commit.message.split(separator: "\n").first.map(String.init) ?? "")", stage: .cloneRepo)
    }

    private func build(project: Project, workDirectory: String, run: DeploymentRun) async throws {
        let config = run.deployment.config
        // root_dir must be a directory of the checkout, reached without following a link.
        do {
            _ = try SandboxFiles.Directory.open(workDirectory).directory("src", field: "the checkout").directory(config.rootDir, field: "root_dir")
        } catch {
            throw PipelineError("\(error)")
        }
        guard config.build.type == .command else {
            return try await buildWithContainerEngine(config.build, project: project, workDirectory: workDirectory, run: run)
        }
        if config.buildCommand.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            run.system("No build command: publishing the files as they are", stage: .build)
        } else {
            run.system("Running: \(config.buildCommand)", stage: .build)
            let sandbox = configuration.sandbox
            let inside = sandbox.insidePath(of: workMount(workDirectory))
            let spec = SandboxSpec(
                shellCommand: config.buildCommand, workingDirectory: inside + "/src" + (config.rootDir.isEmpty ? "" : "/" + config.rootDir),
                mounts: [workMount(workDirectory)], hiddenDirectory: configuration.layout.root,
                environment: buildEnvironment(project: project, run: run, home: inside + "/home"),
                user: configuration.sandboxUser(workspaceID: run.deployment.workspaceID)
            )
            let cgroup = try makeCgroup(for: run)
            defer {
                if let cgroup { try? cgroup.remove() }
            }
            let termination = try await SandboxedProcess.run(
                spec, in: sandbox, timeout: configuration.buildTimeout, handle: run.control.process, cgroup: cgroup
            ) { line in
                run.log?.append(LogLine(timestamp: Date(), stream: line.stream == .stdout ? .stdout : .stderr, stage: .build, text: line.text))
            }
            try run.checkStop()
            if let cgroup, cgroup.outOfMemoryKills() > 0 {
                throw PipelineError("the build ran out of memory (limits: \(configuration.buildLimits.summary))")
            }
            if termination.timedOut {
                throw PipelineError("the build ran longer than the build timeout (\(configuration.buildTimeout)) and was stopped")
            }
            guard termination.succeeded else { throw PipelineError("the build command \(termination.summary)") }
        }
        // Nothing of the build runs any more: what is checked now is what is stored.
        let buildID = UUID()
        let removed = try ArtifactStore(layout: configuration.layout).publish(
            workDirectory: workDirectory, rootDir: config.rootDir, outputDir: config.outputDir, as: buildID)
        try await store(buildID, removed: removed, project: project, run: run)
    }

    /// Records build `buildID`, whose files are in the artifact store already (`removed`: what its checks left out),
    /// after indexing a static site's files for the edge.
    func store(_ buildID: UUID, removed: SandboxFiles.Removed, project: Project, run: DeploymentRun) async throws {
        let config = run.deployment.config
        for path in removed.links.prefix(20) {
            run.system("Left out of the build: '\(path)' is a link that leads outside it", stage: .build)
        }
        for path in removed.specialFiles.prefix(20) {
            run.system("Left out of the build: '\(path)' is not a regular file", stage: .build)
        }
        if let indexer, config.kind == .static {
            // Walking and compressing a large build takes seconds: off Swift's cooperative threads.
            let directory = configuration.layout.buildDirectory(buildID)
            let report = try await withCheckedThrowingContinuation { continuation in
                DispatchQueue.global().async { continuation.resume(with: Result { try indexer.index(buildDirectory: directory) }) }
            }
            for note in report.notes { run.system(note, stage: .build) }
            run.system("Build indexed for the edge: \(report.files) file\(report.files == 1 ? "" : "s")", stage: .build)
        }
        try await deployments.createBuild(
            Build(id: buildID, workspaceID: project.workspaceID, projectID: project.id, commitID: run.deployment.commitID, createdAt: Timestamp.now())
        )
        run.deployment.buildID = buildID
        run.system("Build \(buildID.lowercased) stored", stage: .build)
    }

    /// A cgroup with the build limits, when the machine offers cgroups; a build without one still runs.
    private func makeCgroup(for run: DeploymentRun) throws -> BuildCgroup? {
        guard configuration.cgroups.isUsable else { return nil }
        let name = run.deployment.uid.lowercased
        do {
            return try BuildCgroup.create(name: name, limits: configuration.buildLimits, support: configuration.cgroups)
        } catch {
            run.system("Warning: no cgroup for this build (\(error)); it runs without memory and process limits", stage: .build)
            return nil
        }
    }

    private func buildEnvironment(project: Project, run: DeploymentRun, home: String) -> [String: String] {
        let deployment = run.deployment
        // The project's variables first: Slipway's own PATH, HOME and SLIPWAY_* facts win over them.
        let projectVariables = run.environmentVariables.mapValues(\.value)
        return projectVariables.merging([
            "PATH": Sandbox.defaultPath, "HOME": home, "LANG": "C.UTF-8", "CI": "true", "SLIPWAY": "1",
            "SLIPWAY_PROJECT": project.name, "SLIPWAY_DEPLOYMENT_ID": String(deployment.id),
            "SLIPWAY_DEPLOYMENT_UID": deployment.uid.lowercased, "SLIPWAY_ENVIRONMENT": deployment.environment.rawValue,
            "SLIPWAY_BRANCH": deployment.gitBranch, "SLIPWAY_COMMIT_SHA": deployment.commitID ?? "",
        ]) { _, slipway in slipway }
    }

    /// The deploy stage of a static site: one store transaction makes the deployment live (and production),
    /// then the route table switches in one step.
    private func goLive(_ run: DeploymentRun, project: Project) async throws {
        try await begin(.deploy, of: run)
        try await switchTraffic(run, project: project, lastStage: .deploy)
    }

    /// Makes the deployment live: it ends `success` (and production when it takes production) in one store
    /// transaction, then the route table points its URLs at it in one step.
    func switchTraffic(_ run: DeploymentRun, project: Project, lastStage: StageName) async throws {
        // Read the project again: a rollback may have pinned production while this deployment was building.
        let current = try await projects.project(id: project.id, workspaceID: project.workspaceID) ?? project
        let makeProduction = GitSourceRules.takesProduction(run.deployment, project: current)
        if run.deployment.environment == .production && !makeProduction {
            run.system(
                "Production is pinned after a rollback: this deployment does not take production (promote it or unpin the project)",
                stage: lastStage)
        }
        if run.deployment.trigger == .promote && current.productionPinned {
            // A promote is the user choosing production again: it unpins.
            try await projects.setProductionPinned(projectID: project.id, pinned: false)
        }
        try run.checkStop()
        let now = Timestamp.now()
        try run.deployment.progress.complete(lastStage, at: now)
        try run.deployment.progress.succeed(at: now)
        // The last line goes first, so that a log follower who sees the final state has every line already.
        run.system(makeProduction ? "✓ Deployment is live in production" : "✓ Deployment is live as a preview", stage: lastStage)
        try await deployments.saveLive(run.deployment, makeProduction: makeProduction)
        metrics?.finished(run.deployment)
        logger.info("deployment \(run.deployment.id) ended success")
        routes.set(RouteTable.entries(forLive: run.deployment, project: project, isProduction: makeProduction))
        activity.notify(run.deployment.uid)
    }

    func stage(_ name: StageName, of run: DeploymentRun, _ body: () async throws -> Void) async throws {
        try await begin(name, of: run)
        try await body()
        try run.checkStop()
        try run.deployment.progress.complete(name, at: Timestamp.now())
        try await save(run)
    }

    func begin(_ name: StageName, of run: DeploymentRun) async throws {
        try run.checkStop()
        try run.deployment.progress.begin(name, at: Timestamp.now())
        try await save(run)
    }

    private func skip(_ name: StageName, of run: DeploymentRun) async throws {
        try run.deployment.progress.skip(name, at: Timestamp.now())
        try await save(run)
    }

    func save(_ run: DeploymentRun) async throws {
        try await deployments.saveProgress(run.deployment)
        activity.notify(run.deployment.uid)
    }

    /// Ends the deployment `failed` or `canceled`. Its results were never made live, so what was live stays live.
    private func end(_ run: DeploymentRun, outcome: StopRequest) async {
        let stage = run.deployment.progress.activeStage
        do {
            switch outcome {
            case .cancel(let reason):
                run.system(reason == "killed" ? "✗ Deployment killed" : "✗ Deployment canceled: \(reason)", stage: stage)
                try run.deployment.progress.cancel(reason: reason, at: Timestamp.now())
            case .fail(let message):
                run.system("✗ Deployment failed: \(message)", stage: stage)
                try run.deployment.progress.fail(at: Timestamp.now())
                run.deployment.error = message
            case .abandon:
                // The lease is gone: another node has already ended this deployment. Write nothing.
                run.system("✗ This worker lost its lease on the deployment and stopped", stage: stage)
                return
            }
            logger.info("deployment \(run.deployment.id) ended \(run.deployment.state.rawValue)")
            try await deployments.saveProgress(run.deployment)
            metrics?.finished(run.deployment)
        } catch {
            logger.error("deployment \(run.deployment.id) could not be ended: \(error)")
        }
        activity.notify(run.deployment.uid)
    }

    static func seconds(_ duration: Duration) -> TimeInterval {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// The mutable state of one deployment while a runner works on it. Confined to the runner's task.
final class DeploymentRun: @unchecked Sendable {
    var deployment: Deployment
    let log: DeploymentLogWriter?
    let control: RunControl
    /// The env snapshot the deployment runs with, loaded in its initialize stage.
    var environmentVariables: EnvironmentVariables = [:]

    init(deployment: Deployment, log: DeploymentLogWriter?, control: RunControl) {
        self.deployment = deployment
        self.log = log
        self.control = control
    }

    func system(_ text: String, stage: StageName?) {
        log?.system(text, stage: stage)
    }

    /// Throws when someone asked the deployment to stop.
    func checkStop() throws {
        if control.stopRequest != nil { throw CancellationError() }
    }
}
