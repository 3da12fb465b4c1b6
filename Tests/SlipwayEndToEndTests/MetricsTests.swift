import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import SlipwayCertificates
import SlipwayClient
import SlipwayServer
import SlipwayTesting
import Synchronization
import Testing

/// `/metrics` end to end over real HTTP (docs/operations.md): who may read it, that it is Prometheus' text format line
/// by line, and that its counters move with real deployments and real requests through the edge.
@Suite struct MetricsTests {
    struct Answer {
        var status: Int
        var contentType: String
        var body: String
    }

    static func get(_ url: String, token: String? = nil) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 16 << 20)
        return Answer(status: Int(response.status.code), contentType: response.headers["content-type"].first ?? "", body: String(buffer: body))
    }

    static func post(_ url: String, token: String, json: String) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: json))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        return Answer(status: Int(response.status.code), contentType: response.headers["content-type"].first ?? "", body: String(buffer: body))
    }

    /// The page with `token`, parsed strictly.
    static func page(_ server: TestServer, token: String) async throws -> PrometheusText {
        let answer = try await get(server.baseURL + "/metrics", token: token)
        #expect(answer.status == 200, "\(answer.body)")
        #expect(answer.contentType.hasPrefix("text/plain; version=0.0.4"))
        return try PrometheusText.parse(answer.body)
    }

    static func makeSite() throws -> TemporaryGitRepository {
        let repository = try TemporaryGitRepository()
        try repository.write("build.sh", "mkdir -p dist && echo '<h1>hi</h1>' > dist/index.html\n")
        try repository.commit("site")
        return repository
    }

    @Test func aMetricsTokenReadsThePageAndAReadTokenDoesNot() async throws {
        try await TestServer.withServer { server in
            let metrics = try #require(try await server.client.createToken(name: "prometheus", scopes: ["metrics"]).token)
            let read = try #require(try await server.client.createToken(name: "reader", scopes: ["read"]).token)
            #expect(try await Self.get(server.baseURL + "/metrics", token: read).status == 403)
            // `admin` does not imply `metrics`: the install's figures are not a workspace's power.
            #expect(try await Self.get(server.baseURL + "/metrics", token: server.adminToken).status == 403)
            #expect(try await Self.get(server.baseURL + "/metrics").status == 401)
            let page = try await Self.page(server, token: metrics)
            for name in [
                "slipway_deployments_created_total", "slipway_deployments_finished_total", "slipway_stage_duration_seconds",
                "slipway_queue_waiting", "slipway_queue_wait_seconds", "slipway_builds_running", "slipway_service_processes",
                "slipway_edge_requests_total", "slipway_edge_request_duration_seconds", "slipway_edge_response_bytes_total",
            ] {
                #expect(page.types[name] != nil, "\(name) is not on the page")
                #expect(page.help[name] != nil, "\(name) has no HELP")
            }
            // A metrics token does nothing else.
            #expect(try await Self.get(server.baseURL + "/api/v1/projects", token: metrics).status == 403)

            // Only an install administrator hands the scope out.
            let outsider = try await server.createWorkspace("outside")
            let refused = try await Self.post(server.baseURL + "/api/v1/tokens", token: outsider, json: #"{"name":"p","scopes":["metrics"]}"#)
            #expect(refused.status == 422)
            #expect(refused.body.contains("scopes"))
        }
    }

    @Test func countersMoveWithRealDeploymentsAndEdgeRequests() async throws {
        let site = try Self.makeSite()
        try await TestServer.withServer { server in
            let api = server.client
            let token = try #require(try await api.createToken(name: "prometheus", scopes: ["metrics"]).token)
            let before = try await Self.page(server, token: token)
            #expect(before.value("slipway_deployments_created_total", ["trigger": "manual"]) == 0)
            #expect(before.value("slipway_deployments_finished_total", ["state": "success", "trigger": "manual"]) == 0)
            #expect(before.sum("slipway_edge_requests_total", matching: ["kind": "static"]) == 0)

            let project = try await api.createProject(
                NewProjectRequest(name: "hello", repository: site.path, buildCommand: "sh build.sh", outputDir: "dist"))
            let queued = try await api.deploy(projectIDs: [project.id])
            let deployment = try await api.waitForDeployment(queued.deploymentIds[0])
            #expect(deployment.state == "success")
            var etag = ""
            for _ in 0..<3 {
                let answer = try await server.edge("hello")
                #expect(answer.status == 200)
                etag = answer.headers["etag"].first ?? ""
            }
            // A conditional request: 304.
            #expect(try await server.edge("hello", headers: [("If-None-Match", etag)]).status == 304)

            let after = try await Self.page(server, token: token)
            #expect(after.value("slipway_deployments_created_total", ["trigger": "manual"]) == 1)
            #expect(after.value("slipway_deployments_finished_total", ["state": "success", "trigger": "manual"]) == 1)
            #expect(after.value("slipway_deployments_finished_total", ["state": "failed", "trigger": "manual"]) == 0)
            for stage in ["initialize", "clone_repo", "build", "deploy"] {
                #expect(after.value("slipway_stage_duration_seconds_count", ["stage": stage]) == 1, "stage \(stage)")
            }
            #expect(after.value("slipway_queue_wait_seconds_count") == 1)
            #expect(after.value("slipway_builds_running") == 0)
            #expect(after.value("slipway_queue_waiting") == 0)
            #expect(after.value("slipway_edge_requests_total", ["kind": "static", "status_class": "2xx"]) == 3)
            #expect(after.value("slipway_edge_requests_total", ["kind": "static", "status_class": "3xx"]) == 1)
            #expect(after.value("slipway_edge_request_duration_seconds_count", ["kind": "static"]) == 4)
            #expect((after.value("slipway_edge_response_bytes_total", ["kind": "static"]) ?? 0) >= 3 * 12)
            // The API's own requests (the deploy, the waits, the first page) are counted as such.
            #expect(
                after.sum("slipway_edge_requests_total", matching: ["kind": "api"])
                    > before.sum("slipway_edge_requests_total", matching: ["kind": "api"]))
            // No label carries a deployment id or a path.
            for sample in after.samples {
                for value in sample.labels.values {
                    #expect(!value.contains("/") && value != String(deployment.id) && value != deployment.uid, "\(sample)")
                }
            }
        }
    }

    @Test func servicesCountProxiedRequestsRestartsAndUpstreamErrors() async throws {
        let app = try ServiceDeploymentTests.makeApp()
        try await TestServer.withServer { server in
            let api = server.client
            let token = try #require(try await api.createToken(name: "prometheus", scopes: ["metrics"]).token)
            let project = try await ServiceDeploymentTests.createService(api, name: "svc", repository: app.path)
            let deployment = try await ServiceDeploymentTests.deploy(api, project.id)
            #expect(deployment.state == "success")
            for _ in 0..<2 { #expect(try await server.edge("svc").body == "v1\n") }
            let live = try await Self.page(server, token: token)
            #expect(live.value("slipway_edge_requests_total", ["kind": "proxy", "status_class": "2xx"]) == 2)
            #expect(live.value("slipway_service_processes") == 1)

            // The app kills itself: the edge answers 502 (counted for the project) and the supervisor restarts it.
            let crashed = try? await server.edge("svc", "/crash")
            #expect(crashed.map { $0.status == 502 } ?? true)
            var restarted: PrometheusText?
            for _ in 0..<600 {
                let page = try await Self.page(server, token: token)
                if page.sum("slipway_service_restarts_total", matching: ["project": "svc"]) >= 1 {
                    restarted = page
                    break
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            let page = try #require(restarted, "no restart was counted")
            // How the process ended: a signal, or an exit status (the shell that ran it says 137 for a SIGKILL).
            let restarts = page.samples.filter { $0.name == "slipway_service_restarts_total" && $0.labels["project"] == "svc" }
            #expect(restarts.map(\.value) == [1])
            #expect(restarts.allSatisfy { ["exit", "signal"].contains($0.labels["reason"]) })
            if crashed?.status == 502 {
                #expect(page.value("slipway_edge_upstream_errors_total", ["project": "svc", "status": "502"]) == 1)
            }
        }
    }

    @Test func aCustomDomainsCertificateShowsItsDaysLeft() async throws {
        let site = try Self.makeSite()
        try await TestServer.withServer { server in
            let api = server.client
            let token = try #require(try await api.createToken(name: "prometheus", scopes: ["metrics"]).token)
            _ = try await api.createProject(NewProjectRequest(name: "shop", repository: site.path, buildCommand: "sh build.sh", outputDir: "dist"))
            let certificate = try SelfSignedCertificate.make(names: ["shop.example.test"], validity: 30 * 24 * 3600)
            _ = try await api.addDomain(
                project: "shop", hostname: "shop.example.test",
                certificate: CertificateFiles(chainPEM: certificate.certificatePEM, privateKeyPEM: certificate.privateKeyPEM))
            _ = try await api.addDomain(project: "shop", hostname: "bare.example.test")
            let page = try await Self.page(server, token: token)
            let days = try #require(page.value("slipway_certificate_days_left", ["domain": "shop.example.test"]))
            #expect(days > 29 && days <= 30)
            // A domain without a certificate has no figure.
            #expect(page.value("slipway_certificate_days_left", ["domain": "bare.example.test"]) == nil)
        }
    }

    @Test func theMetricsAddressServesThePageWithoutAToken() async throws {
        try await TestServer.withServer(configure: { $0.metricsAddress = ListenAddress(host: "127.0.0.1", port: 0) }) { server in
            let port = try #require(server.metricsPort)
            let answer = try await Self.get("http://127.0.0.1:\(port)/metrics")
            #expect(answer.status == 200)
            let page = try PrometheusText.parse(answer.body)
            #expect(page.types["slipway_edge_requests_total"] == "counter")
            #expect(try await Self.get("http://127.0.0.1:\(port)/api/v1/projects").status == 404)
            // The API host still wants the scope.
            #expect(try await Self.get(server.baseURL + "/metrics").status == 401)
        }
    }

    @Test func metricsOffServesNoPage() async throws {
        try await TestServer.withServer(configure: { $0.metricsEnabled = false }) { server in
            let token = try #require(try await server.client.createToken(name: "prometheus", scopes: ["metrics"]).token)
            #expect(try await Self.get(server.baseURL + "/metrics", token: token).status == 404)
        }
    }

    @Test func theSettingsComeFromTheirVariables() throws {
        #expect(try SlipwayConfiguration.fromEnvironment([:]).metricsEnabled)
        #expect(try SlipwayConfiguration.fromEnvironment(["SLIPWAY_METRICS": "off"]).metricsEnabled == false)
        #expect(
            try SlipwayConfiguration.fromEnvironment(["SLIPWAY_METRICS_ADDRESS": "127.0.0.1:9090"]).metricsAddress
                == ListenAddress(host: "127.0.0.1", port: 9090))
        #expect(try ListenAddress.parse("[::1]:9090", name: "x") == ListenAddress(host: "::1", port: 9090))
        for bad in ["9090", "host:", ":9090", "host:70000", "a b:1"] {
            #expect(throws: ConfigurationError.self) { try ListenAddress.parse(bad, name: "--metrics-address") }
        }
        #expect(throws: ConfigurationError.self) { try SlipwayConfiguration.fromEnvironment(["SLIPWAY_METRICS": "maybe"]) }
    }
}

/// The strict reader the metrics tests rely on: it must refuse what is not Prometheus' text format.
@Suite struct PrometheusTextTests {
    @Test func aWellFormedPageIsRead() throws {
        let page = try PrometheusText.parse(
            """
            # HELP requests_total Requests.
            # TYPE requests_total counter
            requests_total{kind="static",status_class="2xx"} 3
            requests_total{kind="api",status_class="4xx"} 1
            # TYPE wait_seconds histogram
            wait_seconds_bucket{le="0.5"} 1
            wait_seconds_bucket{le="+Inf"} 2
            wait_seconds_sum 1.25
            wait_seconds_count 2

            """)
        #expect(page.value("requests_total", ["kind": "static", "status_class": "2xx"]) == 3)
        #expect(page.sum("requests_total") == 4)
        #expect(page.help["requests_total"] == "Requests.")
    }

    @Test(arguments: [
        "a_total 1\n",  // no TYPE
        "# TYPE a_total counter\na_total{x=\"1\" 1\n",  // unclosed labels
        "# TYPE a_total counter\na_total{x=1} 1\n",  // unquoted value
        "# TYPE a_total counter\na_total one\n",  // not a number
        "# TYPE a_total counter\n# TYPE a_total counter\n",  // typed twice
        "# TYPE a_total counter\na_total -1\n",  // a negative count
        "# TYPE a_total counter\na_total 1",  // no final newline
        "# note\n",  // a free comment
        "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",  // falling buckets
        "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n",  // no +Inf
        "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 1\n",  // count differs
        "# TYPE 1a counter\n",  // a bad name
    ])
    func aMalformedPageIsRefused(text: String) {
        #expect(throws: PrometheusText.Problem.self) { try PrometheusText.parse(text) }
    }
}
