import NIOCore
import Testing

@testable import SlipwayEdge

/// The byte-level pieces of the proxy: reading heads, following body framing, and rewriting heads for each hop.
@Suite struct HTTP1RelayTests {
    private func request(_ text: String) -> (ByteBuffer, RequestHead)? {
        let bytes = ByteBuffer(string: text)
        guard case .complete(let head) = RequestHead.scan(bytes) else { return nil }
        return (bytes, head)
    }

    private func response(_ text: String) -> (ByteBuffer, ResponseHead)? {
        let bytes = ByteBuffer(string: text)
        guard case .complete(let head) = ResponseHead.scan(bytes) else { return nil }
        return (bytes, head)
    }

    @Test func aRequestHeadIsReadForRoutingAndFraming() throws {
        let text = "POST /p?q=1 HTTP/1.1\r\nHost:  app.localhost:8080 \r\ncontent-length: 5\r\nConnection: keep-alive, X-Secret\r\n\r\nhello"
        let (_, head) = try #require(request(text))
        #expect(head.length == text.utf8.count - 5)
        #expect(head.hostCount == 1)
        #expect(head.host.map { Array(text.utf8)[$0] }.map { String(decoding: $0, as: UTF8.self) } == "app.localhost:8080")
        #expect(head.contentLength == 5)
        #expect(head.keepAlive && !head.isHTTP10 && !head.isHEAD && !head.isIdempotent)
        #expect(head.connection.namesOtherHeaders)
        var body = try #require(head.bodyFraming)
        var rest = ByteBuffer(string: "hello")
        #expect(try body.take(from: &rest) == ByteBuffer(string: "hello"))
        #expect(body.isComplete)
    }

    @Test func headsThatAreNotWholeOrNotCleanAreNotReadHere() {
        let incomplete: [String] = ["", "GET / HTTP/1.1\r\nHost: a\r\n", "GET / HTTP/1.1\r\nHost: a\r\n\r"]
        for text in incomplete {
            guard case .incomplete = RequestHead.scan(ByteBuffer(string: text)) else {
                Issue.record("not incomplete: \(text.debugDescription)")
                continue
            }
        }
        let invalid: [String] = [
            "GET / HTTP/1.1\nHost: a\n\n",  // bare line feeds
            "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
            "GET / HTTP/2.0\r\nHost: a\r\n\r\n",
            "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n",
            "GET / HTTP/1.1\r\nBad Name: a\r\n\r\n",
            "GET / HTTP/1.1\r\n: empty\r\n\r\n",
        ]
        for text in invalid {
            guard case .invalid = RequestHead.scan(ByteBuffer(string: text)) else {
                Issue.record("not invalid: \(text.debugDescription)")
                continue
            }
        }
    }

    @Test func ambiguousBodyFramingIsLeftToNIOsDecoder() throws {
        let both = try #require(request("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"))
        #expect(both.1.bodyFraming == nil)
        let twoLengths = try #require(request("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n"))
        #expect(twoLengths.1.bodyFraming == nil)
        let notChunkedLast = try #require(request("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"))
        #expect(notChunkedLast.1.bodyFraming == nil)
        let chunked = try #require(request("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n"))
        #expect(chunked.1.bodyFraming?.isChunked == true)
        let none = try #require(request("GET / HTTP/1.1\r\n\r\n"))
        #expect(none.1.bodyFraming?.isComplete == true)
    }

    @Test func keepAliveFollowsTheVersionAndTheConnectionHeader() throws {
        #expect(try #require(request("GET / HTTP/1.1\r\n\r\n")).1.keepAlive)
        #expect(!(try #require(request("GET / HTTP/1.1\r\nConnection: Close\r\n\r\n")).1.keepAlive))
        #expect(!(try #require(request("GET / HTTP/1.0\r\n\r\n")).1.keepAlive))
        #expect(try #require(request("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")).1.keepAlive)
    }

    @Test func onlyASwitchToAnotherProtocolThanH2CCountsAsAnUpgrade() throws {
        #expect(try #require(request("GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n")).1.asksForUpgrade)
        #expect(try #require(request("GET / HTTP/1.1\r\nUpgrade: h2c, WebSocket\r\n\r\n")).1.asksForUpgrade)
        #expect(!(try #require(request("GET / HTTP/1.1\r\nUpgrade: h2c\r\n\r\n")).1.asksForUpgrade))
        #expect(!(try #require(request("GET / HTTP/1.1\r\n\r\n")).1.asksForUpgrade))
    }

    @Test func theUpstreamGetsTheRequestLineAndHeadersWithoutHopByHopOnesPlusForwardedHeaders() throws {
        let (bytes, head) = try #require(
            request(
                "POST /p?q=1 HTTP/1.0\r\nHost: app.localhost:8080\r\nConnection: close, X-Secret\r\nX-Secret: 1\r\nContent-Length: 5\r\n"
                    + "Expect: 100-continue\r\nX-Forwarded-For: 10.0.0.1\r\nx-forwarded-for: 10.0.0.2\r\nX-Forwarded-Proto: https\r\n"
                    + "X-Forwarded-Host: evil.example\r\nKeep-Alive: 5\r\nTE: trailers\r\nProxy-Authorization: x\r\nUpgrade: h2c\r\n"
                    + "Accept: */*\r\n\r\n"))
        let upstream = ProxyHeaders.upstreamRequest(bytes, head, clientAddress: "192.0.2.9", mark: ForwardingMark(token: "f00d"))
        #expect(
            String(buffer: upstream)
                == "POST /p?q=1 HTTP/1.0\r\nHost: app.localhost:8080\r\nContent-Length: 5\r\nAccept: */*\r\n"
                + "X-Forwarded-For: 10.0.0.1, 10.0.0.2, 192.0.2.9\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Host: app.localhost:8080\r\n"
                + "Slipway-Forwarded-By: f00d\r\n\r\n")
    }

    @Test func aChunkedBodyCrossesWithItsCodingAndAnUpgradeKeepsItsHeaders() throws {
        let (chunked, chunkedHead) = try #require(request("PUT / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"))
        #expect(
            String(buffer: ProxyHeaders.upstreamRequest(chunked, chunkedHead, clientAddress: nil, mark: ForwardingMark(token: "f00d")))
                == "PUT / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Host: a\r\n"
                + "Slipway-Forwarded-By: f00d\r\n\r\n")
        let (upgrade, upgradeHead) = try #require(
            request("GET /ws HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n"))
        #expect(
            String(
                buffer: ProxyHeaders.upstreamRequest(
                    upgrade, upgradeHead, clientAddress: "::1", mark: ForwardingMark(token: "f00d"), keepingUpgrade: true))
                == "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Forwarded-For: ::1\r\n"
                + "X-Forwarded-Proto: http\r\nX-Forwarded-Host: a\r\nSlipway-Forwarded-By: f00d\r\n\r\n")
    }

    @Test func theClientGetsTheResponseWithoutHopByHopHeadersAndTheEdgesOwnConnectionHeader() throws {
        let (bytes, head) = try #require(
            response(
                "HTTP/1.0 201 Created\r\nConnection: keep-alive, X-Hop-Out\r\nX-Hop-Out: 1\r\nKeep-Alive: timeout=5\r\n"
                    + "Transfer-Encoding: chunked\r\nProxy-Authenticate: Basic\r\nContent-Type: text/plain\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n"
            ))
        #expect(head.status == 201 && head.isHTTP10 && head.keepsAlive)
        #expect(
            String(buffer: ProxyHeaders.clientResponse(bytes, head, connection: .close))
                == "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n"
                + "Connection: close\r\n\r\n")
        let (plain, plainHead) = try #require(response("HTTP/1.1 204\r\nX-A: b\r\n\r\n"))
        #expect(String(buffer: ProxyHeaders.clientResponse(plain, plainHead, connection: .unsaid)) == "HTTP/1.1 204\r\nX-A: b\r\n\r\n")
    }

    @Test func aResponsesBodyFramingFollowsRFC9112() throws {
        let (_, sized) = try #require(response("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n"))
        #expect(sized.bodyFraming(forHEAD: false)?.isComplete == false)
        #expect(sized.bodyFraming(forHEAD: true)?.isComplete == true)
        let (_, noContent) = try #require(response("HTTP/1.1 304 Not Modified\r\nContent-Length: 12\r\n\r\n"))
        #expect(noContent.bodyFraming(forHEAD: false)?.isComplete == true)
        let (_, unframed) = try #require(response("HTTP/1.1 200 OK\r\n\r\n"))
        #expect(unframed.bodyFraming(forHEAD: false)?.endsWithConnection == true)
        let (_, closing) = try #require(response("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"))
        #expect(!closing.keepsAlive)
        guard case .invalid = ResponseHead.scan(ByteBuffer(string: "HTTP/1.1 20 OK\r\n\r\n")) else {
            Issue.record("a two-digit status was read")
            return
        }
    }

    @Test func aChunkedBodyEndsAfterItsLastChunkAndTrailersHoweverItIsSplit() throws {
        let body = "5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-Trailer: yes\r\n\r\n"
        let next = "GET /next HTTP/1.1\r\n\r\n"
        for pieceSize in [1, 2, 7, body.utf8.count + next.utf8.count] {
            var framing = BodyFraming.chunked()
            var relayed = ByteBuffer()
            var wire = ByteBuffer(string: body + next)
            var left = ByteBuffer()
            while wire.readableBytes > 0 {
                var piece = wire.readSlice(length: min(pieceSize, wire.readableBytes))!
                while var slice = try framing.take(from: &piece) { relayed.writeBuffer(&slice) }
                left.writeBuffer(&piece)
            }
            #expect(framing.isComplete)
            #expect(String(buffer: relayed) == body, "pieces of \(pieceSize)")
            #expect(String(buffer: left) == next, "pieces of \(pieceSize)")
        }
    }

    @Test func malformedChunksAreAnError() {
        for body in ["x\r\n", "5\r\nhello\n", "\r\n", "5\nhello"] {
            var framing = BodyFraming.chunked()
            var wire = ByteBuffer(string: body)
            #expect(throws: MalformedChunks.self, "\(body.debugDescription)") {
                while try framing.take(from: &wire) != nil {}
            }
        }
    }
}
