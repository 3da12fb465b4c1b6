import Foundation
import NIOCore
import NIOHTTP1
import SlipwayClient
import SlipwayTesting
import Testing

/// Dokploy's live log WebSocket (`/listen-deployment?logPath=…`) and the `settings.*` endpoints its clients call
/// first, over real HTTP and real WebSocket connections to a running server (docs/dokploy.md).
@Suite struct DokployLiveLogTests {
    /// A site whose build prints two lines; with `forever.txt` it prints `tick N` every 0.1 s until it is killed.
    static func makeSite() throws -> TemporaryGitRepository {
        let repository = try TemporaryGitRepository()
        try repository.write(
            "build.sh",
            """
            #!/bin/sh
            set -e
            if [ -f forever.txt ]; then i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 0.1; done; fi
            echo "line one"
            echo "line two" >&2
            mkdir -p dist
            echo "<p>ok</p>" > dist/index.html
            """
        )
        try repository.commit("first")
        return repository
    }

    /// The native log of deployment `id`, each line with the newline the WebSocket sends after it.
    static func nativeLog(_ server: TestServer, _ id: Int64) async throws -> [String] {
        let (status, data) = try await server.client.raw(.GET, "/api/v1/deployments/\(id)/logs?limit=10000")
        #expect(status == 200)
        let page = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return (page["data"] as? [[String: Any]] ?? []).compactMap { ($0["line"] as? String).map { $0 + "\n" } }
    }

    /// The `logPath` Dokploy's listing hands out for deployment `uid` of the application `projectUID`.
    static func logPath(_ server: TestServer, application projectUID: String, deployment uid: String) async throws -> String {
        let answer = try await server.send(.GET, "/api/deployment.all?applicationId=\(projectUID)", headers: [("x-api-key", server.adminToken)])
        let all = try #require(answer.json as? [[String: Any]])
        return try #require(all.first { $0["deploymentId"] as? String == uid }?["logPath"] as? String)
    }

    static func target(_ logPath: String, serverID: String? = nil) -> String {
        var components = URLComponents()
        components.path = "/listen-deployment"
        components.queryItems = [URLQueryItem(name: "logPath", value: logPath)] + (serverID.map { [URLQueryItem(name: "serverId", value: $0)] } ?? [])
        return components.string!
    }

    /// Frames until the server's close frame (inclusive), or until the connection ends.
    static func framesUntilClose(_ socket: WebSocketTestClient) async throws -> [WebSocketTestClient.Frame] {
        var frames: [WebSocketTestClient.Frame] = []
        while let frame = try await socket.next() {
            frames.append(frame)
            if case .close = frame { break }
        }
        return frames
    }

    static func texts(_ frames: [WebSocketTestClient.Frame]) -> [String] {
        frames.compactMap { if case .text(let text) = $0 { text } else { nil } }
    }

    @Test func aFinishedDeploymentsLogIsReplayedFromItsStartThenTheSocketCloses() async throws {
        let site = try Self.makeSite()
        try await TestServer.withServer { server in
            let api = server.client
            let web = try await api.createProject(
                NewProjectRequest(name: "web", repository: site.path, buildCommand: "sh build.sh", outputDir: "dist"))
            let done = try await api.waitForDeployment(try await api.deploy(projectIDs: [web.id]).deploymentIds[0])
            #expect(done.state == "success")
            let logPath = try await Self.logPath(server, application: web.uid, deployment: done.uid)
            #expect(logPath == "/api/v1/deployments/\(done.id)/logs")

            // RFC 6455 §1.3's sample key and its accept value.
            let socket = try await WebSocketTestClient.open(
                port: server.port, target: Self.target(logPath), headers: [("x-api-key", server.adminToken)], key: "dGhlIHNhbXBsZSBub25jZQ==")
            #expect(socket.head.status == 101)
            #expect(socket.head.headers["upgrade"]?.lowercased() == "websocket")
            #expect(socket.head.headers["connection"]?.lowercased() == "upgrade")
            #expect(socket.head.headers["sec-websocket-accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
            let frames = try await Self.framesUntilClose(socket)
            let texts = Self.texts(frames)
            // The whole log, from its first line, one text frame per line, exactly as the native log has it.
            #expect(texts == (try await Self.nativeLog(server, done.id)))
            #expect(texts.contains("line one\n") && texts.contains("line two\n"))
            // The client answers the close; the server then closes the connection (one that waited long enough for
            // the answer has closed it already, which ends it as well).
            do {
                try await socket.send(opcode: 0x8, payload: [0x03, 0xE8])
            } catch let error as ChannelError where error == .ioOnClosedChannel {}
            #expect(try await socket.next() == nil)
            #expect(frames.last == .close(code: 1000, reason: "deployment success"))

            // `Authorization: Bearer` and `serverId` "1" (what Dokploy's clients add) work too.
            let bearer = try await WebSocketTestClient.open(
                port: server.port, target: Self.target(logPath, serverID: "1"), headers: [("Authorization", "Bearer \(server.adminToken)")])
            #expect(bearer.head.status == 101)
            #expect(Self.texts(try await Self.framesUntilClose(bearer)) == texts)
            await bearer.closeConnection()
        }
    }

    @Test func aRunningBuildIsFollowedLiveUntilItEnds() async throws {
        let site = try Self.makeSite()
        try site.write("forever.txt", "x")
        try site.commit("forever")
        try await TestServer.withServer { server in
            let api = server.client
            let web = try await api.createProject(
                NewProjectRequest(name: "web", repository: site.path, buildCommand: "sh build.sh", outputDir: "dist"))
            let id = try await api.deploy(projectIDs: [web.id]).deploymentIds[0]
            let running = try await api.deployment(id)
            let logPath = try await Self.logPath(server, application: web.uid, deployment: running.uid)

            // A client that leaves: its close frame is answered and the connection ends, the build goes on.
            let leaving = try await WebSocketTestClient.open(
                port: server.port, target: Self.target(logPath), headers: [("x-api-key", server.adminToken)])
            #expect(leaving.head.status == 101)
            try await leaving.send(opcode: 0x8, payload: [0x03, 0xE8])
            var leavingFrames: [WebSocketTestClient.Frame] = []
            while let frame = try await leaving.next() { leavingFrames.append(frame) }
            #expect(leavingFrames.last == .close(code: 1000, reason: ""))

            let socket = try await WebSocketTestClient.open(
                port: server.port, target: Self.target(logPath), headers: [("x-api-key", server.adminToken)])
            #expect(socket.head.status == 101)
            // The build never ends by itself: ticks that arrive came while it ran.
            var frames: [WebSocketTestClient.Frame] = []
            while Self.texts(frames).filter({ $0.hasPrefix("tick ") }).count < 3 {
                frames.append(try #require(try await socket.next()))
            }
            #expect(try await api.deployment(id).state == "running")
            // A ping gets its pong, between the log's frames.
            try await socket.send(opcode: 0x9, payload: Array("are you there".utf8))
            while !frames.contains(.pong(Array("are you there".utf8))) {
                frames.append(try #require(try await socket.next()))
            }

            let killed = try await server.send(
                .POST, "/api/deployment.killProcess", headers: [("x-api-key", server.adminToken)],
                body: Data(#"{"deploymentId": "\#(running.uid)"}"#.utf8))
            #expect(killed.status == 200)
            frames += try await Self.framesUntilClose(socket)
            // The client answers the server's close at once; a server that waited long enough for it has closed the
            // connection already, which ends it as well.
            do {
                try await socket.send(opcode: 0x8, payload: [0x03, 0xE8])
            } catch let error as ChannelError where error == .ioOnClosedChannel {}
            #expect(try await socket.next() == nil)
            #expect(frames.last == .close(code: 1000, reason: "deployment canceled"))
            let texts = Self.texts(frames)
            #expect(texts == (try await Self.nativeLog(server, id)), "every line once, in order, up to the end")
            #expect(texts.filter { $0.hasPrefix("tick ") }.count >= 3)
        }
    }

    @Test func theSocketIsRefusedWithoutATokenForAnotherWorkspaceAndForAnyOtherLogPath() async throws {
        let site = try Self.makeSite()
        try await TestServer.withServer { server in
            let api = server.client
            let web = try await api.createProject(
                NewProjectRequest(name: "web", repository: site.path, buildCommand: "sh build.sh", outputDir: "dist"))
            let done = try await api.waitForDeployment(try await api.deploy(projectIDs: [web.id]).deploymentIds[0])
            let logPath = try await Self.logPath(server, application: web.uid, deployment: done.uid)
            let otherToken = try await server.createWorkspace("elsewhere")

            func refusal(_ target: String, _ headers: [(String, String)]) async throws -> (Int, [String: Any]) {
                let socket = try await WebSocketTestClient.open(port: server.port, target: target, headers: headers)
                defer { Task { await socket.closeConnection() } }
                let body = try JSONSerialization.jsonObject(with: Data(socket.head.body.utf8)) as? [String: Any] ?? [:]
                return (socket.head.status, body)
            }
            let (noToken, noTokenBody) = try await refusal(Self.target(logPath), [])
            #expect(noToken == 401 && noTokenBody["code"] as? String == "UNAUTHORIZED")
            #expect(try await refusal(Self.target(logPath), [("x-api-key", "slw_wrong")]).0 == 401)
            let (missing, missingBody) = try await refusal("/listen-deployment", [("x-api-key", server.adminToken)])
            #expect(missing == 400 && missingBody["field"] as? String == "logPath")
            // Another workspace's deployment is not found, like one that does not exist.
            let (foreign, foreignBody) = try await refusal(Self.target(logPath), [("x-api-key", otherToken)])
            #expect(foreign == 404 && foreignBody["code"] as? String == "NOT_FOUND")
            // A logPath is a name Slipway handed out, never a file: anything else is not found.
            for forged in [
                "/etc/passwd", "/api/v1/deployments/\(done.id)/../../../../etc/passwd", "/api/v1/deployments/../\(done.id)/logs",
                "/api/v1/deployments/999999/logs", "/api/v1/deployments/\(done.id)/logs/", "/api/v1/deployments/-\(done.id)/logs",
                "/etc/dokploy/logs/web/web-2026-01-01.log", "api/v1/deployments/\(done.id)/logs",
            ] {
                let (status, body) = try await refusal(Self.target(forged), [("x-api-key", server.adminToken)])
                #expect(status == 404 && body["code"] as? String == "NOT_FOUND", "\(forged)")
            }
            #expect(try await refusal(Self.target(logPath, serverID: "2"), [("x-api-key", server.adminToken)]).0 == 404)

            // Without an upgrade: 426, in Dokploy's error shape (checked against the OpenAPI document).
            let plain = try await server.send(.GET, Self.target(logPath), headers: [("x-api-key", server.adminToken)])
            #expect(plain.status == 426 && (plain.json as? [String: Any])?["code"] as? String == "UPGRADE_REQUIRED")
        }
    }

    @Test func settingsHealthAndTheDokployOpenAPIDocument() async throws {
        try await TestServer.withServer { server in
            let health = try await server.send(.GET, "/api/settings.health", headers: [])
            #expect(health.status == 200 && (health.json as? [String: Any])?["status"] as? String == "ok")

            let refused = try await server.send(.GET, "/api/settings.getOpenApiDocument", headers: [])
            #expect(refused.status == 401 && (refused.json as? [String: Any])?["code"] as? String == "UNAUTHORIZED")

            let answer = try await server.send(.GET, "/api/settings.getOpenApiDocument", headers: [("x-api-key", server.adminToken)])
            #expect(answer.status == 200)
            let document = try #require(answer.json as? [String: Any])
            #expect((document["servers"] as? [[String: Any]])?.first?["url"] as? String == "http://127.0.0.1:\(server.port)/api")
            // Exactly the Dokploy dialect's `/api` operations of openapi.yaml, named as Dokploy names them.
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            #expect(
                Set(paths.keys) == [
                    "/deployment.all", "/deployment.allByCompose", "/deployment.allByServer", "/deployment.allCentralized",
                    "/deployment.queueList", "/deployment.allByType", "/deployment.killProcess", "/deployment.removeDeployment",
                    "/settings.health", "/settings.getOpenApiDocument",
                ])
            #expect(Set(paths["/deployment.killProcess"]?.keys.map { $0 } ?? []) == ["post"])
            // Every reference resolves inside the document.
            let components = try #require(document["components"] as? [String: [String: Any]])
            let text = String(decoding: try JSONSerialization.data(withJSONObject: document, options: [.withoutEscapingSlashes]), as: UTF8.self)
            let references = text.matches(of: /"\$ref":"#\/components\/(\w+)\/(\w+)"/).map { (String($0.1), String($0.2)) }
            #expect(!references.isEmpty)
            for (section, name) in references { #expect(components[section]?[name] != nil, "\(section)/\(name)") }
        }
    }
}
