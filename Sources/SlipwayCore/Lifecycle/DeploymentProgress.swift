public import Foundation

/// The deployment lifecycle as a value: state, stages and timestamps, changed only by events.
///
/// Each event checks that it is allowed in the current state and throws `LifecycleError` when it is not;
/// callers do the IO (persisting, publishing) after an event succeeded.
public struct DeploymentProgress: Sendable, Equatable {
    public private(set) var state: DeploymentState
    public private(set) var stages: [DeploymentStage]
    public private(set) var startedAt: Date?
    public private(set) var completedAt: Date?
    /// Why a deployment was skipped or canceled.
    public private(set) var reason: String?

    /// A new queued deployment: its `queued` stage is active from the moment it is created.
    public init(kind: ProjectKind, queuedAt: Date) {
        self.state = .queued
        self.stages = StageName.pipeline(for: kind).map { DeploymentStage(name: $0) }
        self.stages[0].status = .active
        self.stages[0].startedOn = queuedAt
    }

    /// Restores a progress read back from storage.
    public init(state: DeploymentState, stages: [DeploymentStage], startedAt: Date?, completedAt: Date?, reason: String?) {
        self.state = state
        self.stages = stages
        self.startedAt = startedAt
        self.completedAt = completedAt
        self.reason = reason
    }

    /// The stage that is running now, if any.
    public var activeStage: StageName? { stages.first { $0.status == .active }?.name }

    /// The last stage that has left `idle`, or the first one: what Cloudflare calls `latest_stage`.
    public var latestStage: DeploymentStage { stages.last { $0.status != .idle } ?? stages[0] }

    /// A worker took the deployment: `queued → running`.
    public mutating func start(at time: Date) throws(LifecycleError) {
        guard state == .queued else { throw .invalidTransition(from: state, event: "start") }
        try finishStage(.queued, as: .success, at: time)
        state = .running
        startedAt = time
    }

    /// A stage begins.
    public mutating func begin(_ stage: StageName, at time: Date) throws(LifecycleError) {
        guard state == .running else { throw .invalidTransition(from: state, event: "begin \(stage.rawValue)") }
        let index = try indexOf(stage)
        guard stages[index].status == .idle else { throw .stageNotIdle(stage, stages[index].status) }
        guard activeStage == nil else { throw .stageNotIdle(activeStage!, .active) }
        stages[index].status = .active
        stages[index].startedOn = time
    }

    /// The active stage ended well.
    public mutating func complete(_ stage: StageName, at time: Date) throws(LifecycleError) {
        guard state == .running else { throw .invalidTransition(from: state, event: "complete \(stage.rawValue)") }
        try finishStage(stage, as: .success, at: time)
    }

    /// A stage that does not apply to this deployment (reusing a build skips clone and build).
    public mutating func skip(_ stage: StageName, at time: Date) throws(LifecycleError) {
        guard state == .running else { throw .invalidTransition(from: state, event: "skip \(stage.rawValue)") }
        let index = try indexOf(stage)
        guard stages[index].status == .idle else { throw .stageNotIdle(stage, stages[index].status) }
        stages[index].status = .skipped
        stages[index].startedOn = time
        stages[index].endedOn = time
    }

    /// Every stage passed and the deployment is live: `running → success`.
    public mutating func succeed(at time: Date) throws(LifecycleError) {
        guard state == .running else { throw .invalidTransition(from: state, event: "succeed") }
        if let pending = stages.first(where: { $0.status == .idle || $0.status == .active }) {
            throw .stageNotFinished(pending.name)
        }
        state = .success
        completedAt = time
    }

    /// The deployment failed; the active stage is marked `failure`: `running → failed`.
    public mutating func fail(at time: Date) throws(LifecycleError) {
        guard state == .running else { throw .invalidTransition(from: state, event: "fail") }
        if let active = activeStage { try finishStage(active, as: .failure, at: time) }
        state = .failed
        completedAt = time
    }

    /// Someone canceled it; the active stage is marked `canceled`: `queued | running → canceled`.
    public mutating func cancel(reason: String, at time: Date) throws(LifecycleError) {
        guard state == .queued || state == .running else { throw .invalidTransition(from: state, event: "cancel") }
        if let active = activeStage {
            try finishStage(active, as: .canceled, at: time)
        } else if let next = stages.firstIndex(where: { $0.status == .idle }) {
            // Stopped between two stages: the one that was about to run is the one canceled.
            stages[next].status = .canceled
            stages[next].startedOn = time
            stages[next].endedOn = time
        }
        state = .canceled
        self.reason = reason
        completedAt = time
    }

    /// Its worker is gone (the server stopped or crashed): `queued | running → failed`, the active stage `failure`.
    public mutating func interrupt(at time: Date) throws(LifecycleError) {
        guard state == .queued || state == .running else { throw .invalidTransition(from: state, event: "interrupt") }
        if let active = activeStage { try finishStage(active, as: .failure, at: time) }
        if startedAt == nil { startedAt = time }
        state = .failed
        completedAt = time
    }

    /// It will never run (superseded, or filtered out by source rules): `queued → skipped`.
    public mutating func markSkipped(reason: String, at time: Date) throws(LifecycleError) {
        guard state == .queued else { throw .invalidTransition(from: state, event: "skip") }
        try finishStage(.queued, as: .skipped, at: time)
        state = .skipped
        self.reason = reason
        completedAt = time
    }

    private func indexOf(_ stage: StageName) throws(LifecycleError) -> Int {
        guard let index = stages.firstIndex(where: { $0.name == stage }) else { throw .unknownStage(stage) }
        return index
    }

    private mutating func finishStage(_ stage: StageName, as status: StageStatus, at time: Date) throws(LifecycleError) {
        let index = try indexOf(stage)
        guard stages[index].status == .active else { throw .stageNotActive(stage, stages[index].status) }
        stages[index].status = status
        stages[index].endedOn = time
    }
}

/// An event that the lifecycle does not allow in its current state: a bug in the caller, never user input.
public enum LifecycleError: Error, Equatable, CustomStringConvertible {
    case invalidTransition(from: DeploymentState, event: String)
    case unknownStage(StageName)
    case stageNotIdle(StageName, StageStatus)
    case stageNotActive(StageName, StageStatus)
    case stageNotFinished(StageName)

    public var description: String {
        switch self {
        case .invalidTransition(let state, let event): "cannot \(event) a deployment that is \(state.rawValue)"
        case .unknownStage(let stage): "this deployment has no \(stage.rawValue) stage"
        case .stageNotIdle(let stage, let status): "stage \(stage.rawValue) cannot begin: it is \(status.rawValue)"
        case .stageNotActive(let stage, let status): "stage \(stage.rawValue) cannot end: it is \(status.rawValue)"
        case .stageNotFinished(let stage): "stage \(stage.rawValue) has not finished"
        }
    }
}
