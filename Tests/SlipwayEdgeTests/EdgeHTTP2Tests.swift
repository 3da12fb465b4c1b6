import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SlipwayCore
import SlipwayTesting
import Testing

@testable import SlipwayEdge

/// HTTP/2 on the edge's HTTPS listener, negotiated by ALPN: everything HTTPS serves (the static front, Hummingbird's
/// pages, the API, services behind the relay) answered on HTTP/2 streams, HTTP/1.1 still there for clients that ask
/// only for it, and ACME's `acme-tls/1` untouched.
@Suite struct EdgeHTTP2Tests {
    @Test func alpnOffersH2FirstThenHTTP11AndKeepsACMEApart() async throws {
        try await HTTPSFixture.with { fixture in
            let both = try await TLSProbe.handshake(port: fixture.httpsPort, serverName: "localhost", applicationProtocols: ["h2", "http/1.1"])
            #expect(both.negotiatedProtocol == "h2")
            try await both.close()
            let reversed = try await TLSProbe.handshake(port: fixture.httpsPort, serverName: "localhost", applicationProtocols: ["http/1.1", "h2"])
            #expect(reversed.negotiatedProtocol == "h2")
            try await reversed.close()
            let http11 = try await TLSProbe.handshake(port: fixture.httpsPort, serverName: "localhost", applicationProtocols: ["http/1.1"])
            #expect(http11.negotiatedProtocol == "http/1.1")
            let answer = try await http11.exchange("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", until: "\r\n\r\napi")
            #expect(answer.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(answer)")
            // A TLS-ALPN-01 validation still gets the challenge certificate and speaks nothing else.
            let challenge = try await fixture.ca.issue(["hello.localhost"], file: "challenge", selfSigned: true)
            try fixture.challenges.setTLSALPN01(
                domain: "hello.localhost", certificateChainPEM: challenge.certificatePEM, privateKeyPEM: challenge.keyPEM)
            let validation = try await TLSProbe.handshake(
                port: fixture.httpsPort, serverName: "hello.localhost", applicationProtocols: ["acme-tls/1"])
            #expect(validation.negotiatedProtocol == "acme-tls/1")
            #expect(validation.leaf == (try challenge.leaf()))
            let rest = try await validation.exchange("", until: "never")
            #expect(rest.isEmpty)
        }
    }

    @Test func staticPagesHummingbirdsAnswersAndTheAPIComeOverHTTP2() async throws {
        try await HTTPSFixture.with(hsts: true) { fixture in
            try await fixture.withClient(http2: true) { client in
                let base = "https://hello.localhost:\(fixture.httpsPort)"
                // Twice: the first request of a build goes through Hummingbird, the next through the static front.
                for _ in 0..<2 {
                    let (page, body) = try await HTTPSFixture.get(client, base + "/")
                    #expect(page.version == .http2)
                    #expect(page.status == .ok)
                    #expect(body == "<h1>home</h1>")
                    #expect(page.headers["Strict-Transport-Security"] == ["max-age=31536000"])
                    #expect(page.headers["Connection"].isEmpty)
                }
                let (missing, missingBody) = try await HTTPSFixture.get(client, base + "/missing")
                #expect(missing.version == .http2)
                #expect(missing.status == .notFound)
                #expect(missingBody == "<h1>custom not found</h1>")
                let (head, headBody) = try await HTTPSFixture.fetch(client, base + "/about.html", method: .HEAD)
                #expect(head.status == .ok)
                #expect(head.headers["Content-Length"] == ["14"])
                #expect(headBody.readableBytes == 0)
                let (api, apiBody) = try await HTTPSFixture.get(client, "https://localhost:\(fixture.httpsPort)/")
                #expect(api.version == .http2)
                #expect(apiBody == "api")
                let (_, scheme) = try await HTTPSFixture.get(client, "https://localhost:\(fixture.httpsPort)/scheme")
                #expect(scheme == "https")
            }
        }
    }

    @Test func aServiceIsRelayedOverHTTP2WithBodiesBothWays() async throws {
        try await HTTPSFixture.with { fixture in
            try await fixture.withClient(http2: true) { client in
                let base = "https://app.localhost:\(fixture.httpsPort)"
                let (headers, lines) = try await HTTPSFixture.get(client, base + "/headers", headers: [("Cookie", "a=1"), ("Cookie", "b=2")])
                #expect(headers.version == .http2)
                #expect(headers.status == .ok)
                #expect(lines.contains("x-forwarded-proto: https\n"), "\(lines)")
                #expect(lines.contains("host: app.localhost:\(fixture.httpsPort)\n"), "\(lines)")
                #expect(lines.contains("cookie: a=1; b=2\n"), "\(lines)")
                // A body of unknown length goes to the service chunked; its answer comes back chunked and is unwrapped.
                let parts = AsyncStream<ByteBuffer> { continuation in
                    for index in 0..<5 { continuation.yield(ByteBuffer(string: "part \(index);")) }
                    continuation.finish()
                }
                let (echo, echoed) = try await HTTPSFixture.fetch(
                    client, base + "/echo", method: .POST, body: .stream(parts, length: .unknown))
                #expect(echo.version == .http2)
                #expect(echo.status == .ok, "\(echo.status) \(echo.headers)")
                #expect(String(buffer: echoed) == "part 0;part 1;part 2;part 3;part 4;")
                // A body of known length, larger than a flow-control window.
                let upload = Self.pattern(1 << 20)
                let (digest, digestBody) = try await HTTPSFixture.fetch(client, base + "/digest", method: .POST, body: .bytes(upload))
                #expect(digest.status == .ok)
                #expect(String(buffer: digestBody) == "\(upload.readableBytes) \(Self.fnv1a(upload))")
                let (hop, _) = try await HTTPSFixture.get(client, base + "/hop-by-hop")
                #expect(hop.status == .created)
                #expect(hop.headers["X-Kept"] == ["yes"])
                #expect(hop.headers["Keep-Alive"].isEmpty)
            }
        }
    }

    @Test func manyConcurrentStreamsOnOneConnectionAreEachAnsweredRight() async throws {
        try await HTTPSFixture.with { fixture in
            try await fixture.withClient(http2: true) { client in
                let base = "https://hello.localhost:\(fixture.httpsPort)"
                _ = try await HTTPSFixture.get(client, base + "/")
                let expected = [
                    "/": "<h1>home</h1>", "/about.html": "<h1>about</h1>", "/docs/": "<h1>docs</h1>", "/docs/guide.html": "<h1>guide</h1>",
                    "/notes.txt": "plain text", "/style.css": "body { color: red }", "/nowhere": "<h1>custom not found</h1>",
                ]
                let paths = Array(expected.keys)
                try await withThrowingTaskGroup(of: (String, HTTPVersion, String).self) { group in
                    for index in 0..<60 {
                        let path = paths[index % paths.count]
                        group.addTask {
                            let (response, body) = try await HTTPSFixture.get(client, base + path)
                            return (path, response.version, body)
                        }
                    }
                    var answered = 0
                    for try await (path, version, body) in group {
                        #expect(version == .http2)
                        #expect(body == expected[path], "\(path)")
                        answered += 1
                    }
                    #expect(answered == 60)
                }
            }
        }
    }

    @Test(arguments: [true, false])
    func aLargeFileComesWholeThroughHummingbirdAndTheStaticFront(http2: Bool) async throws {
        try await HTTPSFixture.with { fixture in
            let large = Self.pattern(5 << 20 + 123)
            try Data(large.readableBytesView).write(to: fixture.siteDirectory.appendingPathComponent("large.bin"))
            _ = try SiteManifestIndexer().index(buildDirectory: fixture.siteDirectory.path)
            try await fixture.withClient(http2: http2) { client in
                // The first request goes through Hummingbird, the next ones through the static front (from disk).
                for _ in 0..<3 {
                    let (response, body) = try await HTTPSFixture.fetch(
                        client, "https://hello.localhost:\(fixture.httpsPort)/large.bin", limit: 8 << 20)
                    #expect(response.version == (http2 ? .http2 : .http1_1))
                    #expect(response.status == .ok)
                    #expect(body.readableBytes == large.readableBytes)
                    #expect(body == large)
                }
                let (range, part) = try await HTTPSFixture.fetch(
                    client, "https://hello.localhost:\(fixture.httpsPort)/large.bin", headers: [("Range", "bytes=1000000-1999999")])
                #expect(range.status == .partialContent)
                #expect(part == large.getSlice(at: 1_000_000, length: 1_000_000))
            }
        }
    }

    @Test func aClientAskingOnlyForHTTP11GetsHTTP11() async throws {
        try await HTTPSFixture.with { fixture in
            try await fixture.withClient(http2: false) { client in
                let (page, body) = try await HTTPSFixture.get(client, "https://hello.localhost:\(fixture.httpsPort)/about.html")
                #expect(page.version == .http1_1)
                #expect(body == "<h1>about</h1>")
                let (service, lines) = try await HTTPSFixture.get(client, "https://app.localhost:\(fixture.httpsPort)/headers")
                #expect(service.version == .http1_1)
                #expect(lines.contains("x-forwarded-proto: https\n"))
            }
        }
    }

    /// curl (its HTTP/2 client, nghttp2) rather than AsyncHTTPClient, which waits for its request timeout after the
    /// GOAWAY: curl ends at once, and `--max-time` would show a hang as exit 28.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/curl"), "needs /usr/bin/curl"))
    func aHeaderListOverTheLimitEndsItsConnectionAtOnceAndTheEdgeServesOn() async throws {
        try await HTTPSFixture.with { fixture in
            let url = "https://localhost:\(fixture.httpsPort)/"
            let resolve = "localhost:\(fixture.httpsPort):127.0.0.1"
            let huge = try await onOwnThread {
                try CapturedProcess.run(
                    "/usr/bin/curl",
                    [
                        "-s", "-i", "--http2", "-k", "--max-time", "20", "--resolve", resolve, "-H",
                        "X-Huge: " + String(repeating: "a", count: 64 << 10), url,
                    ])
            }
            #expect(huge.status != 0 && huge.status != 28, "curl exit \(huge.status)")
            #expect(!huge.output.contains("HTTP/2 200"))
            let after = try await onOwnThread {
                try CapturedProcess.run("/usr/bin/curl", ["-s", "-i", "--http2", "-k", "--max-time", "20", "--resolve", resolve, url])
            }
            #expect(after.status == 0)
            #expect(after.output.hasPrefix("HTTP/2 200"), "\(after.output)")
            #expect(after.output.hasSuffix("\r\n\r\napi"), "\(after.output)")
        }
    }

    // MARK: - The bridge's reading of HTTP/1.1, without sockets

    @Test func aRequestHeadIsWrittenAsHTTP11WithItsCookiesJoined() throws {
        var head = HTTPRequestHead(version: .http2, method: .POST, uri: "/a?b=c")
        head.headers.add(name: "host", value: "app.localhost")
        head.headers.add(name: "cookie", value: "a=1")
        head.headers.add(name: "x-one", value: "1")
        head.headers.add(name: "cookie", value: "b=2")
        head.headers.add(name: "transfer-encoding", value: "chunked")
        let bytes = try #require(HTTP2StreamBridge.requestHead(head, chunked: true))
        #expect(
            String(buffer: bytes)
                == "POST /a?b=c HTTP/1.1\r\nhost: app.localhost\r\nx-one: 1\r\ncookie: a=1; b=2\r\ntransfer-encoding: chunked\r\n\r\n")
        var broken = HTTPRequestHead(version: .http2, method: .GET, uri: "/a b")
        #expect(HTTP2StreamBridge.requestHead(broken, chunked: false) == nil)
        broken.uri = "/"
        broken.headers.add(name: "x-split", value: "a\r\nInjected: yes")
        #expect(HTTP2StreamBridge.requestHead(broken, chunked: false) == nil)
    }

    @Test func chunksAreUnwrappedAcrossAnySplit() throws {
        let wire = "5\r\nhello\r\n1;ext=1\r\n \r\n6\r\nworld!\r\n0\r\nTrailer: x\r\n\r\nNEXT"
        for split in 1..<wire.utf8.count {
            var decoder = ChunkedBodyDecoder()
            var data = ""
            var first = ByteBuffer(string: String(wire.prefix(split)))
            var second = ByteBuffer(string: String(wire.dropFirst(split)))
            for part in try decoder.decode(&first) { data += String(buffer: part) }
            for part in try decoder.decode(&second) { data += String(buffer: part) }
            #expect(data == "hello world!", "split at \(split)")
            #expect(decoder.isComplete)
            #expect(String(buffer: first) + String(buffer: second) == "NEXT", "split at \(split)")
        }
        var malformed = ChunkedBodyDecoder()
        var bytes = ByteBuffer(string: "zz\r\n")
        #expect(throws: MalformedChunks.self) { _ = try malformed.decode(&bytes) }
    }

    /// `count` bytes of a pattern that does not repeat every 256 bytes (so a misplaced chunk shows).
    static func pattern(_ count: Int) -> ByteBuffer {
        var buffer = ByteBuffer()
        var state: UInt32 = 2_463_534_242
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { bytes in
            for index in 0..<count {
                state ^= state << 13
                state ^= state >> 17
                state ^= state << 5
                bytes[index] = UInt8(truncatingIfNeeded: state)
            }
            return count
        }
        return buffer
    }

    /// The upstream's `/digest` hash (FNV-1a, 64 bits).
    static func fnv1a(_ buffer: ByteBuffer) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        buffer.withUnsafeReadableBytes { bytes in
            for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        }
        return hash
    }
}
