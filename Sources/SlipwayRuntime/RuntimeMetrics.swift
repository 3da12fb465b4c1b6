public import CoreMetrics
import Synchronization

/// The runtime's figures (docs/operations.md "Metrics"): service restarts by project and reason, through swift-metrics'
/// API from the factory the server gives it. A project's counter is made at its first restart (restarts are rare).
public final class RuntimeMetrics: Sendable {
    /// The metric names, for the factory's help texts and for the documentation.
    public enum Name {
        public static let restarts = "slipway_service_restarts_total"
        public static let processes = "slipway_service_processes"
    }

    private let factory: any MetricsFactory
    private let restarts = Mutex<[String: CoreMetrics.Counter]>([:])

    /// The figures made through `factory`.
    public init(factory: any MetricsFactory) {
        self.factory = factory
    }

    /// A service process of `project` ended on its own and is restarted; `exitSummary` says how it ended
    /// (`exited with status 1`, `killed by signal 9`), counted by its bounded reason (`exit` or `signal`).
    func restarted(project: String, exitSummary: String) {
        let reason = Self.reason(exitSummary)
        let key = project + " " + reason
        let counter = restarts.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = CoreMetrics.Counter(label: Name.restarts, dimensions: [("project", project), ("reason", reason)], factory: factory)
            counters[key] = counter
            return counter
        }
        counter.increment()
    }

    /// The reason label of an exit summary: `signal` for a process killed by a signal, else `exit`.
    static func reason(_ exitSummary: String) -> String {
        exitSummary.contains("signal") ? "signal" : "exit"
    }
}
