import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SlipwayClient
import SlipwayServer
import SlipwayTesting
import Testing

/// Cloudflare Pages' deployments API end to end, with real builds of real git repositories.
@Suite struct CloudflareAPITests {
    /// A site whose build writes `dist/index.html`; fails when `fail.txt` exists; sleeps when `slow.txt` exists.
    func makeSite() throws -> TemporaryGitRepository {
        let repository = try TemporaryGitRepository()
        try repository.write(
            "build.sh",
            """
            #!/bin/sh
            set -e
            echo "building $(cat message.txt)"
            if [ -f fail.txt ]; then echo "refusing to build" >&2; exit 3; fi
            if [ -f slow.txt ]; then sleep 60; fi
            mkdir -p dist
            echo "<p>$(cat message.txt)</p>" > dist/index.html
            """
        )
        try repository.write("message.txt", "one")
        _ = try repository.commit("first")
        return repository
    }

    /// One answer: status, headers and the JSON envelope.
    struct Answer {
        var status: Int
        var headers: HTTPHeaders
        var json: [String: Any]

        /// `result` as an object.
        var result: [String: Any] { json["result"] as? [String: Any] ?? [:] }
        /// The first error's code.
        var errorCode: Int? { (json["errors"] as? [[String: Any]])?.first?["code"] as? Int }
    }

    /// A request with the admin token (or `token`; `""` sends none), a raw body and its content type.
    func send(
        _ server: TestServer, _ method: HTTPMethod, _ path: String, token: String? = nil, body: String? = nil,
        contentType: String = "application/json"
    ) async throws -> Answer {
        let token = token ?? server.adminToken
        // Checked against the OpenAPI document (TestServer.send).
        let answer = try await server.send(
            method, path, headers: token.isEmpty ? [] : [("Authorization", "Bearer \(token)")], body: body.map { Data($0.utf8) },
            contentType: contentType
        )
        return Answer(status: answer.status, headers: answer.headers, json: answer.json as? [String: Any] ?? [:])
    }

    /// Polls a deployment until it has ended; answers its final object.
    func waitForEnd(_ server: TestServer, _ base: String, _ id: String) async throws -> [String: Any] {
        for _ in 0..<2400 {
            let deployment = try await send(server, .GET, "\(base)/\(id)").result
            let stage = deployment["latest_stage"] as? [String: Any]
            let status = stage?["status"] as? String
            if deployment["is_skipped"] as? Bool == true || status == "failure" || status == "canceled"
                || (status == "success" && stage?["name"] as? String == "deploy")
            {
                return deployment
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestSupportError("deployment \(id) did not end")
    }

    /// A multipart body of text fields.
    func multipart(_ fields: [(String, String)], boundary: String, file: Bool = false) -> String {
        var body = ""
        for (name, value) in fields {
            let disposition = file ? "form-data; name=\"\(name)\"; filename=\"x.txt\"" : "form-data; name=\"\(name)\""
            body += "--\(boundary)\r\nContent-Disposition: \(disposition)\r\n\r\n\(value)\r\n"
        }
        return body + "--\(boundary)--\r\n"
    }

    @Test func aVariableChangedWhileADeploymentWaitsIsTheOneItBuildsWithWhoeverLookedAtIt() async throws {
        let site = try TemporaryGitRepository()
        try site.write("build.sh", "mkdir -p dist\nif [ -f slow.txt ]; then sleep 120; fi\nprintf '%s' \"$GREETING\" > dist/index.html\n")
        _ = try site.commit("site")
        try site.checkoutNewBranch("slow")
        try site.write("slow.txt", "x")
        _ = try site.commit("slow")
        try site.checkout("main")
        try await TestServer.withServer(configure: { $0.workers = 1 }) { server in
            let api = server.client
            let web = try await api.createProject(
                NewProjectRequest(name: "web", repository: site.path, buildCommand: "sh build.sh", outputDir: "dist"))
            _ = try await api.replaceEnvironmentVariables(project: "web", ["production": ["GREETING": EnvironmentVariableInfo(value: "before")]])
            let account = try await api.me().workspace?.cloudflareAccountId ?? ""
            let base = "/client/v4/accounts/\(account)/pages/projects/web/deployments"

            // The only worker is busy with a slow preview, so the production deployment waits in the queue.
            let blocker = try await api.deploy(projectIDs: [web.id], branch: "slow").deployments[0]
            let waiting = try #require(try await send(server, .POST, base, body: #"{"branch": "main"}"#).result["id"] as? String)
            // Every dialect looks at it while it waits: none of them may take its variables early.
            let shown = try await send(server, .GET, "\(base)/\(waiting)")
            #expect(shown.status == 200)
            #expect((shown.result["env_vars"] as? [String: Any])?["GREETING"] != nil)
            #expect(try await send(server, .GET, base).status == 200)
            let queued = try await api.deployments(project: "web").data
            #expect(queued.contains { $0.state == "queued" })
            for deployment in queued { _ = try await api.deployment(deployment.id) }

            _ = try await api.replaceEnvironmentVariables(project: "web", ["production": ["GREETING": EnvironmentVariableInfo(value: "after")]])
            _ = try await api.cancel(blocker.id)
            let ended = try await waitForEnd(server, base, waiting)
            #expect((ended["latest_stage"] as? [String: Any])?["status"] as? String == "success")
            #expect(try await server.edge("web").body == "after")
        }
    }

    @Test func createListGetLogsRetryRollbackCancelAndDeleteSpeakCloudflare() async throws {
        let site = try makeSite()
        try await TestServer.withServer { server in
            let api = server.client
            let web = try await api.createProject(
                NewProjectRequest(name: "web", repository: site.path, buildCommand: "sh build.sh", outputDir: "dist"))
            let account = try await api.me().workspace?.cloudflareAccountId ?? ""
            #expect(account.range(of: "^[0-9a-f]{32}$", options: .regularExpression) != nil)
            let base = "/client/v4/accounts/\(account)/pages/projects/web/deployments"
            let env = try await send(
                server, .PUT, "/api/v1/projects/web/env",
                body:
                    #"{"production": {"API_TOKEN": {"value": "s3cret-value", "secret": true}, "API_URL": {"value": "https://api.example", "secret": false}}}"#
            )
            #expect(env.status == 200)

            // Create from JSON: the envelope, every field of the seed's object.
            let created = try await send(server, .POST, base, body: #"{"branch": "main"}"#)
            #expect(created.status == 200)
            #expect(created.json["success"] as? Bool == true)
            #expect((created.json["errors"] as? [Any])?.isEmpty == true && (created.json["messages"] as? [Any])?.isEmpty == true)
            let firstID = try #require(created.result["id"] as? String)
            let first = try await waitForEnd(server, base, firstID)
            #expect(first["id"] as? String == firstID)
            #expect(first["short_id"] as? String == String(firstID.replacingOccurrences(of: "-", with: "").prefix(8)))
            #expect(first["project_id"] as? String == web.uid && first["project_name"] as? String == "web")
            #expect(first["environment"] as? String == "production")
            #expect(first["url"] as? String == "http://\(first["short_id"] as? String ?? "").web.localhost:\(server.port)")
            #expect((first["aliases"] as? [String])?.contains("http://web.localhost:\(server.port)") == true)
            let timestamp = #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$"#
            for key in ["created_on", "modified_on"] {
                #expect((first[key] as? String)?.range(of: timestamp, options: .regularExpression) != nil, "\(key)")
            }
            let stages = try #require(first["stages"] as? [[String: Any]])
            #expect(stages.map { $0["name"] as? String } == ["queued", "initialize", "clone_repo", "build", "deploy"])
            #expect(stages.allSatisfy { $0["status"] as? String == "success" })
            #expect((first["latest_stage"] as? [String: Any])?["name"] as? String == "deploy")
            let trigger = try #require(first["deployment_trigger"] as? [String: Any])
            #expect(trigger["type"] as? String == "ad_hoc")
            let metadata = try #require(trigger["metadata"] as? [String: Any])
            #expect(metadata["branch"] as? String == "main" && metadata["commit_dirty"] as? Bool == false)
            #expect((metadata["commit_hash"] as? String)?.count == 40 && metadata["commit_message"] as? String == "first")
            let build = try #require(first["build_config"] as? [String: Any])
            #expect(build["build_command"] as? String == "sh build.sh" && build["destination_dir"] as? String == "dist")
            #expect(build["root_dir"] as? String == "" && build["build_caching"] as? Bool == false && build["web_analytics_tag"] is NSNull)
            let variables = try #require(first["env_vars"] as? [String: [String: String]])
            #expect(variables["API_TOKEN"] == ["type": "secret_text", "value": "•••"])
            #expect(variables["API_URL"] == ["type": "plain_text", "value": "https://api.example"])
            #expect(first["is_skipped"] as? Bool == false && first["skip_reason"] is NSNull && first["uses_functions"] as? Bool == false)
            let source = try #require(first["source"] as? [String: Any])
            let sourceConfig = try #require(source["config"] as? [String: Any])
            #expect(source["type"] as? String == "git" && sourceConfig["production_branch"] as? String == "main")
            #expect(sourceConfig["deployments_enabled"] as? Bool == true && sourceConfig["preview_deployment_setting"] as? String == "all")

            // Create from multipart/form-data, all fields strings.
            try site.write("message.txt", "two")
            let secondCommit = try site.commit("second")
            let boundary = "----slipway\(UUID().uuidString.prefix(8))"
            let form = multipart(
                [("branch", "main"), ("commit_hash", secondCommit), ("commit_message", "second by hand"), ("commit_dirty", "false")],
                boundary: boundary)
            let multipartCreated = try await send(server, .POST, base, body: form, contentType: "multipart/form-data; boundary=\(boundary)")
            #expect(multipartCreated.status == 200)
            let secondID = try #require(multipartCreated.result["id"] as? String)
            let second = try await waitForEnd(server, base, secondID)
            #expect(((second["deployment_trigger"] as? [String: Any])?["metadata"] as? [String: Any])?["commit_hash"] as? String == secondCommit)
            #expect((second["latest_stage"] as? [String: Any])?["status"] as? String == "success")
            #expect(try await send(server, .GET, "/api/v1/deployments").status == 200)

            // Multipart that Slipway refuses: a file, an unknown field, a bad flag, no closing boundary.
            for (body, field) in [
                (multipart([("manifest", "{}")], boundary: boundary, file: true), "manifest"),
                (multipart([("manifest", "{}")], boundary: boundary), "manifest"),
                (multipart([("commit_dirty", "maybe")], boundary: boundary), "commit_dirty"),
                ("--\(boundary)\r\nContent-Disposition: form-data; name=\"branch\"\r\n\r\nmain", "body"),
            ] {
                let refused = try await send(server, .POST, base, body: body, contentType: "multipart/form-data; boundary=\(boundary)")
                #expect(refused.status == 400, "\(field)")
                let error = (refused.json["errors"] as? [[String: Any]])?.first
                #expect((error?["source"] as? [String: Any])?["pointer"] as? String == "/\(field)", "\(field)")
                #expect(refused.json["success"] as? Bool == false && (refused.errorCode ?? 0) >= 1000)
            }
            #expect(try await send(server, .POST, base, body: #"{"branch": "-bad"}"#).status == 400)

            // A failed deployment, then retry: a new deployment of the same commit.
            try site.write("fail.txt", "x")
            _ = try site.commit("broken")
            let failedID = try #require(try await send(server, .POST, base, body: "{}").result["id"] as? String)
            let failed = try await waitForEnd(server, base, failedID)
            #expect((failed["latest_stage"] as? [String: Any])?["name"] as? String == "build")
            #expect((failed["latest_stage"] as? [String: Any])?["status"] as? String == "failure")
            let retried = try await send(server, .POST, "\(base)/\(failedID)/retry", body: "")
            #expect(retried.status == 200)
            let retriedID = try #require(retried.result["id"] as? String)
            #expect(retriedID != failedID)
            let retriedEnd = try await waitForEnd(server, base, retriedID)
            #expect(
                ((retriedEnd["deployment_trigger"] as? [String: Any])?["metadata"] as? [String: Any])?["commit_hash"] as? String
                    == ((failed["deployment_trigger"] as? [String: Any])?["metadata"] as? [String: Any])?["commit_hash"] as? String)
            let retriedSuccess = try await send(server, .POST, "\(base)/\(firstID)/retry", body: "")
            #expect(retriedSuccess.status == 200)
            let retriedSuccessID = try #require(retriedSuccess.result["id"] as? String)
            let retriedSuccessEnd = try await waitForEnd(server, base, retriedSuccessID)
            #expect((retriedSuccessEnd["latest_stage"] as? [String: Any])?["status"] as? String == "success")

            // Logs.
            let logs = try await send(server, .GET, "\(base)/\(failedID)/history/logs")
            #expect(logs.status == 200)
            let lines = try #require(logs.result["data"] as? [[String: Any]])
            #expect(logs.result["total"] as? Int == lines.count && logs.result["includes_container_logs"] as? Bool == false)
            #expect(lines.contains { ($0["line"] as? String)?.contains("refusing to build") == true })
            #expect(lines.allSatisfy { ($0["ts"] as? String)?.range(of: timestamp, options: .regularExpression) != nil })

            // List: pages, result_info, a page past the end is empty, env.
            let listed = try await send(server, .GET, "\(base)?per_page=2&page=1")
            #expect(listed.status == 200)
            #expect((listed.json["result"] as? [[String: Any]])?.map { $0["id"] as? String } == [retriedSuccessID, retriedID])
            let info = try #require(listed.json["result_info"] as? [String: Any])
            #expect(info["page"] as? Int == 1 && info["per_page"] as? Int == 2 && info["count"] as? Int == 2)
            #expect(info["total_count"] as? Int == 5 && info["total_pages"] as? Int == 3)
            let last = try await send(server, .GET, "\(base)?per_page=2&page=3")
            #expect((last.json["result"] as? [[String: Any]])?.map { $0["id"] as? String } == [firstID])
            let past = try await send(server, .GET, "\(base)?per_page=2&page=4")
            #expect(past.status == 200 && (past.json["result"] as? [Any])?.isEmpty == true)
            #expect(((try await send(server, .GET, "\(base)?env=preview")).json["result"] as? [Any])?.isEmpty == true)
            #expect(
                (try await send(server, .GET, "\(base)?env=production")).json["result_info"].map { ($0 as? [String: Any])?["total_count"] as? Int }
                    == 5)
            for query in ["env=staging", "page=0", "per_page=1000", "page=x"] {
                #expect(try await send(server, .GET, "\(base)?\(query)").status == 400, "\(query)")
            }

            // Rollback: only to a successful production deployment; a 409 tells clients not to retry.
            let refused = try await send(server, .POST, "\(base)/\(failedID)/rollback", body: "")
            #expect(refused.status == 409 && refused.headers.first(name: "x-should-retry") == "false")
            #expect(refused.json["success"] as? Bool == false && (refused.errorCode ?? 0) >= 1000)
            #expect((refused.json["errors"] as? [[String: Any]])?.first?["message"] as? String != nil)
            let rolledBack = try await send(server, .POST, "\(base)/\(secondID)/rollback", body: "")
            #expect(rolledBack.status == 200)
            let rollbackID = try #require(rolledBack.result["id"] as? String)
            let rollbackEnd = try await waitForEnd(server, base, rollbackID)
            #expect((rollbackEnd["latest_stage"] as? [String: Any])?["status"] as? String == "success")
            #expect((rollbackEnd["aliases"] as? [String])?.contains("http://web.localhost:\(server.port)") == true)
            #expect(try await server.edge("web").body.contains("two"))

            // Cancel (Slipway's) of a running build.
            try site.git("rm", "-q", "fail.txt")
            try site.write("slow.txt", "x")
            _ = try site.commit("slow")
            let slowID = try #require(try await send(server, .POST, base, body: #"{"branch": "main"}"#).result["id"] as? String)
            let canceled = try await send(server, .POST, "\(base)/\(slowID)/cancel", body: "")
            #expect(canceled.status == 200)
            #expect((canceled.result["latest_stage"] as? [String: Any])?["status"] as? String == "canceled")
            let again = try await send(server, .POST, "\(base)/\(slowID)/cancel", body: "")
            #expect(again.status == 409 && again.headers.first(name: "x-should-retry") == "false")

            // Delete: the active production is refused; an old one goes with force; then 404.
            let activeDelete = try await send(server, .DELETE, "\(base)/\(rollbackID)")
            #expect(activeDelete.status == 409 && activeDelete.headers.first(name: "x-should-retry") == "false")
            let deleted = try await send(server, .DELETE, "\(base)/\(failedID)?force=true")
            #expect(deleted.status == 200 && deleted.json["success"] as? Bool == true)
            #expect((deleted.json["result"] as? [String: Any])?.isEmpty == true)
            let gone = try await send(server, .GET, "\(base)/\(failedID)")
            #expect(gone.status == 404 && gone.errorCode == 8_000_009 && gone.json["success"] as? Bool == false)
            #expect(try await send(server, .DELETE, "\(base)/\(firstID)?force=maybe").status == 400)

            // Auth and tenancy: 401 in the envelope, another account or workspace is 404.
            let anonymous = try await send(server, .GET, base, token: "")
            #expect(anonymous.status == 401 && anonymous.errorCode == 10_000 && anonymous.json["success"] as? Bool == false)
            let otherAccount = try await send(server, .GET, "/client/v4/accounts/\(String(repeating: "0", count: 32))/pages/projects/web/deployments")
            #expect(otherAccount.status == 404 && otherAccount.errorCode == 7003)
            let unknownProject = try await send(server, .GET, "/client/v4/accounts/\(account)/pages/projects/nope/deployments")
            #expect(unknownProject.status == 404 && unknownProject.errorCode == 8_000_007)
            let otherToken = try await server.createWorkspace("elsewhere")
            #expect(try await send(server, .GET, base, token: otherToken).status == 404)
            #expect(try await send(server, .GET, "\(base)/\(firstID)", token: otherToken).status == 404)
            #expect(try await send(server, .DELETE, "\(base)/\(firstID)", token: otherToken).status == 404)
            #expect(try await send(server, .GET, "\(base)/not-a-uuid").status == 404)

            // Paths no route matches under /client/v4 answer in the envelope too, never in the native shape.
            for (method, path) in [
                (HTTPMethod.GET, "/client/v4/accounts/\(account)/pages/projects/web"), (.GET, "/client/v4"), (.GET, "\(base)/\(firstID)/nope"),
                (.PUT, base), (.PATCH, "\(base)/\(firstID)"),
            ] {
                let unknown = try await send(server, method, path)
                #expect(unknown.status == 404 && unknown.errorCode == 7000, "\(method) \(path)")
                #expect(unknown.json["success"] as? Bool == false && (unknown.json["messages"] as? [Any])?.isEmpty == true, "\(path)")
                #expect(unknown.json["status"] == nil, "\(path)")
            }
        }
    }
}
