import AsyncHTTPClient
import Hummingbird
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
        #expect(ProxyHeaders.asksForUpgrade(.host("a", [("Upgrade", "websocket")])))
        #expect(ProxyHeaders.asksForUpgrade(.host("a", [("Upgrade", "h2c, websocket")])))
        #expect(!ProxyHeaders.asksForUpgrade(.host("a", [("Upgrade", "h2c")])))
        #expect(!ProxyHeaders.asksForUpgrade(.host("a")))
    }

    @Test func theUpstreamGetsTheHostForwardedHeadersAndNoFramingOrHopByHopHeaders() {
        var upstream = HTTPClientRequest(url: "http://127.0.0.1:1/")
        let fields = HTTPFields.host(
            "ignored",
            [
                ("Connection", "close, X-Secret"), ("X-Secret", "1"), ("Content-Length", "5"), ("Expect", "100-continue"),
                ("X-Forwarded-For", "10.0.0.1"), ("X-Forwarded-For", "10.0.0.2"), ("X-Forwarded-Proto", "https"),
                ("X-Forwarded-Host", "evil.example"), ("Accept", "*/*"),
            ])
        ProxyHeaders.copyRequestHeaders(fields, authority: "app.localhost:8080", clientAddress: "192.0.2.9", into: &upstream)
        #expect(upstream.headers["Host"] == ["app.localhost:8080"])
        #expect(upstream.headers["X-Forwarded-For"] == ["10.0.0.1, 10.0.0.2, 192.0.2.9"])
        #expect(upstream.headers["X-Forwarded-Proto"] == ["http"])
        #expect(upstream.headers["X-Forwarded-Host"] == ["app.localhost:8080"])
        #expect(upstream.headers["Accept"] == ["*/*"])
        for dropped in ["Connection", "X-Secret", "Content-Length", "Expect"] {
            #expect(upstream.headers[dropped].isEmpty, "\(dropped)")
        }
    }
}
