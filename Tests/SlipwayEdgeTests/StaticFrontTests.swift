import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOHTTP1
import NIOPosix
import SlipwayCore
import Testing

@testable import SlipwayEdge

/// Static files answered at the connection level (`StaticFront`): the same answers as Hummingbird's
/// `StaticSiteServer`, from prepared heads and files held in memory, larger files with `sendfile`.
@Suite struct StaticFrontTests {
    /// An edge over real HTTP whose front answers static requests from `sites`.
    struct Front {
        let port: Int
        let client: HTTPClient
        let sites: StaticSites
        let fixture: EdgeFixture

        func get(_ path: String, method: HTTPMethod = .GET, headers: [(String, String)] = []) async throws -> (HTTPClientResponse, ByteBuffer) {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
            request.method = method
            request.headers.add(name: "Host", value: "hello.localhost")
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            let response = try await client.execute(request, timeout: .seconds(30))
            return (response, try await response.body.collect(upTo: 64 << 20))
        }
    }

    static func withFront(
        _ configuration: StaticSites.Configuration = .init(), prepare: (EdgeFixture) throws -> Void = { _ in },
        _ body: @Sendable (Front) async throws -> Void
    ) async throws {
        try await EdgeFixture.with { edge in
            try prepare(edge)
            let sites = StaticSites(layout: edge.layout, configuration: configuration)
            let proxy = ServiceProxy(domain: EdgeFixture.domain, routes: edge.routes, endpoints: ServiceEndpoints(), staticSites: sites)
            let api = Router(context: AddressedContext.self)
            api.get("/") { _, _ in "api" }
            let dispatcher = HostDispatcher(
                domain: EdgeFixture.domain, routes: edge.routes, layout: edge.layout, api: api.buildResponder(),
                siteServer: StaticSiteServer(sites: sites))
            let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
            do {
                try await Application(responder: dispatcher, server: .edge(proxy: proxy)).test(.live) { edgeClient in
                    try await body(Front(port: try #require(edgeClient.port), client: client, sites: sites, fixture: edge))
                }
            } catch {
                try? await client.shutdown()
                throw error
            }
            try await client.shutdown()
        }
    }

    /// The fields an answer of a static file is judged by.
    static let comparedFields = ["Content-Type", "Content-Length", "ETag", "Last-Modified", "Cache-Control", "Accept-Ranges", "Content-Range"]

    @Test func theFrontAnswersExactlyAsHummingbirdDoes() async throws {
        let cases: [(String, HTTPMethod, [(String, String)])] = [
            ("/index.html", .GET, []), ("/", .GET, []), ("/docs/", .GET, []), ("/about", .GET, []), ("/data.bin", .GET, []),
            ("/data.bin", .HEAD, []), ("/empty.txt", .GET, []), ("/hello%20world.txt", .GET, []), ("/style.css?v=3", .GET, []),
            ("/data.bin", .GET, [("Range", "bytes=10-19")]), ("/data.bin", .GET, [("Range", "bytes=-5")]),
            ("/data.bin", .GET, [("Range", "bytes=5000-")]), ("/data.bin", .HEAD, [("Range", "bytes=0-1")]),
            ("/dated.txt", .GET, [("If-Modified-Since", "Sun, 06 Nov 2039 08:49:37 GMT")]),
            ("/dated.txt", .GET, [("If-Modified-Since", "Sun, 06 Nov 1980 08:49:37 GMT")]),
            ("/dated.txt", .GET, [("Range", "bytes=0-3"), ("If-Range", "\"other\"")]),
            ("/dated.txt", .GET, [("If-None-Match", "\"nope\", *")]),
        ]
        try await Self.withFront { front in
            // The first request reads the manifest (through Hummingbird); every later one is the front's.
            _ = try await front.get("/")
            try await front.fixture.application().test(.router) { hummingbird in
                for (path, method, headers) in cases {
                    let expected = try await hummingbird.send(path, method: HTTPRequest.Method(rawValue: method.rawValue)!, headers: headers)
                    let (answer, body) = try await front.get(path, method: method, headers: headers)
                    let label = "\(method) \(path) \(headers)"
                    #expect(Int(answer.status.code) == Int(expected.status.code), "\(label)")
                    #expect(body == expected.body, "\(label)")
                    for name in Self.comparedFields {
                        #expect(answer.headers[name].first == expected.header(name), "\(label): \(name)")
                    }
                    #expect(answer.headers["Date"].count == 1 && answer.headers["Server"].first == "Slipway", "\(label)")
                }
            }
            // The ETag of the front's answer makes the next one a 304, with no body.
            let (whole, _) = try await front.get("/index.html")
            let etag = try #require(whole.headers["ETag"].first)
            let (notModified, empty) = try await front.get("/index.html", headers: [("If-None-Match", etag)])
            #expect(notModified.status == .notModified && empty.readableBytes == 0 && notModified.headers["ETag"].first == etag)
            #expect(front.sites.files.usedBytes > 0, "the front held nothing: every answer came from Hummingbird")
        }
    }

    @Test func aFileLargerThanTheLargestHeldIsSentFromDiskWholeAndInRanges() async throws {
        let size = 3 << 20
        try await Self.withFront(.init(cacheBytes: 8 << 20, largestCachedFile: 1 << 20)) { edge in
            try Data(patternBytes(size).readableBytesView).write(to: edge.siteDirectory.appendingPathComponent("big.bin"))
        } _: { front in
            _ = try await front.get("/")
            let (whole, body) = try await front.get("/big.bin")
            #expect(whole.status == .ok && whole.headers["Content-Length"].first == String(size))
            #expect(body == patternBytes(size))
            let (part, slice) = try await front.get("/big.bin", headers: [("Range", "bytes=1000000-1999999")])
            #expect(part.status == .partialContent && slice == patternBytes(1_000_000, from: 1_000_000))
            // Only its head is held, not its bytes.
            #expect(front.sites.files.usedBytes < 64 << 10)
        }
    }

    @Test func aCacheSmallerThanTheSiteLetsFilesGoAndStillAnswersTheRightBytes() async throws {
        let names = (0..<40).map { "page-\($0).html" }
        try await Self.withFront(.init(cacheBytes: 4096, largestCachedFile: 1024)) { edge in
            for name in names {
                try Data((name + String(repeating: ".", count: 300)).utf8).write(to: edge.siteDirectory.appendingPathComponent(name))
            }
        } _: { front in
            _ = try await front.get("/")
            for _ in 0..<2 {
                for name in names {
                    let (answer, body) = try await front.get("/" + name)
                    #expect(answer.status == .ok && String(buffer: body) == name + String(repeating: ".", count: 300), "\(name)")
                }
            }
            #expect(front.sites.files.usedBytes <= 4096)
            #expect(front.sites.files.usedBytes > 0)
        }
    }

    @Test func theCacheCountsTheMemoryItsBuffersHoldNotTheirBytes() {
        // NIO allocates in powers of two: 150 KiB of bytes hold 256 KiB, which is what the budget must bound.
        var body = ByteBufferAllocator().buffer(capacity: 150 << 10)
        body.writeRepeatingByte(7, count: 150 << 10)
        let entry = StaticFileCache.Entry(head: ByteBuffer(string: "HTTP/1.1 200 OK\r\n"), body: body)
        #expect(entry.cost >= 256 << 10)
        let cache = StaticFileCache(budget: 200 << 10)
        cache.insert(entry, for: "a")
        #expect(cache.entry("a") == nil && cache.usedBytes == 0)
        let roomy = StaticFileCache(budget: 600 << 10)
        roomy.insert(entry, for: "a")
        roomy.insert(entry, for: "b")
        roomy.insert(entry, for: "c")
        #expect(roomy.usedBytes <= 600 << 10 && roomy.entry("a") == nil && roomy.entry("c") != nil)
    }

    @Test func aFileSentFromDiskWhoseBuildWasDeletedIsNotFound() async throws {
        try await Self.withFront(.init(cacheBytes: 1 << 20, largestCachedFile: 0)) { front in
            _ = try await front.get("/")
            #expect(try await front.get("/notes.txt").0.status == .ok)
            try FileManager.default.removeItem(at: front.fixture.siteDirectory.appendingPathComponent("notes.txt"))
            let (gone, body) = try await front.get("/notes.txt")
            #expect(gone.status == .notFound && !String(buffer: body).contains("plain text"))
            // The connection goes on.
            #expect(try await front.get("/index.html").0.status == .ok)
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrderWhoeverAnswersThem() async throws {
        try await Self.withFront { front in
            _ = try await front.get("/")
            let socket = try await RawSocket.connect(port: front.port)
            defer { socket.close() }
            let request = { (path: String) in "GET \(path) HTTP/1.1\r\nHost: hello.localhost\r\n\r\n" }
            // The front, Hummingbird (a 404 page), the front again, Hummingbird (a redirect), the front.
            try await socket.send(request("/index.html") + request("/missing") + request("/style.css") + request("/docs") + request("/about.html"))
            let expected = [
                ("200", "<h1>home</h1>"), ("404", "<h1>custom not found</h1>"), ("200", "body { color: red }"), ("301", ""),
                ("200", "<h1>about</h1>"),
            ]
            for (status, text) in expected {
                let (head, body) = try await socket.receiveResponse()
                #expect(head.hasPrefix("HTTP/1.1 \(status)"), "\(head)")
                #expect(text.isEmpty || body.contains(text), "\(status): \(body)")
            }
        }
    }

    @Test func anHTTP10RequestWithoutKeepAliveIsAnsweredThenClosed() async throws {
        try await Self.withFront { front in
            _ = try await front.get("/")
            let socket = try await RawSocket.connect(port: front.port)
            defer { socket.close() }
            try await socket.send("GET /index.html HTTP/1.0\r\nHost: hello.localhost\r\n\r\n")
            let all = try await socket.receiveUntilClosed()
            #expect(all.hasPrefix("HTTP/1.1 200 OK") && all.contains("Connection: close") && all.hasSuffix("<h1>home</h1>"), "\(all)")
        }
    }

}
