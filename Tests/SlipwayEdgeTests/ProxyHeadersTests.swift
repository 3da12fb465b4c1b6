import NIOHTTP1
import Testing

@testable import SlipwayEdge

@Suite struct ProxyHeadersTests {
    @Test func theFixedHopByHopHeadersAndEveryProxyHeaderAreHopByHop() {
        for name in ["connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade", "proxy-authorization", "proxy-connection"] {
            #expect(ProxyHeaders.isHopByHop(name), "\(name)")
        }
        for name in ["host", "content-length", "content-type", "x-forwarded-for", "trailers", "teapot", "x-proxy-id"] {
            #expect(!ProxyHeaders.isHopByHop(name), "\(name)")
        }
    }

    @Test func connectionTokensAreSplitTrimmedAndLowerCased() {
        #expect(ProxyHeaders.tokens(["keep-alive, X-Hop-In", " Upgrade ,,"]) == ["keep-alive", "x-hop-in", "upgrade"])
        #expect(ProxyHeaders.tokens([String]()) == nil)
    }

    @Test func onlyASwitchToAnotherProtocolThanH2CCountsAsAnUpgrade() {
        #expect(ProxyHeaders.asksForUpgrade(["Host": "a", "Upgrade": "websocket"]))
        #expect(ProxyHeaders.asksForUpgrade(["Host": "a", "Upgrade": "h2c, websocket"]))
        #expect(ProxyHeaders.asksForUpgrade(["Host": "a", "Upgrade": "WebSocket"]))
        #expect(!ProxyHeaders.asksForUpgrade(["Host": "a", "Upgrade": "h2c"]))
        #expect(!ProxyHeaders.asksForUpgrade(["Host": "a"]))
    }

    @Test func theUpstreamGetsTheHostForwardedHeadersAndTheFramingButNoHopByHopHeaders() {
        let client = HTTPRequestHead(
            version: .http1_0, method: .POST, uri: "/p?q=1",
            headers: HTTPHeaders([
                ("Host", "app.localhost:8080"), ("Connection", "close, X-Secret"), ("X-Secret", "1"), ("Content-Length", "5"),
                ("Expect", "100-continue"), ("X-Forwarded-For", "10.0.0.1"), ("X-Forwarded-For", "10.0.0.2"),
                ("X-Forwarded-Proto", "https"), ("X-Forwarded-Host", "evil.example"), ("Accept", "*/*"),
            ]))
        let upstream = ProxyHeaders.upstreamRequestHead(client, clientAddress: "192.0.2.9")
        #expect(upstream.version == .http1_1)
        #expect(upstream.method == .POST)
        #expect(upstream.uri == "/p?q=1")
        #expect(upstream.headers["Host"] == ["app.localhost:8080"])
        #expect(upstream.headers["Content-Length"] == ["5"])
        #expect(upstream.headers["X-Forwarded-For"] == ["10.0.0.1, 10.0.0.2, 192.0.2.9"])
        #expect(upstream.headers["X-Forwarded-Proto"] == ["http"])
        #expect(upstream.headers["X-Forwarded-Host"] == ["app.localhost:8080"])
        #expect(upstream.headers["Accept"] == ["*/*"])
        for dropped in ["Connection", "X-Secret", "Expect", "Transfer-Encoding"] {
            #expect(upstream.headers[dropped].isEmpty, "\(dropped)")
        }
    }

    @Test func aChunkedRequestBodyStaysChunkedWhateverCodingsTheClientListed() {
        let client = HTTPRequestHead(
            version: .http1_1, method: .PUT, uri: "/",
            headers: HTTPHeaders([("Host", "a"), ("Transfer-Encoding", "gzip, chunked"), ("TE", "trailers")]))
        let upstream = ProxyHeaders.upstreamRequestHead(client, clientAddress: nil)
        #expect(upstream.headers["Transfer-Encoding"] == ["chunked"])
        #expect(upstream.headers["TE"].isEmpty)
        #expect(upstream.headers["X-Forwarded-For"].isEmpty)
    }

    @Test func theClientGetsTheResponseHeadersWithoutHopByHopOnes() {
        let upstream = HTTPHeaders([
            ("Connection", "X-Hop-Out"), ("X-Hop-Out", "1"), ("Keep-Alive", "timeout=5"), ("Transfer-Encoding", "chunked"),
            ("Proxy-Authenticate", "Basic"), ("Content-Type", "text/plain"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"),
        ])
        let headers = ProxyHeaders.responseHeaders(upstream)
        #expect(headers.map(\.name) == ["Content-Type", "Set-Cookie", "Set-Cookie"])
        #expect(headers["Set-Cookie"] == ["a=1", "b=2"])
    }
}
