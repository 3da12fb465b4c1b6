public import Foundation
public import SlipwayCore
import SlipwaySandbox
import Synchronization

extension DeploymentRunner {
    /// The last two stages of a service (DESIGN.md §2): `deploy` starts the new process on its own port;
    /// `health_check` polls it until it answers 2xx, switches the routes to it in one step, then drains and stops
    /// the processes no route needs any more. A process that exits or never becomes healthy fails the deployment
    /// and is stopped; what was live stays live.
    func goLiveAsService(_ run: DeploymentRun, project: Project) async throws {
        guard let runtime else { throw PipelineError("this server runs no service supervisor") }
        guard let buildID = run.deployment.buildID else { throw PipelineError("the deployment has no build to run") }
        let deployment = run.deployment
        let config = deployment.config.service
        let launch = ServiceLaunch(
            deploymentID: deployment.id, deploymentUID: deployment.uid, workspaceID: deployment.workspaceID, projectID: project.id,
            projectName: project.name,
            buildID: buildID, config: config, variables: run.environmentVariables,
            image: Self.serviceImage(config: deployment.config, projectUID: project.uid, buildID: buildID),
            compose: try Self.composeSet(config: deployment.config, layout: configuration.layout, buildID: buildID)
        )
        // The process's own lines go to the stage that runs while it prints them.
        let currentStage = Mutex(StageName.deploy)
        let log = run.log
        var started = false
        // The production deployment this one may replace: it becomes the warm standby.
        let replacedProduction = try await deployments.liveDeployments(projectID: project.id).first { $0.isProduction }?.deploymentID
        do {
            try await begin(.deploy, of: run)
            if let port = await runtime.takeOverStandby(for: launch) {
                // A rollback to the version a deploy just replaced: its process still runs, out of the route.
                started = true
                run.system("Warm standby taken over: its process runs on 127.0.0.1:\(port) (no start, no health check wait)", stage: .deploy)
                try run.checkStop()
                try run.deployment.progress.complete(.deploy, at: Timestamp.now())
                try await save(run)
                try await begin(.healthCheck, of: run)
                run.system("Switching traffic to the warm standby", stage: .healthCheck)
            } else {
                let port = try await runtime.start(launch) { line in
                    var line = line
                    line.stage = currentStage.withLock { $0 }
                    log?.append(line)
                }
                started = true
                run.system("Process started on 127.0.0.1:\(port)", stage: .deploy)
                try run.checkStop()
                try run.deployment.progress.complete(.deploy, at: Timestamp.now())
                try await save(run)

                try await begin(.healthCheck, of: run)
                currentStage.withLock { $0 = .healthCheck }
                run.system(
                    "Health check: GET \(config.healthCheckPath) on 127.0.0.1:\(port) until it answers 2xx "
                        + "(every \(ServiceConfig.text(seconds: config.healthCheckInterval)) s, "
                        + "at most \(ServiceConfig.text(seconds: config.healthCheckTimeout)) s)",
                    stage: .healthCheck
                )
                try await untilStopped(run) { try await runtime.waitUntilHealthy(deploymentID: deployment.id) }
                try run.checkStop()
                run.system("Healthy: switching traffic to this process", stage: .healthCheck)
            }
            try await switchTraffic(run, project: project, lastStage: .healthCheck)
        } catch {
            if started { await runtime.stop(deploymentID: deployment.id) }
            throw error
        }
        await runtime.adopt(deploymentID: deployment.id)
        // Every other process of the project that no URL needs any more gets its drain, then stops; the production
        // version this deployment replaced stays running out of the route for the project's standby window.
        let live = try await deployments.liveDeployments(projectID: project.id)
        let keeping = Set(ServicePlan.wanted(from: live).map(\.deploymentID)).union([deployment.id])
        let window = project.service.standbyWindow
        if let replacedProduction, !keeping.contains(replacedProduction), window > 0 {
            run.system(
                "Deployment \(replacedProduction) stays running out of the route for \(ServiceConfig.text(seconds: window)) s (warm standby)",
                stage: .healthCheck)
        }
        await runtime.retire(
            projectID: project.id, keeping: keeping, standby: replacedProduction, window: project.service.standbyWindowDuration)
    }

    /// Runs `body`, cancelling it as soon as someone asks the deployment to stop (then it throws CancellationError).
    private func untilStopped(_ run: DeploymentRun, _ body: @escaping @Sendable () async throws -> Void) async throws {
        let control = run.control
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await body()
                return true
            }
            group.addTask {
                await control.waitForStop()
                return false
            }
            defer { group.cancelAll() }
            guard try await group.next() == true else { throw CancellationError() }
        }
    }

    /// The image a service deployment runs: its build's image when its config snapshot builds with a Dockerfile, else nil
    /// (a process in its build directory).
    public static func serviceImage(config: BuildConfig, projectUID: UUID, buildID: UUID) -> String? {
        guard config.build.type == .dockerfile else { return nil }
        return ImageBuildSpec.imageName(project: projectUID.lowercased, buildID: buildID.lowercased)
    }
}
