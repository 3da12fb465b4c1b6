import Foundation
public import Logging
public import ServiceLifecycle
public import SlipwayCore
public import SlipwaySandbox

/// Ends the deployments nobody works on any more — their worker died with its server, or stopped renewing its
/// lease — `failed` with error `interrupted`, after killing every process they left behind.
/// Runs once at start-up (for everything this node held before it restarted) and then periodically.
public struct LeaseReaper: Service {
    let deployments: any DeploymentRepository
    let control: any DeploymentControlRepository
    let activity: DeploymentActivity
    let layout: DataLayout
    let cgroups: CgroupSupport
    let interval: Duration
    let logger: Logger
    /// The container engine: an abandoned image build's processes, working containers and cgroups are removed with it.
    let containers: ContainerClient?

    public init(
        deployments: any DeploymentRepository, control: any DeploymentControlRepository, activity: DeploymentActivity, layout: DataLayout,
        cgroups: CgroupSupport = .unavailable(), interval: Duration = .seconds(15), containers: ContainerClient? = nil, logger: Logger
    ) {
        self.containers = containers
        self.cgroups = cgroups
        self.deployments = deployments
        self.control = control
        self.activity = activity
        self.layout = layout
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard !Task.isCancelled else { break }
                do {
                    try await reap(formerOwner: nil)
                } catch {
                    logger.error("lease reaper: \(error)")
                }
            }
        }
    }

    /// Ends every abandoned deployment; `formerOwner` is this node's own name at start-up. Returns how many.
    @discardableResult
    public func reap(formerOwner: String?) async throws -> Int {
        let abandoned = try await control.abandonedDeployments(at: Timestamp.now(), formerOwner: formerOwner)
        for var deployment in abandoned {
            if cgroups.isUsable { _ = try? await BuildCgroup.killAndRemove(name: deployment.uid.lowercased, support: cgroups) }
            // The engine process of an image build carries the variable too: it goes first, then what it started.
            let killed = OrphanProcesses.kill(environmentEntry: "SLIPWAY_DEPLOYMENT_UID=\(deployment.uid.lowercased)")
            if let containers, deployment.config.build.type != .command {
                await DeploymentRunner.removeContainerBuildLeftovers(of: deployment, client: containers)
            }
            try? FileManager.default.removeItem(atPath: layout.workDirectory(deployment.uid))
            let message = "interrupted: the worker running this deployment stopped before it finished"
            try? DeploymentLogWriter(path: layout.logFile(deployment.uid)).system(
                "✗ Deployment failed: \(message)" + (killed > 0 ? " (\(killed) leftover processes killed)" : ""),
                stage: deployment.progress.activeStage
            )
            try deployment.progress.interrupt(at: Timestamp.now())
            deployment.error = message
            try await deployments.saveProgress(deployment)
            activity.notify(deployment.uid)
            logger.warning("deployment \(deployment.id) was interrupted; \(killed) leftover processes killed")
        }
        return abandoned.count
    }
}
