import Foundation
import NIOHTTP1
import SlipwayClient
import SlipwayServer
import SlipwayTesting
import Testing

/// Cancel that really stops, kill, the queue and its cap, delete rules, timeouts, the log cap, retention and the
/// sandbox, with real builds.
@Suite struct DeploymentControlTests {
    struct Stopped: Decodable {
        var status: String
        var message: String
        var deployment: DeploymentInfo
    }

    /// A repository whose build runs `script` (and writes dist/index.html with `message` when it gets that far).
    func makeSite(script: String, message: String = "v1") throws -> TemporaryGitRepository {
        let repository = try TemporaryGitRepository()
        try repository.write("build.sh", script + "\nmkdir -p dist && echo \(message) > dist/index.html\n")
        try repository.commit("site")
        return repository
    }

    func createProject(_ api: SlipwayClient, name: String, site: TemporaryGitRepository) async throws -> ProjectInfo {
        try await api.createProject(NewProjectRequest(name: name, repository: site.path, buildCommand: "sh build.sh", outputDir: "dist"))
    }

    /// Waits until the deployment's log shows `text`.
    func waitForLog(_ api: SlipwayClient, _ id: Int64, contains text: String) async throws {
        let seen = try await ProcessTable.eventually(timeout: .seconds(30)) {
            try await api.logs(id).data.contains { $0.line.contains(text) }
        }
        #expect(seen, "the log of deployment \(id) never showed '\(text)'")
    }

    @Test func cancelStopsEveryProcessOfTheBuildAndTheNextDeploymentRuns() async throws {
        let marker = ProcessTable.uniqueSleepDuration()
        let site = try makeSite(script: "sleep \(marker) &\n(setsid sleep \(marker) &)\necho started\nsleep \(marker)")
        try await TestServer.withServer { server in
            let api = server.client
            let project = try await createProject(api, name: "slow", site: site)
            let first = try await api.deploy(projectIDs: [project.id]).deploymentIds[0]
            let second = try await api.deploy(projectIDs: [project.id]).deploymentIds[0]
            try await waitForLog(api, first, contains: "started")
            #expect(await ProcessTable.eventually { ProcessTable.matching(marker).count == 3 })
            #expect(try await api.deployment(second).state == "queued")

            let stopped: Stopped = try await api.send(.POST, "/api/v1/deployments/\(first)/cancel", body: ["reason": "wrong branch"])
            #expect(stopped.message == "Deployment canceled.")
            #expect(stopped.deployment.state == "canceled")
            #expect(stopped.deployment.status == 4)
            #expect(stopped.deployment.stages.first { $0.name == "build" }?.status == "canceled")
            #expect(stopped.deployment.stages.first { $0.name == "deploy" }?.status == "idle")
            #expect(ProcessTable.matching(marker).isEmpty, "processes of the canceled build survived: \(ProcessTable.matching(marker))")
            #expect(try await server.edge("slow").status == 404)
            let log = try await api.deployment(first).output?.systemPayload ?? []
            #expect(log.contains { $0.hasSuffix("✗ Deployment canceled: wrong branch") })

            // The next queued deployment of the project runs (and is canceled by a kill in its turn).
            try await waitForLog(api, second, contains: "started")
            let killed: Stopped = try await api.send(.POST, "/api/v1/deployments/\(second)/kill")
            #expect(killed.message == "Deployment killed.")
            #expect(killed.deployment.state == "canceled")
            #expect(ProcessTable.matching(marker).isEmpty)
            let (_, data) = try await api.raw(.GET, "/api/v1/deployments/\(second)")
            #expect(String(decoding: data, as: UTF8.self).contains(#""reason":"killed""#))

            // Ended deployments cannot be canceled again.
            #expect(try await api.raw(.POST, "/api/v1/deployments/\(second)/cancel").0 == 409)
        }
    }

    @Test func aQueuedDeploymentIsCanceledAtOnceAndTheQueueShowsPositions() async throws {
        let marker = ProcessTable.uniqueSleepDuration()
        let site = try makeSite(script: "echo started; sleep \(marker)")
        try await TestServer.withServer { server in
            let api = server.client
            let project = try await createProject(api, name: "queued", site: site)
            let ids = try await api.deploy(projectIDs: [project.id, project.id, project.id]).deploymentIds
            try await waitForLog(api, ids[0], contains: "started")

            struct Queue: Decodable {
                struct Line: Decodable {
                    var deploymentId: Int64
                    var projectName: String
                    var state: String
                    var position: Int?
                    var queuedAt: String
                    var startedAt: String?
                }
                var data: [Line]
                var active: Int
                var waiting: Int
            }
            let queue: Queue = try await api.send(.GET, "/api/v1/queue")
            #expect(queue.data.map(\.deploymentId) == ids)
            #expect(queue.data.map(\.state) == ["active", "waiting", "waiting"])
            #expect(queue.data.map(\.position) == [nil, 1, 2])
            #expect(queue.data.allSatisfy { $0.projectName == "queued" })
            #expect(queue.data[0].startedAt != nil && queue.data[1].startedAt == nil)
            #expect(queue.active == 1 && queue.waiting == 2)

            let stopped: Stopped = try await api.send(.POST, "/api/v1/deployments/\(ids[2])/cancel")
            #expect(stopped.deployment.state == "canceled")
            #expect(stopped.deployment.stages.map(\.status) == ["canceled", "idle", "idle", "idle", "idle"])
            for id in ids.prefix(2) { _ = try await api.raw(.POST, "/api/v1/deployments/\(id)/kill") }
            #expect(ProcessTable.matching(marker).isEmpty)
            let empty: Queue = try await api.send(.GET, "/api/v1/queue")
            #expect(empty.data.isEmpty)
        }
    }

    @Test func theQueueCapAnswers429() async throws {
        let site = try makeSite(script: "echo started; sleep 30")
        try await TestServer.withServer(configure: { $0.queueCap = 2 }) { server in
            let api = server.client
            let project = try await createProject(api, name: "capped", site: site)
            let running = try await api.deploy(projectIDs: [project.id]).deploymentIds[0]
            try await waitForLog(api, running, contains: "started")
            _ = try await api.deploy(projectIDs: [project.id])
            _ = try await api.deploy(projectIDs: [project.id])
            let (status, data) = try await api.raw(.POST, "/api/v1/deployments", body: Data(#"{"project_ids":[1]}"#.utf8))
            #expect(status == 429)
            #expect(String(decoding: data, as: UTF8.self).contains("queue of this workspace is full"))
            let (both, _) = try await api.raw(.POST, "/api/v1/deployments", body: Data(#"{"project_ids":[1, 1]}"#.utf8))
            #expect(both == 429)
            for deployment in try await api.deployments(project: "capped").data where !deployment.isFinished {
                _ = try await api.raw(.POST, "/api/v1/deployments/\(deployment.id)/kill")
            }
        }
    }

    @Test func deleteFollowsTheRulesAndRemovesLogAndBuild() async throws {
        let site = try makeSite(script: "echo building")
        try await TestServer.withServer { server in
            let api = server.client
            let project = try await createProject(api, name: "del", site: site)
            let first = try await api.waitForDeployment(try await api.deploy(projectIDs: [project.id]).deploymentIds[0])
            let second = try await api.waitForDeployment(try await api.deploy(projectIDs: [project.id]).deploymentIds[0])
            let third = try await api.waitForDeployment(try await api.deploy(projectIDs: [project.id]).deploymentIds[0])

            // The active production deployment: refused even with force.
            let (activeStatus, activeData) = try await api.raw(.DELETE, "/api/v1/deployments/\(third.id)?force=true")
            #expect(activeStatus == 409)
            #expect(String(decoding: activeData, as: UTF8.self).contains("active production deployment"))
            // An older deployment nothing points at: deleted with its log and build.
            #expect(try await api.raw(.DELETE, "/api/v1/deployments/\(first.id)").0 == 200)
            #expect(try await api.raw(.GET, "/api/v1/deployments/\(first.id)").0 == 404)
            #expect(!FileManager.default.fileExists(atPath: "\(server.dataDirectory)/logs/\(first.uid).log"))
            #expect(!FileManager.default.fileExists(atPath: "\(server.dataDirectory)/builds/\(try #require(first.buildId))"))
            #expect(try await server.edge("\(first.shortId).del").status == 404)
            #expect(try await server.edge("\(second.shortId).del").status == 200)
            #expect(try await api.raw(.DELETE, "/api/v1/deployments/\(first.id)").0 == 404)
            #expect(try await api.raw(.DELETE, "/api/v1/deployments/\(second.id)?force=maybe").0 == 422)

            // A running deployment cannot be deleted.
            try site.write("build.sh", "echo started; sleep 30\n")
            try site.commit("slow")
            let slow = try await api.deploy(projectIDs: [project.id]).deploymentIds[0]
            try await waitForLog(api, slow, contains: "started")
            let (runningStatus, runningData) = try await api.raw(.DELETE, "/api/v1/deployments/\(slow)")
            #expect(runningStatus == 409)
            #expect(String(decoding: runningData, as: UTF8.self).contains("cancel it before deleting it"))
            _ = try await api.raw(.POST, "/api/v1/deployments/\(slow)/kill")
        }
    }

    @Test func anAliasedDeploymentNeedsForce() async throws {
        let site = try makeSite(script: "echo building")
        try site.checkoutNewBranch("feature")
        try site.commit("feature")
        try await TestServer.withServer { server in
            let api = server.client
            let project = try await createProject(api, name: "alias", site: site)
            let feature = try await api.waitForDeployment(try await api.deploy(projectIDs: [project.id], branch: "feature").deploymentIds[0])
            #expect(feature.aliases == ["http://feature.alias.localhost:\(server.port)"])
            let (status, data) = try await api.raw(.DELETE, "/api/v1/deployments/\(feature.id)")
            #expect(status == 409)
            #expect(String(decoding: data, as: UTF8.self).contains("force=true"))
            #expect(try await api.raw(.DELETE, "/api/v1/deployments/\(feature.id)?force=true").0 == 200)
            #expect(try await server.edge("feature.alias").status == 404)
        }
    }

    @Test func aBuildPastItsTimeoutFails() async throws {
        let marker = ProcessTable.uniqueSleepDuration()
        let site = try makeSite(script: "echo started; sleep \(marker)")
        try await TestServer.withServer(configure: {
            $0.buildTimeout = .seconds(1); $0.cancelGracePeriod = .milliseconds(200)
        }) { server in
            let project = try await createProject(server.client, name: "timeout", site: site)
            let deployment = try await server.client.waitForDeployment(try await server.client.deploy(projectIDs: [project.id]).deploymentIds[0])
            #expect(deployment.state == "failed")
            #expect(deployment.error?.contains("longer than the build timeout") == true)
            #expect(ProcessTable.matching(marker).isEmpty)
        }
    }

    @Test func aLogPastItsCapIsCutAndFailsTheBuild() async throws {
        let site = try makeSite(script: "seq 1 100000; sleep 30")
        try await TestServer.withServer(configure: { $0.logCap = 20_000 }) { server in
            let project = try await createProject(server.client, name: "chatty", site: site)
            let deployment = try await server.client.waitForDeployment(try await server.client.deploy(projectIDs: [project.id]).deploymentIds[0])
            #expect(deployment.state == "failed")
            #expect(deployment.error == "the log reached its cap of 20000 bytes")
            let size = try FileManager.default.attributesOfItem(atPath: "\(server.dataDirectory)/logs/\(deployment.uid).log")[.size] as? Int ?? 0
            #expect(size < 21_000)
            #expect(deployment.output?.systemPayload.contains { $0.contains("The log reached its cap") } == true)
        }
    }

    @Test func retentionStripsOldBuildsButKeepsRecordsProductionAndAliases() async throws {
        let site = try makeSite(script: "echo building")
        try await TestServer.withServer(configure: { $0.keepDeployments = 2 }) { server in
            let api = server.client
            let project = try await createProject(api, name: "keep", site: site)
            var deployments: [DeploymentInfo] = []
            for _ in 0..<4 { deployments.append(try await api.waitForDeployment(try await api.deploy(projectIDs: [project.id]).deploymentIds[0])) }
            // The two oldest lost their build, log and own URL; their records stay. The newest two are whole.
            for stripped in deployments.prefix(2) {
                #expect(try await api.raw(.GET, "/api/v1/deployments/\(stripped.id)").0 == 200)
                #expect(try await api.deployment(stripped.id).buildId == nil)
                #expect(!FileManager.default.fileExists(atPath: "\(server.dataDirectory)/logs/\(stripped.uid).log"))
                #expect(!FileManager.default.fileExists(atPath: "\(server.dataDirectory)/builds/\(try #require(stripped.buildId))"))
                #expect(try await server.edge("\(stripped.shortId).keep").status == 404)
            }
            for kept in deployments.suffix(2) {
                #expect(try await api.deployment(kept.id).buildId != nil)
                #expect(try await server.edge("\(kept.shortId).keep").status == 200)
            }
            #expect(try await api.rollbackCandidates(project: "keep").map(\.id) == [deployments[2].id])

            // A rollback to the third reuses its build: the third's record loses it, but the build stays for production.
            let rollback = try await api.waitForDeployment(try #require(try await api.rollback(to: deployments[2].id).deploymentId))
            #expect(rollback.state == "success")
            #expect(try await api.deployment(deployments[2].id).buildId == nil)
            #expect(try await server.edge("keep").status == 200)
            #expect(try await api.deployment(deployments[3].id).buildId != nil)
        }
    }

    @Test func theBuildSeesNothingOfTheServer() async throws {
        let site = try TemporaryGitRepository()
        try site.write(
            "build.sh",
            """
            echo "token: $(cat "$SLIPWAY_TEST_DATA/admin-token" 2>&1)"
            echo "database: $(head -c 16 "$SLIPWAY_TEST_DATA/slipway.sqlite" 2>&1)"
            echo "listing: $(ls "$SLIPWAY_TEST_DATA" 2>&1 | tr '\\n' ' ')"
            env | sort | sed 's/^/env: /'
            mkdir -p dist && echo ok > dist/index.html
            """
        )
        try site.commit("snoop")
        try await TestServer.withServer(configure: { $0.adminToken = nil }) { server in
            let api = server.client
            let project = try await api.createProject(
                NewProjectRequest(
                    name: "snoop", repository: site.path, buildCommand: "SLIPWAY_TEST_DATA=\(server.dataDirectory) sh build.sh", outputDir: "dist")
            )
            let deployment = try await api.waitForDeployment(try await api.deploy(projectIDs: [project.id]).deploymentIds[0])
            #expect(deployment.state == "success")
            let lines = deployment.output?.clientPayload ?? []
            #expect(!lines.joined().contains(server.adminToken))
            #expect(lines.contains { $0.hasPrefix("token: cat:") })
            #expect(lines.contains { $0.hasPrefix("database: head:") })
            #expect(!lines.joined().contains("SQLite format"))
            // Under bubblewrap the data directory does not exist inside; under unshare it is an empty tmpfs but for the
            // build's own work directory. Either way none of the server's files is listed.
            let listing = try #require(lines.first { $0.hasPrefix("listing: ") })
            for name in ["admin-token", "slipway.sqlite", "secret-key", "builds", "logs", "git"] {
                #expect(!listing.contains(name), "\(listing)")
            }
            let names = Set(lines.filter { $0.hasPrefix("env: ") }.map { String($0.dropFirst(5).prefix { $0 != "=" }) })
            let allowed: Set = [
                "PATH", "HOME", "LANG", "CI", "SLIPWAY", "SLIPWAY_PROJECT", "SLIPWAY_DEPLOYMENT_ID", "SLIPWAY_DEPLOYMENT_UID",
                "SLIPWAY_ENVIRONMENT", "SLIPWAY_BRANCH", "SLIPWAY_COMMIT_SHA", "SLIPWAY_TEST_DATA", "PWD", "SHLVL", "_",
            ]
            #expect(names.subtracting(allowed).isEmpty, "unexpected variables: \(names.subtracting(allowed))")
            #expect(names.contains("SLIPWAY_COMMIT_SHA"))
        }
    }
}
