import Foundation
import NIOCore
import SlipwayCore
import Testing

@testable import SlipwayEdge

/// One client connection through the edge, byte by byte: what the relay does with requests in a row, old clients,
/// `Expect`, and upstream connections that went stale.
@Suite struct ProxyConnectionTests {
    @Test func pipelinedRequestsForAServiceAndASiteAreAnsweredInOrderOnOneConnection() async throws {
        try await ProxyFixture.with { fixture in
            let client = try await RawSocket.connect(port: fixture.edgePort)
            defer { client.close() }
            try await client.send(
                "GET /headers?n=1 HTTP/1.1\r\nHost: app.localhost\r\n\r\n" + "GET / HTTP/1.1\r\nHost: hello.localhost\r\n\r\n"
                    + "POST /echo HTTP/1.1\r\nHost: app.localhost\r\nContent-Length: 5\r\n\r\nhello"
                    + "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n" + "GET /headers?n=2 HTTP/1.1\r\nHost: app.localhost\r\n\r\n")
            let first = try await client.receiveResponse()
            #expect(first.head.hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(first.body.contains("path: /headers?n=1\n"))
            let site = try await client.receiveResponse()
            #expect(site.body == "<h1>home</h1>")
            let echo = try await client.receiveResponse()
            #expect(echo.body == "hello")
            let api = try await client.receiveResponse()
            #expect(api.body == "api")
            let last = try await client.receiveResponse()
            #expect(last.body.contains("path: /headers?n=2\n"))
            #expect(try await fixture.waitForInFlight(0))
        }
    }

    @Test func aRouteSwitchTakesEffectOnTheNextRequestOfTheSameConnection() async throws {
        try await ProxyFixture.with { fixture in
            let next = try RawOneAnswerUpstream()
            defer { next.stop() }
            fixture.endpoints.setPort(next.port, for: 15)
            let client = try await RawSocket.connect(port: fixture.edgePort)
            defer { client.close() }
            try await client.send("GET /headers HTTP/1.1\r\nHost: app.localhost\r\n\r\n")
            #expect(try await client.receiveResponse().body.contains("path: /headers\n"))

            fixture.routes.set(["app": RouteTarget(deploymentID: 15, buildID: UUID(), kind: .service)])
            try await client.send("GET /headers HTTP/1.1\r\nHost: app.localhost\r\n\r\n")
            #expect(try await client.receiveResponse().body == "connection 1")
        }
    }

    @Test func anHTTP10ClientGetsItsAnswerAndTheConnectionClosesUnlessItAskedToKeepIt() async throws {
        try await ProxyFixture.with { fixture in
            let closing = try await RawSocket.connect(port: fixture.edgePort)
            defer { closing.close() }
            try await closing.send("GET /headers HTTP/1.0\r\nHost: app.localhost\r\n\r\n")
            let answer = try await closing.receiveResponse()
            #expect(answer.head.hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(answer.head.contains("\r\nConnection: close\r\n"))
            #expect(answer.body.contains("path: /headers\n"))
            #expect(try await closing.isClosedByPeer())

            let kept = try await RawSocket.connect(port: fixture.edgePort)
            defer { kept.close() }
            for _ in 0..<2 {
                try await kept.send("GET /headers HTTP/1.0\r\nHost: app.localhost\r\nConnection: keep-alive\r\n\r\n")
                let answer = try await kept.receiveResponse()
                #expect(answer.head.contains("\r\nConnection: keep-alive\r\n"))
                #expect(answer.body.contains("path: /headers\n"))
            }
        }
    }

    @Test func aClientThatClosesItsSideAfterItsRequestStillGetsTheAnswer() async throws {
        try await ProxyFixture.with { fixture in
            let client = try await RawSocket.connect(port: fixture.edgePort)
            defer { client.close() }
            try await client.send("GET /slow-head HTTP/1.1\r\nHost: app.localhost\r\n\r\n")
            client.shutdownWrite()
            let answer = try await client.receiveResponse()
            #expect(answer.head.hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(answer.body == "late")
            #expect(try await client.isClosedByPeer())
        }
    }

    @Test func aClientThatExpectsContinueGetsItFromTheEdgeThenItsAnswer() async throws {
        try await ProxyFixture.with { fixture in
            let client = try await RawSocket.connect(port: fixture.edgePort)
            defer { client.close() }
            try await client.send("POST /echo HTTP/1.1\r\nHost: app.localhost\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
            #expect(try await client.receive(until: "\r\n\r\n") == "HTTP/1.1 100 Continue\r\n\r\n")
            try await client.send("hello")
            let answer = try await client.receiveResponse()
            #expect(answer.head.hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(answer.body == "hello")
        }
    }

    @Test func aRequestOnAPooledConnectionTheProcessClosedGoesAgainOnANewOne() async throws {
        try await ProxyFixture.with { fixture in
            let upstream = try RawOneAnswerUpstream()
            defer { upstream.stop() }
            fixture.routes.set(["stale": RouteTarget(deploymentID: 14, buildID: UUID(), kind: .service)])
            fixture.endpoints.setPort(upstream.port, for: 14)

            let client = try await RawSocket.connect(port: fixture.edgePort)
            defer { client.close() }
            try await client.send("GET /a HTTP/1.1\r\nHost: stale.localhost\r\n\r\n")
            #expect(try await client.receiveResponse().body == "connection 1")
            // The edge reuses connection 1, which the process closes on this request: it is sent again on a new one.
            try await client.send("GET /b HTTP/1.1\r\nHost: stale.localhost\r\n\r\n")
            let retried = try await client.receiveResponse()
            #expect(retried.head.hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(retried.body == "connection 2")
            // A request that may not be sent twice is not: the client hears that the process closed the connection.
            try await client.send("POST /c HTTP/1.1\r\nHost: stale.localhost\r\nContent-Length: 0\r\n\r\n")
            #expect(try await client.receiveResponse().head.hasPrefix("HTTP/1.1 502 Bad Gateway\r\n"))
            #expect(upstream.connections == 2)
            #expect(try await fixture.waitForInFlight(0, deploymentID: 14))
        }
    }

    @Test func aHeadTheEdgeDoesNotReadItselfIsLeftToHummingbird() async throws {
        try await ProxyFixture.with { fixture in
            let client = try await RawSocket.connect(port: fixture.edgePort)
            defer { client.close() }
            // Two lengths that disagree: the edge does not guess where the body ends; NIO's decoder refuses it.
            try await client.send("POST /echo HTTP/1.1\r\nHost: app.localhost\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab")
            let answer = try await client.receive(until: "\r\n\r\n")
            #expect(answer.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), "\(answer)")
        }
    }

    /// A connection to the edge for `host.localhost`, whose deployment 16 is a `RawScriptedUpstream` saying `answer`.
    private static func withScriptedService(
        _ fixture: ProxyFixture, answer: String, closes: Bool, _ body: (RawSocket) async throws -> Void
    ) async throws {
        let upstream = try RawScriptedUpstream(answer: answer, closes: closes)
        defer { upstream.stop() }
        fixture.routes.set(["scripted": RouteTarget(deploymentID: 16, buildID: UUID(), kind: .service)])
        fixture.endpoints.setPort(upstream.port, for: 16)
        let client = try await RawSocket.connect(port: fixture.edgePort)
        defer { client.close() }
        try await body(client)
    }

    @Test func aResponseThatEndsWithItsConnectionReachesTheClientWhichIsThenClosed() async throws {
        try await ProxyFixture.with { fixture in
            let answer = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nno length, just the end"
            try await Self.withScriptedService(fixture, answer: answer, closes: true) { client in
                try await client.send("GET / HTTP/1.1\r\nHost: scripted.localhost\r\n\r\n")
                let all = try await client.receiveUntilClosed()
                #expect(all.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(all)")
                #expect(all.contains("\r\nConnection: close\r\n"))
                #expect(all.hasSuffix("\r\n\r\nno length, just the end"))
            }
            #expect(try await fixture.waitForInFlight(0, deploymentID: 16))
        }
    }

    @Test func interimAnswersStayBehindAndTheFinalOneComesThrough() async throws {
        try await ProxyFixture.with { fixture in
            let answer = "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
            try await Self.withScriptedService(fixture, answer: answer, closes: false) { client in
                for _ in 0..<2 {
                    try await client.send("GET / HTTP/1.1\r\nHost: scripted.localhost\r\n\r\n")
                    let response = try await client.receiveResponse()
                    #expect(response.head.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(response.head)")
                    #expect(response.body == "ok")
                }
            }
        }
    }

    @Test func aChunkedResponseCrossesChunkForChunkWithItsExtensionsAndTrailers() async throws {
        try await ProxyFixture.with { fixture in
            let chunks = "5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: 42\r\n\r\n"
            let answer = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n" + chunks
            try await Self.withScriptedService(fixture, answer: answer, closes: false) { client in
                for _ in 0..<2 {
                    try await client.send("GET / HTTP/1.1\r\nHost: scripted.localhost\r\n\r\n")
                    let head = try await client.receive(until: "\r\n\r\n")
                    #expect(head == "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n", "\(head)")
                    #expect(try await client.receive(count: chunks.utf8.count) == chunks)
                }
            }
        }
    }

    @Test func somethingThatIsNotAnHTTPResponseIsABadGateway() async throws {
        try await ProxyFixture.with { fixture in
            try await Self.withScriptedService(fixture, answer: "SSH-2.0-OpenSSH_9.2\r\n\r\n", closes: false) { client in
                try await client.send("GET / HTTP/1.1\r\nHost: scripted.localhost\r\n\r\n")
                let response = try await client.receiveResponse()
                #expect(response.head.hasPrefix("HTTP/1.1 502 Bad Gateway\r\n"), "\(response.head)")
                // The client's connection is still good.
                try await client.send("GET /headers HTTP/1.1\r\nHost: app.localhost\r\n\r\n")
                #expect(try await client.receiveResponse().body.contains("path: /headers\n"))
            }
            #expect(try await fixture.waitForInFlight(0, deploymentID: 16))
        }
    }
}
