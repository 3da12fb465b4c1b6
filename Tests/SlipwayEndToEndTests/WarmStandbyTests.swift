import Foundation
import NIOHTTP1
import SlipwayClient
import SlipwayServer
import SlipwayTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Warm standby (docs/containers.md "Warm standby") with process services: the production version a deploy replaced
/// keeps running out of the route for `standby_window`; a rollback to it is a route switch, not a start; a standby that
/// crashes is dropped; a window of 0 keeps none.
@Suite struct WarmStandbyTests {
    static func deployVersion(_ app: TemporaryGitRepository, _ version: String, _ api: SlipwayClient, _ projectID: Int64) async throws
        -> DeploymentInfo
    {
        try app.write("version.txt", version)
        try app.commit(version)
        let deployment = try await ServiceDeploymentTests.deploy(api, projectID)
        #expect(deployment.state == "success", "\(deployment.error ?? "")")
        return deployment
    }

    @Test func aRollbackWithinTheWindowSwitchesToTheStandbyWithoutStartingAProcess() async throws {
        let app = try ServiceDeploymentTests.makeApp()
        try await TestServer.withServer { server in
            let api = server.client
            let project = try await ServiceDeploymentTests.createService(api, name: "warm", repository: app.path)
            #expect(try await api.project("warm").standbyWindow == 600)
            let first = try await ServiceDeploymentTests.deploy(api, project.id)
            #expect(first.state == "success", "\(first.error ?? "")")
            let second = try await Self.deployVersion(app, "v2", api, project.id)
            #expect(try await server.edge("warm").body == "v2\n")

            // The replaced production version still runs, out of the route, shown as standby.
            let processes = try #require(try await api.project("warm").services?.processes)
            #expect(processes.map(\.deploymentId) == [first.id, second.id])
            #expect(processes.map(\.state) == ["standby", "running"])
            let standby = processes[0]
            #expect(
                try await api.logs(second.id).data.contains {
                    $0.line == "Deployment \(first.id) stays running out of the route for 600 s (warm standby)"
                })

            let rollbackID = try #require(try await api.rollback(to: first.id).deploymentId)
            let rollback = try await api.waitForDeployment(rollbackID, timeout: .seconds(60))
            #expect(rollback.state == "success", "\(rollback.error ?? "")")
            #expect(try await server.edge("warm").body == "v1\n")
            let log = try await api.logs(rollbackID).data
            #expect(log.contains { $0.line.hasPrefix("Warm standby taken over: its process runs on 127.0.0.1:\(standby.port)") })
            #expect(!log.contains { $0.line.hasPrefix("Starting: ") || $0.line.hasPrefix("Health check: ") })
            // The same process serves the rollback; the version it replaced is the standby now.
            let after = try #require(try await api.project("warm").services?.processes)
            #expect(after.map(\.deploymentId) == [second.id, rollbackID])
            #expect(after.map(\.state) == ["standby", "running"])
            #expect(after[1].pid == standby.pid && after[1].port == standby.port)
            #expect(try await api.project("warm").services?.restartCount == 0)
        }
    }

    @Test func aWindowOfZeroKeepsNoStandbyAndAStandbyThatCrashesIsDropped() async throws {
        let app = try ServiceDeploymentTests.makeApp()
        try await TestServer.withServer { server in
            let api = server.client
            let project = try await ServiceDeploymentTests.createService(api, name: "cold", repository: app.path)

            // standby_window 0: the replaced version stops at once, as before warm standbys.
            let updated = try await api.updateProject("cold", ProjectUpdateRequest(standbyWindow: 0))
            #expect(updated.standbyWindow == 0)
            let first = try await ServiceDeploymentTests.deploy(api, project.id)
            #expect(first.state == "success", "\(first.error ?? "")")
            let second = try await Self.deployVersion(app, "v2", api, project.id)
            #expect(try await api.project("cold").services?.processes.map(\.deploymentId) == [second.id])
            #expect(!(try await api.logs(second.id).data.contains { $0.line.hasSuffix("(warm standby)") }))

            // Out of range: 422 naming the field.
            for body in [#"{"standby_window": -1}"#, #"{"standby_window": 86401}"#] {
                let (status, answer) = try await api.raw(.PATCH, "/api/v1/projects/cold", body: Data(body.utf8))
                #expect(status == 422)
                #expect(String(decoding: answer, as: UTF8.self).contains("standby_window"))
            }

            _ = try await api.updateProject("cold", ProjectUpdateRequest(standbyWindow: 300))
            let third = try await Self.deployVersion(app, "v3", api, project.id)
            let standby = try #require(try await api.project("cold").services?.processes.first { $0.state == "standby" })
            #expect(standby.deploymentId == second.id)
            #expect(try await api.logs(third.id).data.contains { $0.line.hasSuffix("for 300 s (warm standby)") })

            // Killed: dropped, not restarted, no restart recorded.
            #expect(kill(try #require(standby.pid), SIGKILL) == 0)
            let dropped = await ProcessTable.eventually(timeout: .seconds(20)) {
                (try? await api.project("cold").services?.processes.map(\.deploymentId)) == [third.id]
            }
            #expect(dropped)
            #expect(try await api.project("cold").services?.restartCount == 0)
            #expect(
                try await api.logs(second.id).data.contains {
                    $0.line.hasPrefix("The warm standby ") && $0.line.hasSuffix(": dropped, not restarted")
                })

            // A rollback to it now starts its process again and health checks it.
            let rollbackID = try #require(try await api.rollback(to: second.id).deploymentId)
            let rollback = try await api.waitForDeployment(rollbackID, timeout: .seconds(60))
            #expect(rollback.state == "success", "\(rollback.error ?? "")")
            let log = try await api.logs(rollbackID).data
            #expect(log.contains { $0.line.hasPrefix("Starting: perl app.pl") })
            #expect(!log.contains { $0.line.hasPrefix("Warm standby taken over") })
            #expect(try await server.edge("cold").body == "v2\n")
        }
    }
}
