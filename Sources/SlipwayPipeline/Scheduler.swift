import Foundation
public import Logging
public import ServiceLifecycle
public import SlipwayCore
import Synchronization

/// Claims queued deployments and runs them, at most `workers` at once; the store's claim keeps the fair share between
/// workspaces (round-robin, at most `workspaceWorkers` per workspace) and runs one deployment per project at a time. Woken at once by `WakeUpSignal` when something is queued; polls only as a fallback.
public final class Scheduler: Service {
    let control: any DeploymentControlRepository
    let runner: DeploymentRunner
    let workers: Int
    /// The most deployments one workspace may run at once (`--workspace-workers`), on every node together.
    let workspaceWorkers: Int
    let wakeUp: WakeUpSignal
    let pollInterval: Duration
    let logger: Logger
    private let running = Atomic<Int>(0)
    /// Set on graceful shutdown: no more claims.
    private let isStopping = Atomic<Bool>(false)

    public init(
        control: any DeploymentControlRepository, runner: DeploymentRunner, workers: Int, workspaceWorkers: Int,
        wakeUp: WakeUpSignal, pollInterval: Duration = .seconds(2), logger: Logger
    ) {
        self.control = control
        self.runner = runner
        self.workers = max(1, workers)
        self.workspaceWorkers = max(1, workspaceWorkers)
        self.wakeUp = wakeUp
        self.pollInterval = pollInterval
        self.logger = logger
    }

    /// Claims and runs deployments until the server shuts down. Then it claims no more and stops the running ones
    /// (they end `failed`, interrupted, and record it themselves: stopped, not cancelled, so that their last writes
    /// to the store go through), and returns once they have ended. Cancelled instead, they are cancelled too; what
    /// they could not record, the lease reaper ends at the next start.
    public func run() async throws {
        logger.info("scheduler started with \(workers) workers, at most \(workspaceWorkers) per workspace")
        await withDiscardingTaskGroup { group in
            await withGracefulShutdownHandler {
                while !Task.isCancelled && !self.isStopping.load(ordering: .sequentiallyConsistent) {
                    while self.running.load(ordering: .sequentiallyConsistent) < self.workers, let deployment = await self.claim() {
                        self.running.add(1, ordering: .sequentiallyConsistent)
                        group.addTask {
                            await self.runner.run(deployment)
                            self.running.subtract(1, ordering: .sequentiallyConsistent)
                            self.wakeUp.signal()
                        }
                    }
                    await self.wakeUp.wait(timeout: self.pollInterval)
                }
            } onGracefulShutdown: {
                self.isStopping.store(true, ordering: .sequentiallyConsistent)
                self.runner.running.stopAll(.fail(error: "interrupted: the server stopped during the deployment"))
                self.wakeUp.signal()
            }
        }
        logger.info("scheduler stopped")
    }

    private func claim() async -> Deployment? {
        guard !Task.isCancelled && !isStopping.load(ordering: .sequentiallyConsistent) else { return nil }
        do {
            let now = Timestamp.now()
            let configuration = runner.configuration
            return try await control.claimNext(
                at: now, owner: configuration.nodeName,
                leaseUntil: now.addingTimeInterval(DeploymentRunner.seconds(configuration.leaseDuration)), workspaceWorkers: workspaceWorkers
            )
        } catch {
            logger.error("cannot claim a deployment: \(error)")
            return nil
        }
    }
}
