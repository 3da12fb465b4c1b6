import Foundation
import Testing

@testable import SlipwayCore

@Suite struct ServiceRulesTests {
    @Test func theProcfileWebLineIsTheStartCommand() {
        #expect(Procfile.webCommand(in: "web: node server.js\n") == "node server.js")
        #expect(
            Procfile.webCommand(in: "# comment\nworker: sidekiq\n  web :  gunicorn app:app --bind 127.0.0.1:$PORT  \n")
                == "gunicorn app:app --bind 127.0.0.1:$PORT")
        #expect(Procfile.webCommand(in: "worker: sidekiq\n") == nil)
        #expect(Procfile.webCommand(in: "web:\n") == nil)
        #expect(Procfile.webCommand(in: "#web: old\n") == nil)
    }

    @Test func serviceSettingsNameEveryWrongField() {
        let settings = ServiceSettings(
            startCommand: "a\0b", port: 70000, healthCheckPath: "health", healthCheckTimeout: 0, healthCheckInterval: 0.001, drainTimeout: -1,
            standbyWindow: 86401
        )
        #expect(
            settings.problems.map { $0.field.rendered(.snakeCase) } == [
                "start_command", "port", "health_check_path", "health_check_timeout", "health_check_interval", "drain_timeout",
                "standby_window",
            ])
        #expect(ServiceSettings(standbyWindow: -1).problems.map { $0.field.rendered(.snakeCase) } == ["standby_window"])
        #expect(ServiceSettings(standbyWindow: 0).problems.isEmpty)
        #expect(ServiceConfig().standbyWindow == 600)
        #expect(ServiceSettings(port: 3000, healthCheckPath: "/up", healthCheckTimeout: 5).problems.isEmpty)
        let applied = ServiceSettings(clearPort: true, healthCheckPath: "/up").applied(to: ServiceConfig(startCommand: "x", port: 3000))
        #expect(applied == ServiceConfig(startCommand: "x", port: nil, healthCheckPath: "/up"))
    }

    @Test func projectsOfKindServiceAreAcceptedWithTheirSettings() throws {
        let project = try ProjectValidation.validateNew(
            ProjectSettings(name: "api", repository: "/srv/api", kind: .service, service: ServiceSettings(startCommand: "./api", port: 8000))
        )
        #expect(project.kind == .service)
        #expect(project.service == ServiceConfig(startCommand: "./api", port: 8000))
    }

    @Test func aSnapshotFromBeforeServicesReadsWithTheDefaults() throws {
        let old = #"{"kind":"static","root_dir":"","build_command":"make","output_dir":"dist"}"#
        let config = try JSONDecoder().decode(BuildConfig.self, from: Data(old.utf8))
        #expect(config.service == ServiceConfig())
        let roundTrip = try JSONDecoder().decode(
            BuildConfig.self,
            from: JSONEncoder().encode(
                BuildConfig(
                    kind: .service, rootDir: "", buildCommand: "", outputDir: ".", service: ServiceConfig(startCommand: "run", port: 9000))))
        #expect(roundTrip.service.port == 9000)
    }

    @Test func productionAndTheLatestOfEachBranchMustRun() {
        func live(_ id: Int64, project: Int64 = 1, branch: String, production: Bool = false, kind: ProjectKind = .service) -> LiveDeployment {
            LiveDeployment(
                deploymentID: id, uid: UUID(), projectID: project, projectName: "p\(project)", gitBranch: branch, buildID: UUID(),
                isProduction: production, kind: kind)
        }
        let wanted = ServicePlan.wanted(from: [
            live(1, branch: "main", production: true), live(2, branch: "main"), live(3, branch: "feature"), live(4, branch: "feature"),
            live(5, project: 2, branch: "main", kind: .static), live(6, project: 3, branch: "main", production: true),
        ])
        // A rollback kept 1 in production while 2 is the latest of main: both run.
        #expect(wanted.map(\.deploymentID) == [1, 2, 4, 6])
    }

    @Test func aDrainWaitsForTheRequestsInFlightAndNoLonger() async {
        let endpoints = ServiceEndpoints()
        endpoints.setPort(20001, for: 7)
        #expect(endpoints.beginRequest(to: 7)?.port == 20001)
        #expect(endpoints.beginRequest(to: 7)?.port == 20001)
        endpoints.removePort(of: 7)
        #expect(endpoints.beginRequest(to: 7) == nil)
        #expect(endpoints.inFlight(to: 7) == 2)
        #expect(await endpoints.waitUntilIdle(7, timeout: .milliseconds(50)) == false)
        Task {
            try? await Task.sleep(for: .milliseconds(20))
            endpoints.endRequest(to: 7)
            endpoints.endRequest(to: 7)
        }
        #expect(await endpoints.waitUntilIdle(7, timeout: .seconds(10)) == true)
        #expect(endpoints.inFlight(to: 7) == 0)
    }
}
