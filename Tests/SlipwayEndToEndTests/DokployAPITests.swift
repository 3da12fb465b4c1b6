import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SlipwayClient
import SlipwayTesting
import Testing

/// Dokploy's `/api/deployment.*` end to end, with real builds of real git repositories.
@Suite struct DokployAPITests {
    /// A site whose build writes `dist/index.html`; fails when `fail.txt` exists; sleeps when `slow.txt` exists.
    func makeSite() throws -> TemporaryGitRepository {
        let repository = try TemporaryGitRepository()
        try repository.write(
            "build.sh",
            """
            #!/bin/sh
            set -e
            if [ -f fail.txt ]; then echo "refusing to build" >&2; exit 3; fi
            if [ -f slow.txt ]; then sleep 60; fi
            mkdir -p dist
            echo "<p>$(cat message.txt)</p>" > dist/index.html
            """
        )
        try repository.write("message.txt", "one")
        try repository.commit("first")
        return repository
    }

    /// A request with `headers` only (no implicit token), answered as any JSON value.
    func send(_ server: TestServer, _ method: HTTPMethod, _ path: String, headers: [(String, String)], body: String? = nil) async throws -> (
        Int, Any?
    ) {
        // Checked against the OpenAPI document (TestServer.send).
        let answer = try await server.send(method, path, headers: headers, body: body.map { Data($0.utf8) })
        return (answer.status, answer.json)
    }

    /// A request authenticated with Dokploy's `x-api-key` header.
    func call(_ server: TestServer, _ method: HTTPMethod, _ path: String, token: String? = nil, body: String? = nil) async throws -> (Int, Any?) {
        try await send(server, method, path, headers: [("x-api-key", token ?? server.adminToken)], body: body)
    }

    @Test func listingsQueueKillAndRemoveSpeakDokploy() async throws {
        let site = try makeSite()
        try await TestServer.withServer { server in
            let api = server.client
            let web = try await api.createProject(
                NewProjectRequest(name: "web", repository: site.path, buildCommand: "sh build.sh", outputDir: "dist"))
            // A compose project (build type `compose`) is Dokploy's compose; whether its build runs here does not matter.
            let docs = try await api.createProject(
                NewProjectRequest(
                    name: "docs", repository: site.path, kind: "service",
                    build: BuildTypeRequest(buildType: "compose", exposeService: "web", exposePort: 8080)))
            let first = try await api.waitForDeployment(try await api.deploy(projectIDs: [web.id]).deploymentIds[0])
            try site.write("fail.txt", "x")
            try site.commit("broken")
            let failed = try await api.waitForDeployment(try await api.deploy(projectIDs: [web.id]).deploymentIds[0])
            try site.git("rm", "-q", "fail.txt")
            try site.commit("fixed")
            let docsFirst = try await api.waitForDeployment(try await api.deploy(projectIDs: [docs.id]).deploymentIds[0])
            #expect([first.state, failed.state] == ["success", "failed"])

            // deployment.all: the project's deployments, newest first, with Dokploy's fields and words.
            let (status, allValue) = try await call(server, .GET, "/api/deployment.all?applicationId=\(web.uid)")
            #expect(status == 200)
            let all = try #require(allValue as? [[String: Any]])
            #expect(all.map { $0["deploymentId"] as? String } == [failed.uid, first.uid])
            #expect(all.map { $0["status"] as? String } == ["error", "done"])
            let top = all[0]
            #expect(top["applicationId"] as? String == web.uid)
            #expect(top["composeId"] is NSNull)
            #expect(top["serverId"] as? String == "1")
            #expect(top["isPreviewDeployment"] as? Bool == false)
            #expect(top["errorMessage"] as? String == "the build command exited with status 3")
            #expect(top["logPath"] as? String == "/api/v1/deployments/\(failed.id)/logs")
            #expect(top["title"] as? String != nil && top["description"] as? String != nil)
            let timestamp = #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$"#
            for key in ["createdAt", "startedAt", "finishedAt"] {
                #expect((top[key] as? String)?.range(of: timestamp, options: .regularExpression) != nil, "\(key)")
            }
            #expect(all[1]["errorMessage"] is NSNull)

            // Bearer works as well as x-api-key.
            let (bearerStatus, bearerValue) = try await send(
                server, .GET, "/api/deployment.all?applicationId=\(web.uid)", headers: [("Authorization", "Bearer \(server.adminToken)")])
            #expect(bearerStatus == 200 && (bearerValue as? [Any])?.count == 2)

            // allByCompose and allByType: the compose project's deployments, with `composeId` filled and `applicationId`
            // null; the application's the other way round.
            let (_, composeValue) = try await call(server, .GET, "/api/deployment.allByCompose?composeId=\(docs.uid)")
            let compose = try #require(composeValue as? [[String: Any]])
            #expect(compose.map { $0["deploymentId"] as? String } == [docsFirst.uid])
            #expect(compose[0]["composeId"] as? String == docs.uid && compose[0]["applicationId"] is NSNull)
            let (_, typedValue) = try await call(server, .GET, "/api/deployment.allByType?type=application&id=\(web.uid)")
            #expect((typedValue as? [[String: Any]])?.count == 2)
            #expect((typedValue as? [[String: Any]])?.allSatisfy { $0["applicationId"] as? String == web.uid && $0["composeId"] is NSNull } == true)
            let (_, typedCompose) = try await call(server, .GET, "/api/deployment.allByType?type=compose&id=\(docs.uid)")
            #expect((typedCompose as? [[String: Any]])?.map { $0["deploymentId"] as? String } == [docsFirst.uid])
            #expect((typedCompose as? [[String: Any]])?.first?["composeId"] as? String == docs.uid)

            // A compose's id is not an application's, nor the reverse: 404, as in Dokploy.
            for path in [
                "/api/deployment.all?applicationId=\(docs.uid)", "/api/deployment.allByCompose?composeId=\(web.uid)",
                "/api/deployment.allByType?type=application&id=\(docs.uid)", "/api/deployment.allByType?type=compose&id=\(web.uid)",
            ] {
                let (code, value) = try await call(server, .GET, path)
                let error = value as? [String: Any]
                #expect(code == 404 && error?["code"] as? String == "NOT_FOUND", "\(path)")
                #expect((error?["message"] as? String)?.hasSuffix("not found") == true, "\(path)")
            }

            // Centralized and by server: the whole workspace, newest first, each under its own kind of id.
            let (_, centralValue) = try await call(server, .GET, "/api/deployment.allCentralized")
            let central = try #require(centralValue as? [[String: Any]])
            #expect(central.map { $0["deploymentId"] as? String } == [docsFirst.uid, failed.uid, first.uid])
            #expect(central[0]["composeId"] as? String == docs.uid && central[0]["applicationId"] is NSNull)
            #expect(central[1]["applicationId"] as? String == web.uid && central[1]["composeId"] is NSNull)
            for serverID in ["1", "local"] {
                let (_, byServer) = try await call(server, .GET, "/api/deployment.allByServer?serverId=\(serverID)")
                #expect((byServer as? [[String: Any]])?.count == 3)
            }

            // Errors: 400 naming the field, databases refused, 404, 401.
            for (path, field) in [
                ("/api/deployment.all", "applicationId"), ("/api/deployment.allByCompose", "composeId"), ("/api/deployment.allByServer", "serverId"),
                ("/api/deployment.allByType?id=\(web.uid)", "type"), ("/api/deployment.allByType?type=application", "id"),
                ("/api/deployment.allByType?type=lambda&id=\(web.uid)", "type"),
            ] {
                let (code, value) = try await call(server, .GET, path)
                let error = value as? [String: Any]
                #expect(code == 400, "\(path)")
                #expect(error?["code"] as? String == "BAD_REQUEST" && error?["field"] as? String == field, "\(path)")
            }
            for database in ["postgres", "mysql", "mariadb", "mongo", "redis"] {
                let (code, value) = try await call(server, .GET, "/api/deployment.allByType?type=\(database)&id=\(web.uid)")
                #expect(code == 400)
                #expect(((value as? [String: Any])?["message"] as? String)?.contains("does not run databases") == true)
            }
            for path in [
                "/api/deployment.all?applicationId=app-123", "/api/deployment.all?applicationId=\(UUID().uuidString.lowercased())",
                "/api/deployment.allByServer?serverId=server-123",
            ] {
                let (code, value) = try await call(server, .GET, path)
                #expect(code == 404 && (value as? [String: Any])?["code"] as? String == "NOT_FOUND", "\(path)")
            }
            let (unauthorized, unauthorizedValue) = try await call(server, .GET, "/api/deployment.allCentralized", token: "nope")
            #expect(unauthorized == 401 && (unauthorizedValue as? [String: Any])?["code"] as? String == "UNAUTHORIZED")
            let (noToken, _) = try await send(server, .GET, "/api/deployment.allCentralized", headers: [])
            #expect(noToken == 401)
            let (missingBody, missingValue) = try await call(server, .POST, "/api/deployment.killProcess", body: "{}")
            #expect(missingBody == 400 && (missingValue as? [String: Any])?["field"] as? String == "deploymentId")
            let (badJSON, _) = try await call(server, .POST, "/api/deployment.removeDeployment", body: "{nope")
            #expect(badJSON == 400)

            // Another workspace sees none of it, and cannot touch it.
            let otherToken = try await server.createWorkspace("elsewhere")
            #expect(try await call(server, .GET, "/api/deployment.all?applicationId=\(web.uid)", token: otherToken).0 == 404)
            #expect((try await call(server, .GET, "/api/deployment.allCentralized", token: otherToken).1 as? [Any])?.isEmpty == true)
            let foreignKill = try await call(
                server, .POST, "/api/deployment.killProcess", token: otherToken, body: #"{"deploymentId": "\#(failed.uid)"}"#)
            #expect(foreignKill.0 == 404)
            let foreignRemove = try await call(
                server, .POST, "/api/deployment.removeDeployment", token: otherToken, body: #"{"deploymentId": "\#(failed.uid)"}"#)
            #expect(foreignRemove.0 == 404)

            // The queue while a build runs, then killProcess.
            try site.write("slow.txt", "x")
            try site.commit("slow")
            let slowID = try await api.deploy(projectIDs: [web.id]).deploymentIds[0]
            let slow = try await api.deployment(slowID)
            var jobs: [[String: Any]] = []
            for _ in 0..<400 {
                jobs = (try await call(server, .GET, "/api/deployment.queueList").1 as? [[String: Any]]) ?? []
                if jobs.first?["state"] as? String == "active" { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            let job = try #require(jobs.first)
            #expect(job["id"] as? String == slow.uid && job["name"] as? String == "deployments" && job["state"] as? String == "active")
            #expect((job["data"] as? [String: Any])?["applicationId"] as? String == web.uid)
            #expect((job["timestamp"] as? String)?.range(of: timestamp, options: .regularExpression) != nil)
            #expect((job["processedOn"] as? String) != nil && job["finishedOn"] is NSNull && job["failedReason"] is NSNull)

            let (killStatus, killedValue) = try await call(server, .POST, "/api/deployment.killProcess", body: #"{"deploymentId": "\#(slow.uid)"}"#)
            #expect(killStatus == 200)
            let killed = try #require(killedValue as? [String: Any])
            #expect(killed["status"] as? String == "cancelled" && killed["errorMessage"] as? String == "canceled: killed")
            #expect(try await call(server, .POST, "/api/deployment.killProcess", body: #"{"deploymentId": "\#(slow.uid)"}"#).0 == 409)
            #expect((try await call(server, .GET, "/api/deployment.queueList").1 as? [Any])?.isEmpty == true)

            // removeDeployment: the active production deployment is refused (409); an old one goes.
            let (activeStatus, activeValue) = try await call(
                server, .POST, "/api/deployment.removeDeployment", body: #"{"deploymentId": "\#(first.uid)"}"#)
            #expect(activeStatus == 409 && (activeValue as? [String: Any])?["code"] as? String == "CONFLICT")
            let (removeStatus, removedValue) = try await call(
                server, .POST, "/api/deployment.removeDeployment", body: #"{"deploymentId": "\#(failed.uid)"}"#)
            #expect(removeStatus == 200 && (removedValue as? [String: Any])?["deploymentId"] as? String == failed.uid)
            let (_, afterValue) = try await call(server, .GET, "/api/deployment.all?applicationId=\(web.uid)")
            #expect((afterValue as? [[String: Any]])?.map { $0["deploymentId"] as? String } == [slow.uid, first.uid])
            #expect(try await call(server, .POST, "/api/deployment.removeDeployment", body: #"{"deploymentId": "\#(failed.uid)"}"#).0 == 404)
        }
    }
}
