import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SlipwayCore
import Testing

@testable import SlipwayEdge

/// A custom domain is routed exactly as the route key it serves like: static files, the proxy and upgrades alike;
/// an unknown host keeps going to the API.
@Suite struct CustomDomainEdgeTests {
    @Test func aCustomDomainServesItsStaticSiteAndServiceLikeTheirOwnNames() async throws {
        try await ProxyFixture.with { fixture in
            fixture.routes.setCustomDomain("site.example.test", DomainRoute(projectName: "hello", branch: nil))
            fixture.routes.setCustomDomain("app.example.test", DomainRoute(projectName: "app", branch: nil))

            let (site, siteBody) = try await fixture.send(fixture.request("/", host: "Site.Example.Test.:8080"))
            #expect(site.status == .ok)
            #expect(String(buffer: siteBody) == "<h1>home</h1>")

            let (app, appBody) = try await fixture.send(fixture.request("/headers", host: "app.example.test"))
            #expect(app.status == .ok)
            #expect(String(buffer: appBody).split(separator: "\n").contains("host: app.example.test"))

            let (unknown, unknownBody) = try await fixture.send(fixture.request("/", host: "other.example.test"))
            #expect(unknown.status == .ok)
            #expect(String(buffer: unknownBody) == "api")

            // Removed: the next request on a new connection goes to the API.
            fixture.routes.removeCustomDomain("site.example.test")
            let (gone, goneBody) = try await fixture.send(fixture.request("/", host: "site.example.test"))
            #expect(gone.status == .ok)
            #expect(String(buffer: goneBody) == "api")
        }
    }

    @Test func anUpgradeOnACustomDomainIsSplicedThroughToTheProcess() async throws {
        try await ProxyFixture.with { fixture in
            let upstream = try RawUpgradeUpstream()
            defer { upstream.stop() }
            fixture.routes.set(["ws": RouteTarget(deploymentID: 13, buildID: UUID(), kind: .service)])
            fixture.endpoints.setPort(upstream.port, for: 13)
            fixture.routes.setCustomDomain("chat.example.test", DomainRoute(projectName: "ws", branch: nil))

            let client = try await RawSocket.connect(port: fixture.edgePort)
            try await client.send(
                "GET /socket HTTP/1.1\r\nHost: chat.example.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                    + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
            let head = try await client.receive(until: "\r\n\r\n")
            #expect(head.hasPrefix("HTTP/1.1 101 Switching Protocols\r\n"), "\(head)")
            try await client.send("frame\n")
            #expect(try await client.receive(until: "\n") == "echo: frame\n")
            #expect(upstream.requestHead.contains("Host: chat.example.test\r\n"))
            client.close()
            #expect(try await fixture.waitForInFlight(0, deploymentID: 13))
        }
    }

    @Test func aKeepAliveConnectionSeesADomainAddedWhileItIsOpen() async throws {
        try await ProxyFixture.with { fixture in
            let client = try await RawSocket.connect(port: fixture.edgePort)
            defer { client.close() }
            let request = "GET / HTTP/1.1\r\nHost: late.example.test\r\n\r\n"
            try await client.send(request)
            let before = try await client.receiveResponse()
            #expect(before.head.hasPrefix("HTTP/1.1 200"))
            #expect(before.body == "api")
            fixture.routes.setCustomDomain("late.example.test", DomainRoute(projectName: "hello", branch: nil))
            try await client.send(request)
            let after = try await client.receiveResponse()
            #expect(after.head.hasPrefix("HTTP/1.1 200"), "\(after.head)")
            #expect(after.body == "<h1>home</h1>")
        }
    }
}
