public import CoreMetrics
import NIOCore
import Synchronization

/// The edge's request figures (docs/operations.md "Metrics"), through swift-metrics' API from the factory the server
/// gives it (a Prometheus registry of its own; no global bootstrap).
///
/// The edge is hot: every counter and histogram of a bounded label combination (kind × status class) is made once,
/// here, so a request costs an array index, two counter increments and one histogram observation; no lookup through
/// the factory's lock. Only the upstream errors (502 and 504, per project) are looked up, on the error path.
public final class EdgeMetrics: Sendable {
    /// What answered a request: a static build's files, a service process through the proxy, or the API and dashboard.
    public enum Kind: Int, Sendable, CaseIterable {
        case `static` = 0
        case proxy = 1
        case api = 2

        /// The label value: `static`, `proxy`, `api`.
        public var label: String {
            switch self {
            case .static: "static"
            case .proxy: "proxy"
            case .api: "api"
            }
        }
    }

    /// `slipway_edge_requests_total{kind,status_class}`, at `kind * 5 + class - 1` (classes 1xx to 5xx).
    private let requests: [CoreMetrics.Counter]
    /// `slipway_edge_request_duration_seconds{kind}`, by `kind`.
    private let durations: [CoreMetrics.Timer]
    /// `slipway_edge_response_bytes_total{kind}`, by `kind`.
    private let responseBytes: [CoreMetrics.Counter]
    /// `slipway_edge_upstream_errors_total{project,status}`, made on the first error of each project and status.
    private let upstreamErrors: Mutex<[String: CoreMetrics.Counter]>
    private let factory: any MetricsFactory

    /// The metric names, for the factory's help texts and buckets and for the documentation.
    public enum Name {
        public static let requests = "slipway_edge_requests_total"
        public static let requestDuration = "slipway_edge_request_duration_seconds"
        public static let responseBytes = "slipway_edge_response_bytes_total"
        public static let upstreamErrors = "slipway_edge_upstream_errors_total"
    }

    /// The status classes, as labelled.
    static let statusClasses = ["1xx", "2xx", "3xx", "4xx", "5xx"]

    /// Makes every counter and histogram of the bounded label combinations through `factory`.
    public init(factory: any MetricsFactory) {
        self.factory = factory
        var requests: [CoreMetrics.Counter] = []
        var durations: [CoreMetrics.Timer] = []
        var responseBytes: [CoreMetrics.Counter] = []
        for kind in Kind.allCases {
            for statusClass in Self.statusClasses {
                requests.append(
                    CoreMetrics.Counter(label: Name.requests, dimensions: [("kind", kind.label), ("status_class", statusClass)], factory: factory))
            }
            durations.append(CoreMetrics.Timer(label: Name.requestDuration, dimensions: [("kind", kind.label)], factory: factory))
            responseBytes.append(CoreMetrics.Counter(label: Name.responseBytes, dimensions: [("kind", kind.label)], factory: factory))
        }
        self.requests = requests
        self.durations = durations
        self.responseBytes = responseBytes
        self.upstreamErrors = Mutex([:])
    }

    /// The monotonic time a request's duration starts from.
    @inline(__always)
    public static func now() -> UInt64 { NIODeadline.now().uptimeNanoseconds }

    /// Counts one answered request of `kind` with `status`, taken `nanoseconds` from its head to its answer, with
    /// `bytes` of response body.
    @inline(__always)
    public func record(_ kind: Kind, status: Int, nanoseconds: UInt64, bytes: Int) {
        let statusClass = min(max(status / 100, 1), 5) - 1
        requests[kind.rawValue &* 5 &+ statusClass].increment()
        durations[kind.rawValue].recordNanoseconds(Int64(truncatingIfNeeded: nanoseconds))
        if bytes > 0 { responseBytes[kind.rawValue].increment(by: bytes) }
    }

    /// Counts one request of `kind` that started at `start` (`now()`).
    @inline(__always)
    public func record(_ kind: Kind, status: Int, since start: UInt64, bytes: Int) {
        let end = Self.now()
        record(kind, status: status, nanoseconds: end &- start, bytes: bytes)
    }

    /// Counts a 502 or 504 the edge answered for a service of `project` (its process down, unreadable or too slow).
    public func recordUpstreamError(project: String, status: Int) {
        let key = project + " " + String(status)
        let counter = upstreamErrors.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = CoreMetrics.Counter(
                label: Name.upstreamErrors, dimensions: [("project", project), ("status", String(status))], factory: factory)
            counters[key] = counter
            return counter
        }
        counter.increment()
    }

    /// The project a route key belongs to: its last label (`hello`, `1a2b3c4d.hello`, `feature-x.hello` → `hello`);
    /// custom domains route by such keys too.
    static func project(ofRouteKey key: String) -> String {
        guard let dot = key.lastIndex(of: ".") else { return key }
        return String(key[key.index(after: dot)...])
    }
}
