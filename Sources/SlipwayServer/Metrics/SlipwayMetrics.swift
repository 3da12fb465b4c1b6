import CoreMetrics
import Foundation
import Hummingbird
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle
import SlipwayCore
import SlipwayEdge
import SlipwayPipeline
import SlipwayRuntime
import SlipwayStore

/// One server's metrics: its own Prometheus registry, the figures each layer records into it (made once, through
/// `SlipwayMetricsFactory`), and the page (`/metrics`, Prometheus' text format) that reads the gauges of the moment
/// (the queue, the service processes) just before it is written.
final class SlipwayMetrics: Sendable {
    /// The registry the page is written from.
    let registry: PrometheusCollectorRegistry
    let factory: SlipwayMetricsFactory
    /// The edge's requests.
    let edge: EdgeMetrics
    /// The pipeline's deployments and stages.
    let pipeline: PipelineMetrics
    /// The runtime's restarts.
    let runtime: RuntimeMetrics
    private let created: [DeploymentTrigger: CoreMetrics.Counter]
    private let queueWaiting: CoreMetrics.Meter
    private let serviceProcesses: CoreMetrics.Meter

    /// Empty figures in a registry of their own.
    init() {
        let registry = PrometheusCollectorRegistry()
        let factory = SlipwayMetricsFactory(registry: registry)
        self.registry = registry
        self.factory = factory
        self.edge = EdgeMetrics(factory: factory)
        self.pipeline = PipelineMetrics(factory: factory)
        self.runtime = RuntimeMetrics(factory: factory)
        var created: [DeploymentTrigger: CoreMetrics.Counter] = [:]
        for trigger in DeploymentTrigger.allCases {
            created[trigger] = CoreMetrics.Counter(
                label: MetricCatalog.deploymentsCreated, dimensions: [("trigger", trigger.rawValue)], factory: factory)
        }
        self.created = created
        self.queueWaiting = CoreMetrics.Meter(label: MetricCatalog.queueWaiting, dimensions: [], factory: factory)
        self.serviceProcesses = CoreMetrics.Meter(label: RuntimeMetrics.Name.processes, dimensions: [], factory: factory)
        queueWaiting.set(0)
        serviceProcesses.set(0)
    }

    /// Counts deployments just created.
    func created(_ deployments: [Deployment]) {
        for deployment in deployments { created[deployment.trigger]?.increment() }
    }

    /// The page in Prometheus' text format (version 0.0.4), with the gauges of the moment read first.
    func page(store: SQLStore, supervisor: ServiceSupervisor) async -> String {
        if let waiting = try? await store.queuedDeploymentCount() { queueWaiting.set(waiting) }
        serviceProcesses.set(supervisor.processCount)
        if let domains = try? await store.domains.allDomains() {
            let now = Date()
            for domain in domains {
                guard let notAfter = domain.certificate.notAfter else { continue }
                // Bounded by the custom domains the install has (a domain removed keeps its last figure until restart).
                registry.makeGauge(descriptor: certificateDaysLeft, labels: [("domain", domain.hostname)])
                    .set(notAfter.timeIntervalSince(now) / 86_400)
            }
        }
        return registry.emitToString()
    }

    private var certificateDaysLeft: MetricNameDescriptor {
        MetricNameDescriptor(
            metricName: MetricCatalog.certificateDaysLeft, unitName: "", helpText: MetricCatalog.help[MetricCatalog.certificateDaysLeft] ?? "")
    }

    /// The content type of the page.
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"
}

/// The admissions of the store, counting every deployment created (`slipway_deployments_created_total{trigger}`):
/// every deployment, whoever asks for it, comes through here (`DeploymentAdmission`).
struct CountedAdmissions: DeploymentAdmissionRepository {
    let store: any DeploymentAdmissionRepository
    let metrics: SlipwayMetrics

    func admit(_ admissions: [Admission], workspaceID: Int64, queueCap: Int, at time: Date) async throws -> [Deployment] {
        let created = try await store.admit(admissions, workspaceID: workspaceID, queueCap: queueCap, at: time)
        metrics.created(created)
        return created
    }
}

extension SlipwayMetrics {
    /// The listener of `--metrics-address`: `GET /metrics` without authentication, nothing else.
    func listener(
        address: ListenAddress, store: SQLStore, supervisor: ServiceSupervisor, logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void
    ) -> some Service {
        let router = Router()
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: Self.contentType],
                body: ResponseBody(byteBuffer: ByteBuffer(string: await self.page(store: store, supervisor: supervisor))))
        }
        return Application(
            router: router, configuration: .init(address: .hostname(address.host, port: address.port), serverName: "Slipway"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? address.port) }, logger: logger)
    }
}
