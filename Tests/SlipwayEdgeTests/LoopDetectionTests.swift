import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SlipwayCore
import Testing

@testable import SlipwayEdge

/// A hand-made loop (a service route whose port is the edge's own) and `Host` lines, live through the edge.
@Suite struct LoopDetectionTests {
    @Test func aServiceRouteThatLeadsBackToTheEdgeAnswers508AndTheEdgeStaysHealthy() async throws {
        try await ProxyFixture.with { fixture in
            // The process of `app` "listens" on the edge's own port: every request the edge relays comes back to it.
            fixture.endpoints.setPort(fixture.edgePort, for: ProxyFixture.running)
            for _ in 0..<50 {
                let (response, body) = try await fixture.send(fixture.request("/headers"))
                #expect(response.status.code == 508)
                #expect(String(buffer: body).contains("Loop detected"))
            }
            // Nothing is left going around: no request in flight, and the edge still answers everything else.
            #expect(try await fixture.waitForInFlight(0))
            let (api, apiBody) = try await fixture.send(fixture.request("/", host: "localhost"))
            #expect(api.status.code == 200)
            #expect(String(buffer: apiBody) == "api")
            fixture.endpoints.setPort(fixture.upstreamPort, for: ProxyFixture.running)
            let (service, _) = try await fixture.send(fixture.request("/headers"))
            #expect(service.status.code == 200)
        }
    }

    @Test func aClientsOwnForwardingMarkNeverReachesTheServiceAndTheEdgesMarkDoes() async throws {
        try await ProxyFixture.with { fixture in
            let (response, body) = try await fixture.send(
                fixture.request("/headers", headers: [("Slipway-Forwarded-By", "spoofed"), ("slipway-forwarded-by", "again")]))
            #expect(response.status.code == 200)
            let marks = String(buffer: body).split(separator: "\n").filter { $0.lowercased().hasPrefix("slipway-forwarded-by:") }
            #expect(marks.count == 1)
            #expect(marks.first.map { !$0.contains("spoofed") && !$0.contains("again") } == true)
        }
    }

    @Test func twoHostLinesAre400ForServicesSitesAndTheAPIAlikeAndAfterAHandOverToNIO() async throws {
        try await ProxyFixture.with { fixture in
            for hosts in [("app.localhost", "hello.localhost"), ("localhost", "hello.localhost"), ("hello.localhost", "localhost")] {
                let client = try await RawSocket.connect(port: fixture.edgePort)
                defer { client.close() }
                try await client.send("GET / HTTP/1.1\r\nHost: \(hosts.0)\r\nHost: \(hosts.1)\r\n\r\n")
                let answer = try await client.receiveResponse()
                #expect(answer.head.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), "\(hosts)")
                #expect(answer.body.contains("more than one Host header"))
            }
            // A head longer than the edge reads itself (64 KiB) goes to NIO's decoder whole: `DuplicateHostFilter`
            // refuses the two hosts there. Its first part is sent alone, so that the edge has more than 64 KiB of an
            // unfinished head when it decides.
            let client = try await RawSocket.connect(port: fixture.edgePort)
            defer { client.close() }
            try await client.send("GET / HTTP/1.1\r\nX-Padding: " + String(repeating: "p", count: 66 << 10) + "\r\n")
            try await Task.sleep(for: .milliseconds(200))
            try await client.send("Host: localhost\r\nHost: hello.localhost\r\n\r\n")
            let answer = try await client.receiveResponse()
            #expect(answer.head.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        }
    }
}
