public import Foundation

/// What the runtime needs to start the process of one service deployment.
public struct ServiceLaunch: Sendable {
    public var deploymentID: Int64
    public var deploymentUID: UUID
    /// The workspace: its sandbox user runs the process.
    public var workspaceID: Int64
    public var projectID: Int64
    public var projectName: String
    /// The immutable build the process runs in.
    public var buildID: UUID
    /// The deployment's config snapshot: start command, port, health check, drain.
    public var config: ServiceConfig
    /// The deployment's env snapshot (values in clear; secrets are masked in its log lines).
    public var variables: EnvironmentVariables
    /// The image a container service runs (its build, `localhost/slipway/<project uid>:<build id>`); nil for a process
    /// that runs in its build directory.
    public var image: String?
    /// The set of containers a compose app runs (its build's `ComposeSet`); nil for every other service.
    public var compose: ComposeSet?

    public init(
        deploymentID: Int64, deploymentUID: UUID, workspaceID: Int64, projectID: Int64, projectName: String, buildID: UUID,
        config: ServiceConfig, variables: EnvironmentVariables, image: String? = nil, compose: ComposeSet? = nil
    ) {
        self.compose = compose
        self.image = image
        self.deploymentID = deploymentID
        self.deploymentUID = deploymentUID
        self.workspaceID = workspaceID
        self.projectID = projectID
        self.projectName = projectName
        self.buildID = buildID
        self.config = config
        self.variables = variables
    }
}

/// Why a service process could not be taken live: the message names what happened.
public struct ServiceFailure: Error, Sendable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// What a service process is doing now.
public enum ServiceState: String, Sendable, Codable {
    /// Started, not yet healthy (a deploy's health check or a restart).
    case starting
    /// Healthy and supervised.
    case running
    /// It exited; the supervisor starts it again after a pause.
    case restarting
    /// The production version just replaced: out of the route, kept running for its project's `standby_window` so that
    /// a rollback to it is a route switch; not restarted when it exits.
    case standby
}

/// One service process as the runtime sees it.
public struct ServiceStatus: Sendable, Equatable {
    public var deploymentID: Int64
    public var projectID: Int64
    public var port: Int
    public var state: ServiceState
    public var processID: Int32?
    public var startedAt: Date
    /// Restarts since `slipway serve` started (the store keeps every one).
    public var restarts: Int

    public init(deploymentID: Int64, projectID: Int64, port: Int, state: ServiceState, processID: Int32?, startedAt: Date, restarts: Int) {
        self.deploymentID = deploymentID
        self.projectID = projectID
        self.port = port
        self.state = state
        self.processID = processID
        self.startedAt = startedAt
        self.restarts = restarts
    }
}

/// The service supervisor as the pipeline and the API use it (implemented by `SlipwayRuntime`).
///
/// A deploy calls `start` (stage `deploy`), `waitUntilHealthy` (stage `health_check`), switches the routes, then
/// `adopt` (the process is live: supervised, restarted when it crashes, its output in the runtime log) and
/// `retire` (every other process of the project that no route needs any more is drained and stopped).
/// A deploy that fails calls `stop`.
public protocol ServiceRuntime: Sendable {
    /// Starts the process; its output lines go to `output` until `adopt`. Returns the port it must listen on.
    func start(_ launch: ServiceLaunch, output: @escaping @Sendable (LogLine) -> Void) async throws -> Int
    /// Polls the health check until it answers 2xx; throws `ServiceFailure` when the process exits or the timeout passes.
    func waitUntilHealthy(deploymentID: Int64) async throws
    /// The process is live: supervise it from now on.
    func adopt(deploymentID: Int64) async
    /// Drains and stops the project's processes that are not in `keeping`; `standby`'s process is drained out of the
    /// route and kept running for `window` instead (a warm standby), then stopped.
    func retire(projectID: Int64, keeping: Set<Int64>, standby: Int64?, window: Duration) async
    /// Takes over the project's warm standby for `launch` (a rollback to it) when it runs the same build with the same
    /// config, variables and image: it serves `launch.deploymentID` from now on, live, and its port is returned. Nil
    /// when there is none to take: the caller starts a process.
    func takeOverStandby(for launch: ServiceLaunch) async -> Int?
    /// Stops one process at once (SIGTERM, then SIGKILL after the grace period), without a drain.
    func stop(deploymentID: Int64) async
    /// The processes of a project, running or restarting.
    func statuses(projectID: Int64) -> [ServiceStatus]
    /// Removes what a deleted project kept between deployments (the named volumes of a compose app).
    func removeProjectData(projectUID: UUID) async
}

extension ServiceRuntime {
    /// Nothing is kept between deployments.
    public func removeProjectData(projectUID: UUID) async {}

    /// Drains and stops the project's processes that are not in `keeping`, with no standby.
    public func retire(projectID: Int64, keeping: Set<Int64>) async {
        await retire(projectID: projectID, keeping: keeping, standby: nil, window: .zero)
    }
}

/// Which deployments of service projects must have a running process: each project's production deployment and
/// the latest successful deployment of each branch (the targets of the production and branch URLs).
public enum ServicePlan {
    public static func wanted(from live: [LiveDeployment]) -> [LiveDeployment] {
        var latestOfBranch: [String: LiveDeployment] = [:]
        var wanted: [Int64: LiveDeployment] = [:]
        for deployment in live where deployment.kind == .service {
            if deployment.isProduction { wanted[deployment.deploymentID] = deployment }
            let key = "\(deployment.projectID)/\(deployment.gitBranch)"
            if deployment.deploymentID > latestOfBranch[key]?.deploymentID ?? 0 { latestOfBranch[key] = deployment }
        }
        for deployment in latestOfBranch.values { wanted[deployment.deploymentID] = deployment }
        return wanted.values.sorted { $0.deploymentID < $1.deploymentID }
    }
}
