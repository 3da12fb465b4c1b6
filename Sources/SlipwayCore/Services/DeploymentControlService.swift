import Foundation

/// Stops deployments that run on this node; the pipeline implements it.
public protocol DeploymentStopper: Sendable {
    /// Asks the worker running `deploymentID` to stop: SIGTERM to its process group and SIGKILL after the grace
    /// period, or SIGKILL at once when `immediately`. The deployment then ends `canceled` with `reason`.
    /// Returns false when no worker on this node runs it.
    func stop(deploymentID: Int64, reason: String, immediately: Bool) -> Bool
}

/// One line of the queue: a deployment waiting for a worker or being worked on.
public struct QueueEntry: Sendable, Equatable {
    public var deployment: Deployment
    public var projectName: String
    /// 1-based place among the waiting deployments of the workspace; nil for active ones.
    public var position: Int?
    /// Why a waiting deployment has not started (`FairShare.waitingReasons`); nil for active ones.
    public var waitingReason: WaitingReason?

    public init(deployment: Deployment, projectName: String, position: Int?, waitingReason: WaitingReason? = nil) {
        self.deployment = deployment
        self.projectName = projectName
        self.position = position
        self.waitingReason = waitingReason
    }
}

/// Cancel, kill, delete and the queue: the control use cases every dialect shares.
public struct DeploymentControlService: Sendable {
    public let projects: any ProjectRepository
    public let deployments: any DeploymentRepository
    public let control: any DeploymentControlRepository
    public let stopper: any DeploymentStopper
    public let activity: DeploymentActivity
    public let routes: RouteTable
    /// The service supervisor: a deleted deployment's process stops.
    public let runtime: (any ServiceRuntime)?
    /// Starts the processes of live service deployments again from their builds (the server's restoration), for
    /// a deployment a delete has put back in front of a URL: the previous deployment of a branch whose latest was
    /// deleted. It returns at once; the processes start and are health checked in the background.
    public let startServices: (@Sendable (_ live: [LiveDeployment], _ reason: String) -> Void)?
    public let files: any DeploymentFileStore
    public let queueSignal: WakeUpSignal
    /// How long `cancel` waits for a running deployment's processes to be gone before it answers.
    public let stopTimeout: Duration
    /// The most deployments a workspace may run at once (`--workspace-workers`), unless the install-wide limits set
    /// another: the queue says when a deployment waits for it.
    public let workspaceWorkers: Int
    /// The install-wide limits, read for the queue's reasons; nil: `workspaceWorkers` alone.
    public let installLimits: (any InstallLimitsRepository)?

    public init(
        projects: any ProjectRepository, deployments: any DeploymentRepository, control: any DeploymentControlRepository,
        stopper: any DeploymentStopper, activity: DeploymentActivity, routes: RouteTable, files: any DeploymentFileStore,
        queueSignal: WakeUpSignal, workspaceWorkers: Int, stopTimeout: Duration = .seconds(30), runtime: (any ServiceRuntime)? = nil,
        startServices: (@Sendable (_ live: [LiveDeployment], _ reason: String) -> Void)? = nil,
        installLimits: (any InstallLimitsRepository)? = nil
    ) {
        self.installLimits = installLimits
        self.runtime = runtime
        self.startServices = startServices
        self.projects = projects
        self.deployments = deployments
        self.control = control
        self.stopper = stopper
        self.activity = activity
        self.routes = routes
        self.files = files
        self.queueSignal = queueSignal
        self.stopTimeout = stopTimeout
        self.workspaceWorkers = workspaceWorkers
    }

    /// Cancels a queued or running deployment and returns it once it has ended (its processes are gone).
    /// `immediately` kills instead of terminating (the reason is then `killed`).
    public func cancel(deploymentID: Int64, reason: String?, immediately: Bool, by identity: Identity) async throws -> Deployment {
        let reason =
            immediately ? "killed" : (reason?.trimmingCharacters(in: .whitespacesAndNewlines)).flatMap { $0.isEmpty ? nil : $0 } ?? "canceled"
        if reason.count > 500 { throw SlipwayError.invalid(.name("reason"), "must be at most 500 characters") }
        let deployment = try await deployments.deployment(deploymentID, visibleTo: identity)
        guard !deployment.state.isFinished else {
            throw SlipwayError.conflict("deployment \(deployment.id) has already ended (\(deployment.state.rawValue))")
        }
        if let canceled = try await control.cancelIfQueued(deploymentID: deployment.id, reason: reason, at: Timestamp.now()) {
            activity.notify(canceled.uid)
            queueSignal.signal()
            return canceled
        }
        // It was claimed meanwhile, or was already running: stop its worker and wait for the end.
        let generation = activity.generation(of: deployment.uid)
        guard stopper.stop(deploymentID: deployment.id, reason: reason, immediately: immediately) else {
            let current = try await deployments.deployment(deploymentID, visibleTo: identity)
            if current.state.isFinished { throw SlipwayError.conflict("deployment \(current.id) has already ended (\(current.state.rawValue))") }
            throw SlipwayError.conflict("deployment \(current.id) is running on another node; cancel it there")
        }
        return try await waitForEnd(deployment, after: generation, identity)
    }

    /// Deletes a finished deployment: its record, its log, and its build when nothing else uses it.
    public func delete(deploymentID: Int64, force: Bool, by identity: Identity) async throws {
        let deployment = try await deployments.deployment(deploymentID, visibleTo: identity)
        guard let project = try await projects.project(id: deployment.projectID, workspaceID: identity.workspace.id) else {
            throw SlipwayError.notFound("deployment \(deploymentID) not found")
        }
        let ownKey = RouteKey.deployment(shortID: deployment.shortID, project: project.name)
        let aliases = routes.keys(pointingAt: deployment.id).filter { $0 != ownKey }
        try DeploymentRules.checkDelete(deployment, activeProductionID: project.productionDeploymentID, aliases: aliases, force: force)
        let releasedBuild = try await control.delete(deploymentID: deployment.id)
        let live = try await deployments.liveDeployments()
        routes.load(live)
        if let runtime {
            // The project's processes become what its routes now want: the deleted one stops, and a deployment the
            // delete put back in front of its branch's URL starts again (it was stopped when it was superseded).
            let wanted = ServicePlan.wanted(from: live.filter { $0.projectID == project.id })
            await runtime.retire(projectID: project.id, keeping: Set(wanted.map(\.deploymentID)))
            let running = Set(runtime.statuses(projectID: project.id).map(\.deploymentID))
            let stopped = wanted.filter { !running.contains($0.deploymentID) }
            if !stopped.isEmpty {
                startServices?(stopped, "deployment \(deployment.id) was deleted: this deployment is live again, starting its service")
            }
        }
        if let releasedBuild { try? files.removeBuild(releasedBuild) }
        try? files.removeLog(deploymentUID: deployment.uid)
        activity.notify(deployment.uid)
    }

    /// The workspace's waiting and active deployments: active first, then waiting oldest first, each with why it waits.
    public func queue(for identity: Identity) async throws -> [QueueEntry] {
        let unfinished = try await control.unfinishedDeployments(workspaceID: identity.workspace.id)
        var names: [Int64: String] = [:]
        for projectID in Set(unfinished.map(\.projectID)) {
            names[projectID] = try await projects.project(id: projectID, workspaceID: identity.workspace.id)?.name
        }
        let active = unfinished.filter { $0.state == .running }
        let waiting = unfinished.filter { $0.state == .queued }
        let limit = try await installLimits?.limits().workspaceWorkers ?? workspaceWorkers
        let reasons = FairShare.waitingReasons(unfinished: unfinished, workspaceWorkers: limit)
        let activeEntries = active.map { QueueEntry(deployment: $0, projectName: names[$0.projectID] ?? "", position: nil) }
        let waitingEntries = waiting.enumerated().map { index, deployment in
            QueueEntry(
                deployment: deployment, projectName: names[deployment.projectID] ?? "", position: index + 1,
                waitingReason: reasons[deployment.id] ?? .noFreeWorker
            )
        }
        return activeEntries + waitingEntries
    }

    private func waitForEnd(_ deployment: Deployment, after generation: UInt64, _ identity: Identity) async throws -> Deployment {
        let deadline = ContinuousClock.now + stopTimeout
        var seen = generation
        while true {
            let current = try await deployments.deployment(deployment.id, visibleTo: identity)
            if current.state.isFinished || ContinuousClock.now >= deadline { return current }
            await activity.wait(for: deployment.uid, after: seen, timeout: .seconds(1))
            seen = activity.generation(of: deployment.uid)
        }
    }

}
