import Foundation
import NIOHTTP1
import SlipwayClient
import SlipwayTesting
import Testing

/// `/api/deploys` and `GET /api/v1/deployments` end to end, with real builds of real git repositories.
@Suite struct DeploysAPITests {
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

    /// A GET or POST with the given token, answered as JSON.
    func call(_ server: TestServer, _ method: String, _ path: String, token: String? = nil, body: String? = nil) async throws -> (Int, [String: Any])
    {
        let client = server.client(token: token ?? server.adminToken)
        let (status, data) = try await client.raw(.init(rawValue: method), path, body: body.map { Data($0.utf8) })
        let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        return (status, json)
    }

    /// `path?name=value&…` with every value percent-encoded.
    func path(_ base: String, _ parameters: [(String, String)]) -> String {
        var components = URLComponents()
        components.queryItems = parameters.map { URLQueryItem(name: $0.0, value: $0.1) }
        let query = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B") ?? ""
        return base + (query.isEmpty ? "" : "?" + query)
    }

    func deploy(_ api: SlipwayClient, _ projectID: Int64) async throws -> DeploymentInfo {
        try await api.waitForDeployment(try await api.deploy(projectIDs: [projectID]).deploymentIds[0])
    }

    @Test func listFilterCreateFromBuildShowStepsAndCancel() async throws {
        let site = try makeSite()
        try await TestServer.withServer { server in
            let api = server.client
            let web = try await api.createProject(
                NewProjectRequest(name: "web", repository: site.path, buildCommand: "sh build.sh", outputDir: "dist"))
            let docs = try await api.createProject(
                NewProjectRequest(name: "docs", repository: site.path, buildCommand: "sh build.sh", outputDir: "dist"))
            let first = try await deploy(api, web.id)
            try site.write("message.txt", "two")
            try site.commit("second")
            let second = try await deploy(api, web.id)
            let docsFirst = try await deploy(api, docs.id)
            try site.write("fail.txt", "x")
            try site.commit("broken")
            let failed = try await deploy(api, docs.id)
            #expect([first.state, second.state, docsFirst.state, failed.state] == ["success", "success", "success", "failed"])

            // Another workspace with its own deployment: never visible here.
            let otherToken = try await server.createWorkspace("elsewhere")
            let otherAPI = server.client(token: otherToken)
            try site.git("rm", "-q", "fail.txt")
            try site.commit("fixed")
            let foreignProject = try await otherAPI.createProject(
                NewProjectRequest(name: "foreign", repository: site.path, buildCommand: "sh build.sh", outputDir: "dist"))
            let foreign = try await otherAPI.waitForDeployment(try await otherAPI.deploy(projectIDs: [foreignProject.id]).deploymentIds[0])

            // The list: shapes, words, prefixed ids, newest first, the total.
            let (status, list) = try await call(server, "GET", "/api/deploys")
            #expect(status == 200)
            let data = try #require(list["data"] as? [[String: Any]])
            #expect(data.count == 4)
            #expect(
                data.map { $0["id"] as? String }
                    == [failed, docsFirst, second, first].map { "dep_" + $0.uid.replacingOccurrences(of: "-", with: "") })
            let top = data[0]
            #expect(top["status"] as? String == "failed")
            #expect(top["error"] as? String == "the build command exited with status 3")
            #expect(top["trigger"] as? String == "manual")
            #expect((top["workspaceId"] as? String)?.range(of: "^ws_[0-9a-f]{32}$", options: .regularExpression) != nil)
            #expect((top["entityId"] as? String)?.range(of: "^app_[0-9a-f]{32}$", options: .regularExpression) != nil)
            #expect(top["createdBy"] as? String == "admin")
            #expect(top["sequenceNumber"] as? Int == 2)
            #expect((top["createdAt"] as? String)?.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$"#, options: .regularExpression) != nil)
            #expect(data[1]["status"] as? String == "completed")
            #expect((data[1]["buildId"] as? String)?.hasPrefix("bld_") == true)
            #expect(data[1]["productionUrl"] as? String == "http://docs.localhost:\(server.port)")
            #expect(data[1]["steps"] == nil)
            let pageInfo = try #require(list["pageInfo"] as? [String: Any])
            #expect(pageInfo["total"] as? Int == 4)
            #expect(pageInfo["hasNextPage"] as? Bool == false && pageInfo["hasPreviousPage"] as? Bool == false)

            // Shorthands and filters.
            let webID = try #require(data[2]["entityId"] as? String)
            for (parameters, expected) in [
                ([("status", "completed")], 3), ([("status", "failed")], 1), ([("entity_id", webID)], 2), ([("created_by", "admin")], 4),
                ([("trigger", "manual"), ("status", "completed")], 3),
                ([("filter", #"{"entity": {"name": {"eq": "docs"}}, "status": {"ne": "failed"}}"#)], 1),
                ([("filter", #"{"OR": [{"entity": {"name": {"startsWith": "we"}}}, {"NOT": {"buildId": {"isNull": false}}}]}"#)], 3),
                ([("workspace_id", "ws_" + String(repeating: "0", count: 32))], 0),
            ] as [([(String, String)], Int)] {
                let (code, page) = try await call(server, "GET", path("/api/deploys", parameters))
                #expect(code == 200, "\(parameters)")
                #expect((page["pageInfo"] as? [String: Any])?["total"] as? Int == expected, "\(parameters)")
            }

            // Cursors: one by one forward, then back; no row missed or repeated.
            var seen: [String] = []
            var cursor: String?
            repeat {
                let (_, page) = try await call(server, "GET", path("/api/deploys", [("limit", "1")] + (cursor.map { [("after", $0)] } ?? [])))
                seen += (page["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                let info = page["pageInfo"] as? [String: Any] ?? [:]
                cursor = info["hasNextPage"] as? Bool == true ? info["endCursor"] as? String : nil
            } while cursor != nil
            #expect(seen == data.compactMap { $0["id"] as? String })
            let (_, last) = try await call(server, "GET", path("/api/deploys", [("limit", "3"), ("orderBy", #"[{"createdAt": "asc"}]"#)]))
            let lastInfo = try #require(last["pageInfo"] as? [String: Any])
            let (_, back) = try await call(
                server, "GET",
                path("/api/deploys", [("limit", "3"), ("orderBy", #"[{"createdAt": "asc"}]"#), ("before", lastInfo["endCursor"] as! String)]))
            #expect((back["data"] as? [[String: Any]])?.count == 2)

            // ids narrows within the workspace: the other workspace's id is simply not there.
            let foreignID = "dep_" + foreign.uid.replacingOccurrences(of: "-", with: "")
            let ownID = try #require(data[0]["id"] as? String)
            let (_, narrowed) = try await call(server, "GET", path("/api/deploys", [("ids", "\(ownID),\(foreignID)")]))
            #expect((narrowed["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [ownID])
            #expect(try await call(server, "GET", "/api/deploys/\(foreignID)").0 == 404)
            let (_, theirs) = try await call(server, "GET", path("/api/deploys", [("ids", "\(ownID),\(foreignID)")]), token: otherToken)
            #expect((theirs["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [foreignID])

            // One deploy with its steps.
            let (showStatus, shown) = try await call(server, "GET", "/api/deploys/\(ownID)")
            #expect(showStatus == 200)
            let steps = try #require(shown["steps"] as? [[String: Any]])
            #expect(steps.compactMap { $0["name"] as? String } == ["queued", "initialize", "clone_repo", "build", "deploy"])
            #expect(steps.compactMap { $0["status"] as? String } == ["success", "success", "success", "failure", "idle"])

            // Deploy an existing build without rebuilding: clone and build are skipped, the build is the same.
            let firstBuild = "bld_" + (first.buildId ?? "").replacingOccurrences(of: "-", with: "")
            let (createStatus, created) = try await call(server, "POST", "/api/deploys", body: #"{"buildId": "\#(firstBuild)"}"#)
            #expect(createStatus == 201)
            #expect(created["buildId"] as? String == firstBuild)
            #expect(created["status"] as? String == "pending")
            let nativeID = try #require((created["metadata"] as? [String: Any])?["nativeId"] as? Int)
            let redeployed = try await api.waitForDeployment(Int64(nativeID))
            #expect(redeployed.state == "success")
            #expect(redeployed.stages.map(\.status) == ["success", "success", "skipped", "skipped", "success"])
            #expect(redeployed.buildId == first.buildId)
            #expect(redeployed.commitId == first.commitId)
            #expect(try await server.edge("web").body == "<p>one</p>\n")

            // Deploy an app: the latest successful build of its production branch (docs' first; its second failed).
            let docsApp = "app_" + docs.uid.replacingOccurrences(of: "-", with: "")
            let (appStatus, fromApp) = try await call(server, "POST", "/api/deploys", body: #"{"appId": "\#(docsApp)"}"#)
            #expect(appStatus == 201)
            #expect(fromApp["buildId"] as? String == "bld_" + (docsFirst.buildId ?? "").replacingOccurrences(of: "-", with: ""))
            let fromAppDone = try await api.waitForDeployment(Int64(try #require((fromApp["metadata"] as? [String: Any])?["nativeId"] as? Int)))
            #expect(fromAppDone.state == "success")

            // Cancel a running deploy with a reason.
            try site.write("slow.txt", "x")
            try site.commit("slow")
            let slow = try await api.deploy(projectIDs: [web.id]).deploymentIds[0]
            let slowInfo = try await api.deployment(slow)
            let slowID = "dep_" + slowInfo.uid.replacingOccurrences(of: "-", with: "")
            let (cancelStatus, canceled) = try await call(server, "POST", "/api/deploys/\(slowID)/cancel", body: #"{"reason": "enough"}"#)
            #expect(cancelStatus == 200)
            #expect(canceled["success"] as? Bool == true)
            let (_, after) = try await call(server, "GET", "/api/deploys/\(slowID)")
            #expect(after["status"] as? String == "failed")
            #expect(after["error"] as? String == "canceled: enough")
            #expect(try await call(server, "POST", "/api/deploys/\(slowID)/cancel").0 == 409)

            // The native listing speaks the same language in snake_case.
            let (v1Status, v1) = try await call(
                server, "GET",
                path("/api/v1/deployments", [("filter", #"{"state": {"eq": "success"}, "project": {"name": {"eq": "web"}}}"#), ("limit", "2")]))
            #expect(v1Status == 200)
            #expect((v1["data"] as? [[String: Any]])?.count == 2)
            let v1Info = try #require(v1["page_info"] as? [String: Any])
            #expect(v1Info["total"] as? Int == 3)
            #expect(v1Info["has_next_page"] as? Bool == true)
        }
    }

    @Test func everyBadInputIsA400NamingItAndNothingAnswers5xx() async throws {
        try await TestServer.withServer { server in
            let cases: [(String, [(String, String)], String)] = [
                ("/api/deploys", [("filter", "{not json")], "filter"),
                ("/api/deploys", [("filter", #"{"nope": {"eq": 1}}"#)], "filter.nope"),
                ("/api/deploys", [("filter", #"{"sequenceNumber": {"eq": "one"}}"#)], "filter.sequenceNumber.eq"),
                ("/api/deploys", [("filter", #"{"status": {"lt": "failed"}}"#)], "filter.status.lt"),
                ("/api/deploys", [("filter", #"{"status": {"eq": "done"}}"#)], "filter.status.eq"),
                ("/api/deploys", [("orderBy", #"[{"status": "asc"}]"#)], "orderBy[0].status"),
                ("/api/deploys", [("orderBy", #"[{"createdAt": "sideways"}]"#)], "orderBy[0].createdAt"),
                ("/api/deploys", [("limit", "0")], "limit"), ("/api/deploys", [("limit", "101")], "limit"),
                ("/api/deploys", [("after", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")], "after"),
                ("/api/deploys", [("before", "forged")], "before"),
                ("/api/deploys", [("ids", "dep_1,2")], "ids"),
                ("/api/deploys", [("status", "nope")], "status"),
                ("/api/v1/deployments", [("filter", #"{"status": {"eq": "failed"}}"#)], "filter.status.eq"),
                ("/api/v1/deployments", [("limit", "1000")], "limit"),
            ]
            for (base, parameters, part) in cases {
                let (status, body) = try await call(server, "GET", path(base, parameters))
                #expect(status == 400, "\(parameters)")
                let named =
                    ((body["error"] as? [String: Any])?["field"] as? String) ?? (body["errors"] as? [String: Any])?.keys.first
                #expect(named == part, "\(parameters)")
            }
            #expect(try await call(server, "POST", "/api/deploys", body: #"{"buildId": 7}"#).0 == 400)
            #expect(try await call(server, "POST", "/api/deploys", body: "{").0 == 400)
            #expect(try await call(server, "POST", "/api/deploys", body: "{}").0 == 400)
            #expect(try await call(server, "POST", "/api/deploys", body: #"{"buildId": "bld_\#(String(repeating: "a", count: 32))"}"#).0 == 404)
            #expect(try await call(server, "GET", "/api/deploys", token: "wrong").0 == 401)
            #expect(try await call(server, "GET", "/api/deploys/dep_nothing").0 == 404)

            // Hostile input: quotes, SQL, deep nesting, huge arrays. Nothing may answer 5xx.
            let deep = String(repeating: #"{"NOT": "#, count: 40) + "{}" + String(repeating: "}", count: 40)
            let huge = #"{"sequenceNumber": {"in": ["# + (0..<5_000).map(String.init).joined(separator: ",") + "]}}"
            let hostile = [
                #"{"gitBranch": {"eq": "'; DROP TABLE deployments; --"}}"#, #"{"createdBy": {"contains": "%' OR '1'='1"}}"#,
                #"{"entity": {"name": {"endsWith": "\"); SELECT 1; --"}}}"#, deep, huge, #"{"AND": [[]]}"#, #"{"OR": {}}"#, "[]", "null",
                #"{"createdAt": {"gt": "2026-13-45T99:99:99Z"}}"#, #"{"id": {"in": [null]}}"#, String(repeating: "[", count: 10_000),
            ]
            for filter in hostile {
                for base in ["/api/deploys", "/api/v1/deployments"] {
                    let (status, _) = try await call(server, "GET", path(base, [("filter", filter)]))
                    #expect(status < 500, "\(base) \(filter.prefix(80))")
                }
            }
        }
    }
}
