import CoreMetrics
import Prometheus
import SlipwayEdge
import SlipwayPipeline
import SlipwayRuntime

/// The swift-metrics factory of one server: every metric the layers make goes into this server's own
/// `PrometheusCollectorRegistry`, with the help text and the histogram buckets of `MetricCatalog`. Injected into
/// each layer, never installed with `MetricsSystem.bootstrap` (once per process): the tests run many servers in one
/// process, each with its own page.
struct SlipwayMetricsFactory: MetricsFactory {
    let registry: PrometheusCollectorRegistry

    private func descriptor(_ label: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: label, unitName: "", helpText: MetricCatalog.help[label] ?? "")
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(descriptor: descriptor(label), labels: dimensions)
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        registry.makeCounter(descriptor: descriptor(label), labels: dimensions)
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard aggregate else { return registry.makeGauge(descriptor: descriptor(label), labels: dimensions) }
        return registry.makeValueHistogram(
            descriptor: descriptor(label), labels: dimensions, buckets: MetricCatalog.valueBuckets[label] ?? MetricCatalog.defaultValueBuckets)
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(descriptor: descriptor(label), labels: dimensions)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        registry.makeDurationHistogram(
            descriptor: descriptor(label), labels: dimensions,
            buckets: MetricCatalog.durationBuckets[label] ?? MetricCatalog.defaultDurationBuckets)
    }

    func destroyCounter(_ handler: any CounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    func destroyRecorder(_ handler: any RecorderHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
        if let histogram = handler as? ValueHistogram { registry.unregisterValueHistogram(histogram) }
    }

    func destroyMeter(_ handler: any MeterHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
    }

    func destroyTimer(_ handler: any TimerHandler) {
        if let histogram = handler as? DurationHistogram { registry.unregisterDurationHistogram(histogram) }
    }
}

/// Every metric's help text and buckets, in one place (docs/operations.md lists the same).
enum MetricCatalog {
    static let deploymentsCreated = "slipway_deployments_created_total"
    static let queueWaiting = "slipway_queue_waiting"
    static let certificateDaysLeft = "slipway_certificate_days_left"

    static let help: [String: String] = [
        deploymentsCreated: "Deployments created, by trigger.",
        PipelineMetrics.Name.finished: "Deployments this node ran that ended, by final state and trigger.",
        PipelineMetrics.Name.stageDuration: "How long each stage of a deployment took (stages that ran to an end).",
        PipelineMetrics.Name.queueWait: "How long deployments waited in the queue before a worker started them.",
        PipelineMetrics.Name.buildsRunning: "Deployments running on this node now.",
        queueWaiting: "Deployments waiting in the queue now, in every workspace.",
        certificateDaysLeft: "Days until the certificate of each custom domain that has one expires (negative: expired).",
        RuntimeMetrics.Name.processes: "Service processes this node holds now (starting, live or draining).",
        RuntimeMetrics.Name.restarts: "Service processes restarted after they ended on their own, by project and reason (exit or signal).",
        EdgeMetrics.Name.requests: "Requests the edge answered, by kind (static, proxy, api) and status class.",
        EdgeMetrics.Name.requestDuration: "Time from a request's head to its answer, by kind.",
        EdgeMetrics.Name.responseBytes: "Response body bytes the edge sent, by kind.",
        EdgeMetrics.Name.upstreamErrors: "502 and 504 answers for service projects (process down, unreadable or too slow), by project and status.",
    ]

    static let defaultDurationBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
        .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    /// Deployments' stages and queue waits last seconds to many minutes.
    static let deploymentBuckets: [Duration] = [
        .milliseconds(100), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
        .seconds(120), .seconds(300), .seconds(600), .seconds(1200), .seconds(3600),
    ]

    /// Edge requests take microseconds (a cached file) to seconds (a slow service).
    static let requestBuckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
        .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    static let durationBuckets: [String: [Duration]] = [
        PipelineMetrics.Name.stageDuration: deploymentBuckets,
        PipelineMetrics.Name.queueWait: deploymentBuckets,
        EdgeMetrics.Name.requestDuration: requestBuckets,
    ]

    static let defaultValueBuckets: [Double] = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000]
    static let valueBuckets: [String: [Double]] = [:]
}
