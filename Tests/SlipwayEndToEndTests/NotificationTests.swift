import Crypto
import Foundation
import NIOHTTP1
import SlipwayClient
import SlipwayCore
import SlipwayTesting
import Testing

@testable import SlipwayServer

/// The delivery log did not reach the state waited for.
struct DeliveryTimeout: Error {}

/// Notifications out, over real HTTP on loopback: a destination served by the test receives what a real deployment
/// announces (docs/notifications.md).
@Suite struct NotificationTests {
    static let secret = "a-test-secret-0123456789"

    /// A one-commit static site whose build writes dist/index.html.
    func makeSite() throws -> TemporaryGitRepository {
        let repository = try TemporaryGitRepository()
        try repository.write("build.sh", "#!/bin/sh\nset -e\nmkdir -p dist\necho '<h1>hi</h1>' > dist/index.html\n")
        try repository.commit("first")
        return repository
    }

    func json(_ data: Data) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// Waits until the destination's newest delivery satisfies `condition` (checking every 20 ms, a minute at most).
    func waitForDelivery(
        _ api: SlipwayClient, _ destination: Int64, _ condition: @Sendable (NotificationDeliveryInfo) -> Bool
    ) async throws -> NotificationDeliveryInfo {
        for _ in 0..<3000 {
            if let newest = try await api.notificationDeliveries(destination, limit: 1).first, condition(newest) { return newest }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw DeliveryTimeout()
    }

    @Test("A real deployment's events arrive signed, in order, and the log shows their status codes")
    func signedPayloadsInOrder() async throws {
        let site = try makeSite()
        try await RecordingHTTPServer.with { receiver in
            try await TestServer.withServer { server in
                let api = server.client
                let destination = try await api.addNotificationDestination(
                    kind: "webhook", url: receiver.baseURL + "/hooks/slipway?key=x",
                    events: ["deployment.queued", "deployment.started", "deployment.succeeded", "deployment.failed"], secret: Self.secret)
                #expect(destination.url == "http://127.0.0.1:\(receiver.port)/•••" && destination.hasSecret)
                let project = try await api.createProject(
                    NewProjectRequest(name: "notified", repository: site.path, buildCommand: "sh build.sh", outputDir: "dist"))
                let queued = try await api.deploy(projectIDs: [project.id])
                let deployment = try await api.waitForDeployment(queued.deploymentIds[0])
                #expect(deployment.state == "success")

                let requests = try await receiver.waitForRequests(3)
                #expect(requests.map { $0.headers["x-slipway-event"] } == ["deployment.queued", "deployment.started", "deployment.succeeded"])
                for request in requests {
                    #expect(request.method == "POST" && request.path == "/hooks/slipway?key=x")
                    // The receiver's check: HMAC-SHA256 of the exact body with the shared secret.
                    let code = HMAC<SHA256>.authenticationCode(for: request.body, using: SymmetricKey(data: Data(Self.secret.utf8)))
                    #expect(request.headers["x-slipway-signature"] == "sha256=" + code.map { String(format: "%02x", $0) }.joined())
                    #expect(request.headers["content-type"] == "application/json")
                }
                let last = try json(requests[2].body)
                #expect(last["event"] as? String == "deployment.succeeded")
                let projectObject = try #require(last["project"] as? [String: Any])
                #expect(projectObject["name"] as? String == "notified")
                let deploymentObject = try #require(last["deployment"] as? [String: Any])
                #expect((deploymentObject["id"] as? NSNumber)?.int64Value == deployment.id)
                #expect(deploymentObject["state"] as? String == "success")
                #expect(deploymentObject["branch"] as? String == "main")
                #expect(deploymentObject["commit"] as? String == deployment.commitId)
                #expect(deploymentObject["url"] as? String == "http://\(deployment.shortId).notified.localhost:\(server.port)")

                let log = try await waitForDelivery(api, destination.id) { $0.event == "deployment.succeeded" && $0.state == "delivered" }
                #expect(log.statusCode == 200 && log.attempts == 1 && log.deploymentId == deployment.id)
                let all = try await api.notificationDeliveries(destination.id)
                #expect(all.map(\.event) == ["deployment.succeeded", "deployment.started", "deployment.queued"])
                #expect(all.allSatisfy { $0.statusCode == 200 })
                // Nothing was sent twice.
                #expect(receiver.received.count == 3)
            }
        }
    }

    @Test("A delivery answered 500 is tried again after the backoff and then logged as delivered")
    func retriesAfterAServerError() async throws {
        try await RecordingHTTPServer.with(answer: { _, index in index == 0 ? .status(500) : .status(204) }) { receiver in
            try await TestServer.withServer(configure: { $0.notifications.backoff = NotificationBackoff(initial: .milliseconds(300)) }) { server in
                let api = server.client
                let destination = try await api.addNotificationDestination(
                    kind: "discord", url: receiver.baseURL + "/discord", events: ["deployment.failed"])
                let queued = try await api.testNotificationDestination(destination.id)
                #expect(queued.state == "pending" && queued.event == "notification.test")
                let delivered = try await waitForDelivery(api, destination.id) { $0.state == "delivered" }
                #expect(delivered.attempts == 2 && delivered.statusCode == 204 && delivered.error == nil)
                let requests = receiver.received
                #expect(requests.count == 2)
                #expect(requests[0].body == requests[1].body && requests[0].headers["x-slipway-delivery"] == String(delivered.id))
                #expect(requests[1].receivedAt.timeIntervalSince(requests[0].receivedAt) >= 0.3)
                let content = try json(requests[0].body)["content"] as? String
                #expect(content?.contains("notification.test") == true)
            }
        }
    }

    @Test("A destination that hangs does not delay a deployment")
    func hangingDestination() async throws {
        let site = try makeSite()
        try await RecordingHTTPServer.with(answer: { _, _ in .hang }) { receiver in
            try await TestServer.withServer(configure: { $0.notifications.timeout = .seconds(600) }) { server in
                let api = server.client
                let destination = try await api.addNotificationDestination(
                    kind: "slack", url: receiver.baseURL + "/slack", events: ["deployment.queued", "deployment.succeeded"])
                let project = try await api.createProject(
                    NewProjectRequest(name: "patient", repository: site.path, buildCommand: "sh build.sh", outputDir: "dist"))
                let queued = try await api.deploy(projectIDs: [project.id])
                // The first delivery is held by the destination...
                let held = try await receiver.waitForRequests(1)
                #expect(held[0].headers["x-slipway-event"] == "deployment.queued")
                // ...and the deployment goes live regardless.
                let deployment = try await api.waitForDeployment(queued.deploymentIds[0])
                #expect(deployment.state == "success")
                #expect(try await server.edge("patient").body == "<h1>hi</h1>\n")
                let log = try await api.notificationDeliveries(destination.id)
                #expect(log.map(\.state) == ["pending", "pending"] && log.last?.attempts == 1 && log.last?.statusCode == nil)
                #expect(receiver.received.count == 1)
            }
        }
    }

    @Test("Every bad input is a 4xx naming the field")
    func badInput() async throws {
        try await TestServer.withServer(configure: { $0.notifications.allowsPrivateTargets = false }) { server in
            let api = server.client
            let cases: [(String, Int, String)] = [
                (#"{"kind":"email","url":"https://x.example/","events":["deployment.failed"]}"#, 422, "kind"),
                (#"{"url":"https://x.example/","events":["deployment.failed"]}"#, 422, "kind"),
                (#"{"kind":"webhook","url":"ftp://x.example/","events":["deployment.failed"]}"#, 422, "url"),
                (#"{"kind":"webhook","url":"https://u:p@x.example/","events":["deployment.failed"]}"#, 422, "url"),
                (#"{"kind":"webhook","url":"http://127.0.0.1:9/","events":["deployment.failed"]}"#, 422, "url"),
                (#"{"kind":"webhook","url":"http://localhost/","events":["deployment.failed"]}"#, 422, "url"),
                (#"{"kind":"webhook","url":"http://[::ffff:10.0.0.1]/","events":["deployment.failed"]}"#, 422, "url"),
                (#"{"kind":"webhook","url":"https://x.example/","events":[]}"#, 422, "events"),
                (#"{"kind":"webhook","url":"https://x.example/","events":["deployment.exploded"]}"#, 422, "events.0"),
                (#"{"kind":"webhook","url":"https://x.example/","events":"deployment.failed"}"#, 422, "events"),
                (#"{"kind":"webhook","url":"https://x.example/","events":["deployment.failed"],"secret":"short"}"#, 422, "secret"),
                (#"{"kind":"slack","url":"https://x.example/","events":["deployment.failed"],"secret":"long-enough-secret-1234"}"#, 422, "secret"),
                (#"{"kind":"webhook","url":5,"events":["deployment.failed"]}"#, 422, "url"),
                ("not json", 400, "JSON"),
            ]
            for (body, status, field) in cases {
                let (answered, data) = try await api.raw(.POST, "/api/v1/notifications", body: Data(body.utf8))
                let text = String(decoding: data, as: UTF8.self)
                #expect(answered == status, "\(body): \(text)")
                #expect(text.contains(field), "\(body): \(text)")
            }
            #expect(try await api.raw(.GET, "/api/v1/notifications/1/deliveries?limit=0").0 == 422)
            let created = try await api.addNotificationDestination(kind: "webhook", url: "https://x.example/", events: ["deployment.failed"])
            let (limitStatus, limitData) = try await api.raw(.GET, "/api/v1/notifications/\(created.id)/deliveries?limit=500")
            #expect(limitStatus == 422 && String(decoding: limitData, as: UTF8.self).contains("limit"))
            #expect(try await api.raw(.DELETE, "/api/v1/notifications/abc").0 == 404)
            #expect(try await api.raw(.POST, "/api/v1/notifications/999/test").0 == 404)
            // A read token sees destinations but cannot change them.
            let reader = try await api.createToken(name: "reader", scopes: ["read"])
            let readerClient = server.client(token: try #require(reader.token))
            #expect(try await readerClient.notificationDestinations().map(\.id) == [created.id])
            #expect(try await readerClient.raw(.DELETE, "/api/v1/notifications/\(created.id)").0 == 403)
            #expect(try await readerClient.raw(.POST, "/api/v1/notifications/\(created.id)/test").0 == 403)
            // The most destinations a workspace may have.
            for index in 1..<20 {
                _ = try await api.addNotificationDestination(kind: "webhook", url: "https://x.example/\(index)", events: ["deployment.failed"])
            }
            let (full, fullData) = try await api.raw(
                .POST, "/api/v1/notifications", body: Data(#"{"kind":"webhook","url":"https://x.example/","events":["deployment.failed"]}"#.utf8))
            #expect(full == 422 && String(decoding: fullData, as: UTF8.self).contains("url"))
        }
    }

    @Test("Without the flag a loopback destination is refused at delivery, and so is a redirect to loopback")
    func privateTargetsRefused() async throws {
        try await RecordingHTTPServer.with { receiver in
            let dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("slipway-test-\(UUID().uuidString.prefix(8))").path
            defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
            // Created while the operator allowed private targets...
            let lenient = TestServer.testConfiguration(dataDirectory: dataDirectory)
            let destinationID = try await TestServer.run(lenient) { server in
                try await server.client.addNotificationDestination(kind: "webhook", url: receiver.baseURL + "/", events: ["deployment.failed"]).id
            }
            // ...then refused at delivery once they are not.
            var strict = lenient
            strict.notifications.allowsPrivateTargets = false
            try await TestServer.run(strict) { server in
                let api = server.client
                _ = try await api.testNotificationDestination(destinationID)
                let failed = try await waitForDelivery(api, destinationID) { $0.state == "failed" }
                #expect(failed.attempts == 1 && failed.statusCode == nil)
                #expect(failed.error?.contains("refused") == true && failed.error?.contains("127.0.0.1") == true, "\(failed.error ?? "")")
            }
            #expect(receiver.received.isEmpty)
        }
    }

    @Test("A redirect is followed by hand and each target checked again")
    func redirectsAreChecked() async throws {
        try await RecordingHTTPServer.with(answer: { request, _ in
            switch request.path {
            case "/to-loopback": .redirect("http://127.0.0.2:1/")
            case "/to-localhost": .redirect("http://localhost:1/")
            case "/to-mapped": .redirect("http://[::ffff:127.0.0.1]:1/")
            case "/to-here": .redirect("/landed", status: 307)
            default: .status(200)
            }
        }) { receiver in
            let message = NotificationMessage(body: Data("{}".utf8), headers: [("Content-Type", "application/json")])
            // The test's receiver counts as public; nothing else private does.
            let strict = NotificationSender(configuration: .init(allowsPrivateTargets: false, exemptAddresses: ["127.0.0.1"]))
            for path in ["/to-loopback", "/to-localhost", "/to-mapped"] {
                let result = await strict.send(message, to: receiver.baseURL + path)
                guard case .refused(let reason) = result else {
                    Issue.record("\(path): \(result)")
                    continue
                }
                #expect(!reason.isEmpty)
            }
            #expect(await strict.send(message, to: receiver.baseURL + "/to-here") == .answered(status: 200))
            #expect(receiver.received.map(\.path) == ["/to-loopback", "/to-localhost", "/to-mapped", "/to-here", "/landed"])
            // Without the exemption the receiver itself is refused before any connection.
            let plain = NotificationSender(configuration: .init(allowsPrivateTargets: false))
            guard case .refused = await plain.send(message, to: receiver.baseURL + "/direct") else {
                Issue.record("a loopback destination was not refused")
                return
            }
            #expect(receiver.received.count == 5)
        }
    }
}
