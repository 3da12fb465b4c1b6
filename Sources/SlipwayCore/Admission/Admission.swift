import Foundation

/// One deployment to create, with everything that comes with its creation. Every way of creating a deployment
/// (deploy, rerun, rollback, promote, deploy-a-build, a git push) describes itself as admissions and hands them to
/// `DeploymentAdmission`, the one way into the queue.
public struct Admission: Sendable, Equatable {
    /// The deployment's record.
    public var deployment: NewDeployment
    /// Recorded `skipped` with this reason instead of queued (a push the source rules filter out). A skipped
    /// deployment takes no room in the queue.
    public var skipReason: String?
    /// Where its environment variables come from.
    public var variables: VariablesSource
    /// What it does to the project's production pin.
    public var productionPin: ProductionPinChange?
    /// Whether the queued `auto` deployments of the same branch older than it are skipped as superseded (a push:
    /// only the newest waiting commit of a branch is built).
    public var supersedesOlderPushes: Bool

    /// An admission; by default queued, variables taken at start, the pin untouched, nothing superseded.
    public init(
        _ deployment: NewDeployment, skipReason: String? = nil, variables: VariablesSource = .atStart,
        productionPin: ProductionPinChange? = nil, supersedesOlderPushes: Bool = false
    ) {
        self.deployment = deployment
        self.skipReason = skipReason
        self.variables = variables
        self.productionPin = productionPin
        self.supersedesOlderPushes = supersedesOlderPushes
    }

    /// Whether it waits in the queue (and so counts against the workspace's cap).
    public var isQueued: Bool { skipReason == nil }
}

/// Where a new deployment's environment variables come from (docs/env.md).
public enum VariablesSource: Sendable, Equatable {
    /// Taken when its build starts: the project's variables of its environment then, or, for one that reuses a
    /// build, the snapshot of the deployment it goes back to. A variable changed while it waits is the one it uses.
    case atStart
    /// A copy of another deployment's snapshot, made with the deployment (a promote runs with exactly what it
    /// promotes). When that deployment has none, it is taken at start instead.
    case copy(ofDeploymentID: Int64)
}

/// A change to a project's production pin (`GitSourceRules.takesProduction`).
public enum ProductionPinChange: Sendable, Equatable {
    /// Production stays where this deployment puts it: later pushes build but do not take it (a rollback).
    case pin
    /// Pushes to the production branch take production again (a promote).
    case unpin
}

/// The store refused admissions because the workspace's queue would pass its cap.
public struct QueueFull: Error, Sendable, Equatable {
    /// How many deployments of the workspace were waiting.
    public var waiting: Int
    /// The cap.
    public var cap: Int

    public init(waiting: Int, cap: Int) {
        self.waiting = waiting
        self.cap = cap
    }
}

extension Admission {
    /// The reason an `auto` deployment superseded by a newer push of the same branch is skipped.
    public static let supersededReason = "superseded_queued_build"
}
