import Foundation
import Logging
import ServiceLifecycle
import SlipwayCore
import SlipwayPipeline
import SlipwayRuntime

/// Starts the process of live service deployments again: every one at `slipway serve` start-up, before the edge
/// accepts traffic, and one a delete has put back in front of its URL. Each from its build with its config and env
/// snapshots, supervised from the start, and waited for until its health check passes (or its timeout ends: it
/// keeps being supervised and restarted either way).
///
/// The start-up restores are awaited by the start-up work. The ones a delete asks for are queued (`enqueue`: the
/// delete answers at once) and run as child tasks of this service's `run()`.
final class ServiceRestoration: Service {
    let supervisor: ServiceSupervisor
    let deployments: any DeploymentRepository
    let projects: any ProjectRepository
    let variables: any EnvironmentVariableRepository
    let logger: Logger
    private let requests = WorkQueue<Request>()

    private struct Request: Sendable {
        var live: [LiveDeployment]
        var reason: String
    }

    init(
        supervisor: ServiceSupervisor, deployments: any DeploymentRepository, projects: any ProjectRepository,
        variables: any EnvironmentVariableRepository, logger: Logger
    ) {
        self.supervisor = supervisor
        self.projects = projects
        self.deployments = deployments
        self.variables = variables
        self.logger = logger
    }

    /// Restores the services `live` needs in the background: the caller goes on at once, and the edge sends
    /// requests to each process as soon as it listens (until then it answers 502 "not running").
    func enqueue(_ live: [LiveDeployment], reason: String) {
        if !requests.add(Request(live: live, reason: reason)) {
            logger.warning("the server is stopping: \(ServicePlan.wanted(from: live).count) services are not started again")
        }
    }

    /// Runs the queued restores, each as a child task, until the server shuts down; then the ones in progress are
    /// cancelled (the supervisor, stopped after this service, stops their processes).
    func run() async {
        await cancelWhenGracefulShutdown { [requests] in
            await withDiscardingTaskGroup { group in
                await requests.drain { request in group.addTask { await self.restore(request.live, reason: request.reason) } }
            }
        }
    }

    /// Restores the services `live` needs, saying `reason` in each one's log; returns how many became healthy.
    @discardableResult
    func restore(_ live: [LiveDeployment], reason: String = "Slipway started: starting the service again") async -> Int {
        let wanted = ServicePlan.wanted(from: live)
        guard !wanted.isEmpty else { return 0 }
        logger.info("starting \(wanted.count) live service processes")
        return await withTaskGroup(of: Bool.self) { group in
            for deployment in wanted {
                group.addTask { await self.restore(deployment, reason: reason) }
            }
            var healthy = 0
            for await isHealthy in group where isHealthy { healthy += 1 }
            return healthy
        }
    }

    private func restore(_ live: LiveDeployment, reason: String) async -> Bool {
        do {
            guard let deployment = try await deployments.deployment(id: live.deploymentID),
                let project = try await projects.project(id: deployment.projectID, workspaceID: deployment.workspaceID)
            else { return false }
            let launch = ServiceLaunch(
                deploymentID: deployment.id, deploymentUID: deployment.uid, workspaceID: deployment.workspaceID,
                projectID: deployment.projectID, projectName: live.projectName,
                buildID: live.buildID, config: deployment.config.service, variables: try await variables.snapshot(of: deployment),
                image: DeploymentRunner.serviceImage(config: deployment.config, projectUID: project.uid, buildID: live.buildID),
                compose: try DeploymentRunner.composeSet(config: deployment.config, layout: supervisor.configuration.layout, buildID: live.buildID)
            )
            let log = supervisor.openLog(launch)
            log?.append(LogLine(timestamp: Date(), stream: .system, stage: nil, text: reason, isRuntime: true))
            _ = try await supervisor.start(launch) { line in
                var line = line
                line.isRuntime = true
                log?.append(line)
            }
            log?.close()
            await supervisor.adopt(deploymentID: deployment.id)
            try await supervisor.waitUntilHealthy(deploymentID: deployment.id)
            return true
        } catch {
            logger.error("deployment \(live.deploymentID) of \(live.projectName): the service did not come back healthy: \(error)")
            return false
        }
    }
}
