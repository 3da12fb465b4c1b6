public import CoreMetrics
import Foundation
public import SlipwayCore

/// The pipeline's figures (docs/operations.md "Metrics"), through swift-metrics' API from the factory the server gives
/// it: deployments finished by state and trigger, each stage's duration, the time deployments waited in the queue, and
/// the builds running now. Every counter of the bounded label sets is made once, here.
public final class PipelineMetrics: Sendable {
    /// The metric names, for the factory's help texts and buckets and for the documentation.
    public enum Name {
        public static let finished = "slipway_deployments_finished_total"
        public static let stageDuration = "slipway_stage_duration_seconds"
        public static let queueWait = "slipway_queue_wait_seconds"
        public static let buildsRunning = "slipway_builds_running"
    }

    private let finished: [String: CoreMetrics.Counter]
    private let stageDurations: [StageName: CoreMetrics.Timer]
    private let queueWait: CoreMetrics.Timer
    private let buildsRunning: CoreMetrics.Meter

    /// Makes every counter and histogram through `factory`.
    public init(factory: any MetricsFactory) {
        var finished: [String: CoreMetrics.Counter] = [:]
        for state in DeploymentState.allCases where state.isFinished {
            for trigger in DeploymentTrigger.allCases {
                finished[Self.key(state, trigger)] = CoreMetrics.Counter(
                    label: Name.finished, dimensions: [("state", state.rawValue), ("trigger", trigger.rawValue)], factory: factory)
            }
        }
        self.finished = finished
        var stageDurations: [StageName: CoreMetrics.Timer] = [:]
        for stage in StageName.allCases where stage != .queued {
            stageDurations[stage] = CoreMetrics.Timer(label: Name.stageDuration, dimensions: [("stage", stage.rawValue)], factory: factory)
        }
        self.stageDurations = stageDurations
        self.queueWait = CoreMetrics.Timer(label: Name.queueWait, dimensions: [], factory: factory)
        self.buildsRunning = CoreMetrics.Meter(label: Name.buildsRunning, dimensions: [], factory: factory)
        buildsRunning.set(0)
    }

    private static func key(_ state: DeploymentState, _ trigger: DeploymentTrigger) -> String { state.rawValue + " " + trigger.rawValue }

    /// A claimed deployment starts running now: how long it waited since it was queued.
    func started(_ deployment: Deployment, at now: Date = Date()) {
        queueWait.recordNanoseconds(Self.nanoseconds(now.timeIntervalSince(deployment.createdAt)))
        buildsRunning.increment()
    }

    /// The runner is done with a deployment it started.
    func stopped() {
        buildsRunning.decrement()
    }

    /// A deployment this node ran ended (`success`, `failed`, `canceled`): counted by state and trigger, and the
    /// duration of every stage that ran to an end (succeeded or failed) observed.
    func finished(_ deployment: Deployment) {
        guard deployment.state.isFinished else { return }
        finished[Self.key(deployment.state, deployment.trigger)]?.increment()
        for stage in deployment.stages where stage.status == .success || stage.status == .failure {
            guard let timer = stageDurations[stage.name], let start = stage.startedOn, let end = stage.endedOn else { continue }
            timer.recordNanoseconds(Self.nanoseconds(end.timeIntervalSince(start)))
        }
    }

    private static func nanoseconds(_ seconds: TimeInterval) -> Int64 { Int64(max(0, seconds) * 1e9) }
}
