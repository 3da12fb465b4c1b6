import Foundation
import NIOHTTP1
import SlipwayClient
import SlipwayCore
import SlipwayServer
import SlipwayTesting
import Testing

/// The foundation, end to end over real HTTP on loopback: a real git repository, real builds, the edge.
@Suite struct StaticSiteDeploymentTests {
    /// A site whose build writes `dist/index.html` from `message.txt`, or fails when `fail.txt` exists.
    func makeSite() throws -> TemporaryGitRepository {
        let repository = try TemporaryGitRepository()
        try repository.write(
            "build.sh",
            """
            #!/bin/sh
            set -e
            if [ -f fail.txt ]; then echo "refusing to build: fail.txt is present" >&2; exit 7; fi
            mkdir -p dist
            echo "building $(cat message.txt)"
            echo "<h1>$(cat message.txt)</h1>" > dist/index.html
            echo "body { color: red }" > dist/style.css
            for i in $(seq 1 100); do echo "console.log($i, 'a line of the app, compressed when stored');"; done > dist/app.js
            """
        )
        try repository.write("message.txt", "version one")
        try repository.commit("first version")
        return repository
    }

    @Test func deployRedeployFailRerunAndRollBack() async throws {
        let site = try makeSite()
        try await TestServer.withServer { server in
            let api = server.client
            let project = try await api.createProject(
                NewProjectRequest(name: "hello", repository: site.path, buildCommand: "sh build.sh", outputDir: "dist")
            )
            #expect(project.url == "http://hello.localhost:\(server.port)")

            // 1. Deploy: production serves the build's output.
            let first = try await deploy(api, project.id)
            #expect(first.state == "success")
            #expect(first.status == 1)
            #expect(first.isActive)
            #expect(first.stages.map(\.status) == ["success", "success", "success", "success", "success"])
            #expect(first.commitId == (try site.git("rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(first.output?.clientPayload.contains("building version one") == true)
            #expect(try await server.edge("hello").body == "<h1>version one</h1>\n")
            #expect(try await server.edge("hello", "/style.css").headers["content-type"].first?.hasPrefix("text/css") == true)
            // The build was indexed for the edge when it was stored: its manifest lies next to it, and the log says so.
            let buildText = try #require(first.buildId)
            let buildID = try #require(UUID(uuidString: buildText))
            #expect(FileManager.default.fileExists(atPath: DataLayout(root: server.dataDirectory).buildManifest(buildID)))
            let log = try await api.logs(first.id).data.map(\.line).joined(separator: "\n")
            #expect(log.contains("Build indexed for the edge: 3 files"), "\(log)")
            // The script was compressed then, next to the build.
            #expect(log.contains("Compressed 1 text file"), "\(log)")
            let variants = DataLayout(root: server.dataDirectory).buildVariants(buildID)
            #expect(FileManager.default.fileExists(atPath: variants + "/app.js.gz"))

            // 2. A second commit moves production; the first deployment's own URL still serves the first version.
            try site.write("message.txt", "version two")
            try site.commit("second version")
            let second = try await deploy(api, project.id)
            #expect(second.state == "success")
            #expect(try await server.edge("hello").body == "<h1>version two</h1>\n")
            #expect(try await server.edge("\(first.shortId).hello").body == "<h1>version one</h1>\n")
            #expect(try await server.edge("\(second.shortId).hello").body == "<h1>version two</h1>\n")
            #expect(try await server.edge("main.hello").body == "<h1>version two</h1>\n")
            #expect(try await api.deployment(first.id).isActive == false)
            #expect(try await api.deployment(second.id).aliases.contains("http://hello.localhost:\(server.port)"))

            // 3. A failing build leaves production untouched and can be rerun as a new deployment of the same commit.
            try site.write("fail.txt", "x")
            let failingCommit = try site.commit("broken")
            let failed = try await deploy(api, project.id)
            #expect(failed.state == "failed")
            #expect(failed.status == 2)
            #expect(failed.error == "the build command exited with status 7")
            #expect(failed.stages.first { $0.name == "build" }?.status == "failure")
            #expect(failed.stages.first { $0.name == "deploy" }?.status == "idle")
            #expect(failed.output?.clientPayload.contains("refusing to build: fail.txt is present") == true)
            #expect(try await server.edge("hello").body == "<h1>version two</h1>\n")

            let rerun = try await api.rerun(failed.id)
            #expect(rerun.status == "success")
            #expect(rerun.message == "Rerun queued.")
            let rerunID = try #require(rerun.deploymentId)
            #expect(rerunID != failed.id)
            let rerunDeployment = try await api.waitForDeployment(rerunID)
            #expect(rerunDeployment.trigger == "rerun")
            #expect(rerunDeployment.rerunOf == failed.id)
            #expect(rerunDeployment.commitId == failingCommit)
            #expect(rerunDeployment.state == "failed")

            // 4. A successful deployment cannot be rerun.
            await #expect(throws: ClientError.self) { try await api.rerun(second.id) }
            do {
                _ = try await api.rerun(second.id)
            } catch let error as ClientError {
                #expect(error.status == 409)
                #expect(error.message.contains("only failed deployments can be rerun"))
            }

            // 5. Rollback candidates: exactly the successful production deployments that are not active.
            let candidates = try await api.rollbackCandidates(project: "hello")
            #expect(candidates.map(\.id) == [first.id])
            #expect(candidates.first?.commitId == first.commitId)

            // 6. A rollback serves the old version again without building: clone and build are skipped.
            let rollback = try await api.rollback(to: first.id)
            #expect(rollback.message == "Rollback queued.")
            let rolledBack = try await api.waitForDeployment(try #require(rollback.deploymentId))
            #expect(rolledBack.state == "success")
            #expect(rolledBack.trigger == "rollback")
            #expect(rolledBack.rollbackOf == first.id)
            #expect(rolledBack.buildId == first.buildId)
            #expect(rolledBack.stages.map(\.status) == ["success", "success", "skipped", "skipped", "success"])
            #expect(rolledBack.output?.clientPayload == [])
            #expect(try await server.edge("hello").body == "<h1>version one</h1>\n")
            #expect(try await api.rollbackCandidates(project: "hello").map(\.id) == [second.id, first.id])

            // The active production deployment itself is not a rollback target.
            do {
                _ = try await api.rollback(to: rolledBack.id)
                Issue.record("rolling back to the active deployment was accepted")
            } catch let error as ClientError {
                #expect(error.status == 409)
            }

            // The project's page lists every deployment, newest first, in the seed's shape.
            let page = try await api.deployments(project: "hello", perPage: 2)
            #expect(page.totalItems == 5)
            #expect(page.totalPages == 3)
            #expect(page.data.map(\.id) == [rolledBack.id, rerunID])
            #expect(page.data.map(\.sequenceNumber) == [5, 4])
        }
    }

    @Test func aRepositoryThatDoesNotExistFailsWithAClearError() async throws {
        try await TestServer.withServer { server in
            let missing = TemporaryGitRepository.missingPath()
            let project = try await server.client.createProject(NewProjectRequest(name: "ghost", repository: missing))
            let deployment = try await deploy(server.client, project.id)
            #expect(deployment.state == "failed")
            #expect(deployment.error == "branch 'main' could not be cloned from \(missing): no repository is there")
            #expect(deployment.stages.first { $0.name == "clone_repo" }?.status == "failure")
            #expect(deployment.output?.systemPayload.contains { $0.contains("could not be cloned") } == true)
            #expect(try await server.edge("ghost").status == 404)
        }
    }

    @Test func aBuildThatWritesNoOutputDirectoryFails() async throws {
        let site = try makeSite()
        try await TestServer.withServer { server in
            let project = try await server.client.createProject(
                NewProjectRequest(name: "nooutput", repository: site.path, buildCommand: "echo nothing to see", outputDir: "public")
            )
            let deployment = try await deploy(server.client, project.id)
            #expect(deployment.state == "failed")
            #expect(deployment.error == "output_dir 'public': 'public' does not exist")
            #expect(deployment.stages.first { $0.name == "build" }?.status == "failure")
        }
    }

    @Test func aSpecificCommitAndABranchCanBeDeployed() async throws {
        let site = try makeSite()
        let firstCommit = try site.git("rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
        try site.write("message.txt", "later")
        try site.commit("later")
        try site.checkoutNewBranch("feature/login")
        try site.write("message.txt", "feature")
        try site.commit("feature work")
        try await TestServer.withServer { server in
            let api = server.client
            let project = try await api.createProject(
                NewProjectRequest(name: "pinned", repository: site.path, buildCommand: "sh build.sh", outputDir: "dist")
            )
            for commit in [firstCommit, String(firstCommit.prefix(7))] {
                let result = try await api.deploy(projectIDs: [project.id], commit: commit)
                let deployment = try await api.waitForDeployment(result.deploymentIds[0])
                #expect(deployment.state == "success", "\(deployment.error ?? "") \(deployment.output?.systemPayload ?? [])")
                #expect(deployment.commitId == firstCommit)
                #expect(try await server.edge("pinned").body == "<h1>version one</h1>\n")
            }
            let preview = try await api.waitForDeployment(try await api.deploy(projectIDs: [project.id], branch: "feature/login").deploymentIds[0])
            #expect(preview.state == "success", "\(preview.error ?? "") \(preview.output?.systemPayload ?? [])")
            #expect(preview.environment == "preview")
            #expect(preview.isActive == false)
            #expect(try await server.edge("feature-login.pinned").body == "<h1>feature</h1>\n")
            #expect(try await server.edge("pinned").body == "<h1>version one</h1>\n")
        }
    }

    /// Queues a deployment of the project's production branch and waits for it to end.
    func deploy(_ api: SlipwayClient, _ projectID: Int64) async throws -> DeploymentInfo {
        let result = try await api.deploy(projectIDs: [projectID])
        #expect(result.message == "Deployment queued successfully.")
        #expect(result.status == "success")
        return try await api.waitForDeployment(result.deploymentIds[0])
    }

    @Test func theEdgeCacheSizeComesFromItsVariable() throws {
        #expect(try SlipwayConfiguration.fromEnvironment([:]).edgeCacheBytes == 256 << 20)
        #expect(try SlipwayConfiguration.fromEnvironment(["SLIPWAY_EDGE_CACHE": "64MB"]).edgeCacheBytes == 64 << 20)
        #expect(try SlipwayConfiguration.fromEnvironment(["SLIPWAY_EDGE_CACHE": "0"]).edgeCacheBytes == 0)
        for bad in ["lots", "-1", "12X"] {
            #expect(throws: (any Error).self) { try SlipwayConfiguration.fromEnvironment(["SLIPWAY_EDGE_CACHE": bad]) }
        }
    }
}
