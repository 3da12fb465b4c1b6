import Foundation
import Logging
import SlipwayCore
import SlipwaySandbox

/// Takes one claimed deployment through its stages — initialize, clone_repo, build, deploy — and ends it
/// `success` (live) or `failed` with an error. Never throws: every outcome is written to the deployment.
public struct DeploymentRunner: Sendable {
    public struct Configuration: Sendable {
        public var layout: DataLayout
        public var sandbox: Sandbox
        public var buildTimeout: Duration

        public init(layout: DataLayout, sandbox: Sandbox, buildTimeout: Duration = .seconds(20 * 60)) {
            self.layout = layout
            self.sandbox = sandbox
            self.buildTimeout = buildTimeout
        }
    }

    let configuration: Configuration
    let projects: any ProjectRepository
    let deployments: any DeploymentRepository
    let routes: RouteTable
    let activity: DeploymentActivity
    let logger: Logger

    public init(
        configuration: Configuration, projects: any ProjectRepository, deployments: any DeploymentRepository, routes: RouteTable,
        activity: DeploymentActivity, logger: Logger
    ) {
        self.configuration = configuration
        self.projects = projects
        self.deployments = deployments
        self.routes = routes
        self.activity = activity
        self.logger = logger
    }

    /// Runs a deployment that `claimNext` has just started.
    public func run(_ deployment: Deployment) async {
        let log: DeploymentLogWriter
        do {
            log = try DeploymentLogWriter(path: configuration.layout.logFile(deployment.uid)) { [activity] in activity.notify(deployment.uid) }
        } catch {
            logger.error("deployment \(deployment.id): \(error)")
            await end(DeploymentRun(deployment: deployment, log: nil), failure: "\(error)")
            return
        }
        defer { log.close() }
        let run = DeploymentRun(deployment: deployment, log: log)
        let workDirectory = configuration.layout.workDirectory(deployment.uid)
        defer { try? FileManager.default.removeItem(atPath: workDirectory) }
        do {
            try await stages(of: run, workDirectory: workDirectory)
        } catch is CancellationError {
            await end(run, failure: "interrupted: the server stopped during the deployment")
        } catch {
            await end(run, failure: "\(error)")
        }
    }

    private func stages(of run: DeploymentRun, workDirectory: String) async throws {
        let deployment = run.deployment
        run.system(
            "Deployment \(deployment.id) (#\(deployment.sequenceNumber)) started: \(deployment.trigger.rawValue), "
                + "\(deployment.environment.rawValue), branch \(deployment.gitBranch)"
                + (deployment.commitID.map { ", commit \($0)" } ?? ""),
            stage: .queued
        )
        guard let project = try await projects.project(id: deployment.projectID, workspaceID: deployment.workspaceID) else {
            throw PipelineError("project \(deployment.projectID) no longer exists")
        }
        let sourceDirectory = workDirectory + "/src"
        try await stage(.initialize, of: run) {
            try FileManager.default.createDirectory(atPath: workDirectory + "/home", withIntermediateDirectories: true)
            let config = run.deployment.config
            run.system(
                "Build config: root_dir '\(config.rootDir)', build_command '\(config.buildCommand)', output_dir '\(config.outputDir)'",
                stage: .initialize
            )
            run.system("Sandbox: \(configuration.sandbox.isolation.summary)", stage: .initialize)
        }
        if let buildID = deployment.buildID {
            run.system(
                "Reusing build \(buildID.lowercased) of deployment \(deployment.rollbackOf.map(String.init) ?? "?"): no clone, no build",
                stage: .initialize)
            try await skip(.cloneRepo, of: run)
            try await skip(.build, of: run)
        } else {
            try await stage(.cloneRepo, of: run) {
                try await clone(project: project, into: sourceDirectory, run: run, home: workDirectory + "/home")
            }
            try await stage(.build, of: run) {
                try await build(project: project, sourceDirectory: sourceDirectory, workDirectory: workDirectory, run: run)
            }
        }
        try await goLive(run, project: project)
    }

    private func clone(project: Project, into directory: String, run: DeploymentRun, home: String) async throws {
        let deployment = run.deployment
        run.system(
            "Cloning \(project.repository) (branch \(deployment.gitBranch)\(deployment.commitID.map { ", commit \($0)" } ?? ""))", stage: .cloneRepo)
        let commit = try await GitCheckout(home: home).checkout(
            repository: project.repository, branch: deployment.gitBranch, commit: deployment.commitID, into: directory
        ) { line in run.system(line.text, stage: .cloneRepo) }
        run.deployment.commitID = commit.id
        run.deployment.commitAuthor = commit.author
        run.deployment.commitMessage = commit.message
        run.system("Checked out \(commit.id): \(commit.message.split(separator: "\n").first.map(String.init) ?? "")", stage: .cloneRepo)
    }

    private func build(project: Project, sourceDirectory: String, workDirectory: String, run: DeploymentRun) async throws {
        let config = run.deployment.config
        let buildDirectory = config.rootDir.isEmpty ? sourceDirectory : sourceDirectory + "/" + config.rootDir
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: buildDirectory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw PipelineError("root_dir '\(config.rootDir)' does not exist in the repository")
        }
        if config.buildCommand.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            run.system("No build command: publishing the files as they are", stage: .build)
        } else {
            run.system("Running: \(config.buildCommand)", stage: .build)
            let spec = SandboxSpec(
                shellCommand: config.buildCommand, workingDirectory: buildDirectory, writableDirectories: [workDirectory],
                hiddenDirectory: configuration.layout.root, environment: buildEnvironment(project: project, run: run, home: workDirectory + "/home")
            )
            let termination = try await ChildProcess.run(
                configuration.sandbox.command(for: spec), timeout: configuration.buildTimeout
            ) { line in
                run.log?.append(LogLine(timestamp: Date(), stream: line.stream == .stdout ? .stdout : .stderr, stage: .build, text: line.text))
            }
            try Task.checkCancellation()
            if termination.timedOut {
                throw PipelineError("the build ran longer than the build timeout (\(configuration.buildTimeout)) and was stopped")
            }
            guard termination.succeeded else { throw PipelineError("the build command \(termination.summary)") }
        }
        let outputDirectory = config.outputDir == "." ? buildDirectory : buildDirectory + "/" + config.outputDir
        guard FileManager.default.fileExists(atPath: outputDirectory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw PipelineError("the output directory '\(config.outputDir)' does not exist after the build")
        }
        let buildID = UUID()
        try ArtifactStore(layout: configuration.layout).publish(outputDirectory: outputDirectory, as: buildID)
        try await deployments.createBuild(
            Build(id: buildID, workspaceID: project.workspaceID, projectID: project.id, commitID: run.deployment.commitID, createdAt: Timestamp.now())
        )
        run.deployment.buildID = buildID
        run.system("Build \(buildID.lowercased) stored", stage: .build)
    }

    private func buildEnvironment(project: Project, run: DeploymentRun, home: String) -> [String: String] {
        let deployment = run.deployment
        return [
            "PATH": Sandbox.defaultPath, "HOME": home, "LANG": "C.UTF-8", "CI": "true", "SLIPWAY": "1",
            "SLIPWAY_PROJECT": project.name, "SLIPWAY_DEPLOYMENT_ID": String(deployment.id),
            "SLIPWAY_ENVIRONMENT": deployment.environment.rawValue, "SLIPWAY_BRANCH": deployment.gitBranch,
            "SLIPWAY_COMMIT_SHA": deployment.commitID ?? "",
        ]
    }

    /// The deploy stage of a static site: one store transaction makes the deployment live (and production),
    /// then the route table switches in one step.
    private func goLive(_ run: DeploymentRun, project: Project) async throws {
        try await begin(.deploy, of: run)
        let makeProduction = run.deployment.environment == .production
        let now = Timestamp.now()
        try run.deployment.progress.complete(.deploy, at: now)
        try run.deployment.progress.succeed(at: now)
        run.deployment.updatedAt = now
        try await deployments.saveLive(run.deployment, makeProduction: makeProduction)
        routes.set(RouteTable.entries(forLive: run.deployment, project: project, isProduction: makeProduction))
        activity.notify(run.deployment.uid)
        run.system(makeProduction ? "✓ Deployment is live in production" : "✓ Deployment is live as a preview", stage: .deploy)
    }

    private func stage(_ name: StageName, of run: DeploymentRun, _ body: () async throws -> Void) async throws {
        try await begin(name, of: run)
        try await body()
        try Task.checkCancellation()
        try run.deployment.progress.complete(name, at: Timestamp.now())
        try await save(run)
    }

    private func begin(_ name: StageName, of run: DeploymentRun) async throws {
        try Task.checkCancellation()
        try run.deployment.progress.begin(name, at: Timestamp.now())
        try await save(run)
    }

    private func skip(_ name: StageName, of run: DeploymentRun) async throws {
        try run.deployment.progress.skip(name, at: Timestamp.now())
        try await save(run)
    }

    private func save(_ run: DeploymentRun) async throws {
        run.deployment.updatedAt = Timestamp.now()
        try await deployments.saveProgress(run.deployment)
        activity.notify(run.deployment.uid)
    }

    /// Ends the deployment `failed`. Its results were never made live, so what was live stays live.
    private func end(_ run: DeploymentRun, failure message: String) async {
        run.system("✗ Deployment failed: \(message)", stage: run.deployment.progress.activeStage)
        logger.info("deployment \(run.deployment.id) failed: \(message)")
        do {
            try run.deployment.progress.fail(at: Timestamp.now())
            run.deployment.error = message
            run.deployment.updatedAt = Timestamp.now()
            try await deployments.saveProgress(run.deployment)
        } catch {
            logger.error("deployment \(run.deployment.id) could not be marked failed: \(error)")
        }
        activity.notify(run.deployment.uid)
    }
}

/// The mutable state of one deployment while a runner works on it. Confined to the runner's task.
final class DeploymentRun: @unchecked Sendable {
    var deployment: Deployment
    let log: DeploymentLogWriter?

    init(deployment: Deployment, log: DeploymentLogWriter?) {
        self.deployment = deployment
        self.log = log
    }

    func system(_ text: String, stage: StageName?) {
        log?.system(text, stage: stage)
    }
}
