import Foundation
import Hummingbird
import HummingbirdTesting
import NIOFoundationCompat
import Testing

@testable import SlipwayEdge

@Suite struct StaticSiteServerTests {
    // MARK: Content types

    @Test(arguments: [
        ("/index.html", "text/html; charset=utf-8"),
        ("/style.css", "text/css; charset=utf-8"),
        ("/app.js", "text/javascript; charset=utf-8"),
        ("/data.json", "application/json; charset=utf-8"),
        ("/logo.svg", "image/svg+xml; charset=utf-8"),
        ("/notes.txt", "text/plain; charset=utf-8"),
        ("/SHOUT.TXT", "text/plain; charset=utf-8"),
        ("/image.png", "image/png"),
        ("/data.bin", "application/octet-stream"),
    ])
    func contentTypesComeFromTheExtension(path: String, contentType: String) async throws {
        try await EdgeFixture.with { fixture in
            try await fixture.application().test(.router) { client in
                let response = try await client.send(path)
                #expect(response.status == .ok)
                #expect(response.header("Content-Type") == contentType)
            }
        }
    }

    @Test func filesAreServedWhole() async throws {
        try await EdgeFixture.with { fixture in
            try await fixture.application().test(.router) { client in
                let css = try await client.send("/style.css")
                #expect(css.text == "body { color: red }")
                #expect(css.header("Content-Length") == "19")

                let binary = try await client.send("/data.bin")
                #expect(Data(buffer: binary.body) == EdgeFixture.binary)
                #expect(binary.header("Content-Length") == "1000")

                let spaced = try await client.send("/hello%20world.txt")
                #expect(spaced.status == .ok)
                #expect(spaced.text == "spaced out")

                let dotted = try await client.send("/./docs//guide.html")
                #expect(dotted.text == "<h1>guide</h1>")
            }
        }
    }

    @Test func anEmptyFileIsAnEmptyOK() async throws {
        try await EdgeFixture.with { fixture in
            try await fixture.application().test(.router) { client in
                let response = try await client.send("/empty.txt")
                #expect(response.status == .ok)
                #expect(response.header("Content-Length") == "0")
                #expect(response.body.readableBytes == 0)
                #expect(response.header("ETag") != nil)
            }
        }
    }

    // MARK: Directories and clean URLs

    @Test func directoriesServeTheirIndex() async throws {
        try await EdgeFixture.with { fixture in
            try await fixture.application().test(.router) { client in
                let root = try await client.send("/")
                #expect(root.status == .ok)
                #expect(root.text == "<h1>home</h1>")
                #expect(root.header("Content-Type") == "text/html; charset=utf-8")

                let docs = try await client.send("/docs/")
                #expect(docs.status == .ok)
                #expect(docs.text == "<h1>docs</h1>")
                #expect(docs.header("Content-Type") == "text/html; charset=utf-8")
            }
        }
    }

    @Test func aDirectoryWithoutTrailingSlashIsRedirectedKeepingTheQuery() async throws {
        try await EdgeFixture.with { fixture in
            try await fixture.application().test(.router) { client in
                let plain = try await client.send("/docs")
                #expect(plain.status == .movedPermanently)
                #expect(plain.header("Location") == "/docs/")

                let query = try await client.send("/docs?lang=en&x=%20")
                #expect(query.status == .movedPermanently)
                #expect(query.header("Location") == "/docs/?lang=en&x=%20")

                // Never a protocol-relative `//host/` location.
                let doubled = try await client.send("//docs")
                #expect(doubled.header("Location") == "/docs/")
            }
        }
    }

    @Test func aDirectoryWithoutIndexIsNotFound() async throws {
        try await EdgeFixture.with { fixture in
            try await fixture.application().test(.router) { client in
                let response = try await client.send("/noindex/")
                #expect(response.status == .notFound)
                #expect(response.text == "<h1>custom not found</h1>")
            }
        }
    }

    @Test func cleanURLsServeTheHTMLFile() async throws {
        try await EdgeFixture.with { fixture in
            try await fixture.application().test(.router) { client in
                let about = try await client.send("/about")
                #expect(about.status == .ok)
                #expect(about.text == "<h1>about</h1>")
                #expect(about.header("Content-Type") == "text/html; charset=utf-8")

                let nested = try await client.send("/docs/guide")
                #expect(nested.text == "<h1>guide</h1>")

                let direct = try await client.send("/about.html")
                #expect(direct.text == "<h1>about</h1>")

                let slashed = try await client.send("/about/")
                #expect(slashed.status == .notFound)
            }
        }
    }

    // MARK: Not found

    @Test func aMissingFileGetsTheBuilds404Page() async throws {
        try await EdgeFixture.with { fixture in
            try await fixture.application().test(.router) { client in
                let response = try await client.send("/nope/nothing.css")
                #expect(response.status == .notFound)
                #expect(response.text == "<h1>custom not found</h1>")
                #expect(response.header("Content-Type") == "text/html; charset=utf-8")

                let head = try await client.send("/nope", method: .head)
                #expect(head.status == .notFound)
                #expect(head.header("Content-Length") == "25")
                #expect(head.body.readableBytes == 0)
            }
        }
    }

    @Test func aMissingFileInABuildWithout404PageIsASinglePageAppsIndex() async throws {
        try await EdgeFixture.with { fixture in
            try await fixture.application().test(.router) { client in
                // Cloudflare Pages' rule: no 404.html anywhere makes the build a single-page app.
                for path in ["/nope", "/deep/route/", "/app/users/42"] {
                    let response = try await client.send(path, host: "feature-x.hello.localhost")
                    #expect(response.status == .ok, "\(path)")
                    #expect(response.text == "<h1>plain</h1>", "\(path)")
                    #expect(response.header("Content-Type") == "text/html; charset=utf-8")
                }
            }
        }
    }

    @Test func aMissingFileGetsTheNearest404PageUpItsPath() async throws {
        try await EdgeFixture.with { fixture in
            try Data("<h1>docs not found</h1>".utf8).write(to: fixture.siteDirectory.appendingPathComponent("docs/404.html"))
            try await fixture.application().test(.router) { client in
                let nested = try await client.send("/docs/missing/page.html")
                #expect(nested.status == .notFound && nested.text == "<h1>docs not found</h1>")
                let inDocs = try await client.send("/docs/missing.html")
                #expect(inDocs.status == .notFound && inDocs.text == "<h1>docs not found</h1>")
                let elsewhere = try await client.send("/other/missing.html")
                #expect(elsewhere.status == .notFound && elsewhere.text == "<h1>custom not found</h1>")
            }
        }
    }

    @Test func aMissingBuildGetsTheDefaultPage() async throws {
        try await EdgeFixture.with { fixture in
            try await fixture.application().test(.router) { client in
                let response = try await client.send("/nope", host: "gone.hello.localhost")
                #expect(response.status == .notFound)
                #expect(response.header("Content-Type") == "text/html; charset=utf-8")
                #expect(response.text.contains("There is no page at this address."))
            }
        }
    }

    // MARK: Validators

    @Test func filesCarryValidatorsAndCachingHeaders() async throws {
        try await EdgeFixture.with { fixture in
            try await fixture.application().test(.router) { client in
                let response = try await client.send("/dated.txt")
                #expect(response.header("Last-Modified") == "Sun, 06 Nov 1994 08:49:37 GMT")
                #expect(response.header("Cache-Control") == "public, max-age=0, must-revalidate")
                #expect(response.header("Accept-Ranges") == "bytes")
                let etag = try #require(response.header("ETag"))
                #expect(etag.wholeMatch(of: /"[0-9a-f]+-[0-9a-f]+-[0-9a-f]+"/) != nil)
                #expect(etag.hasPrefix("\"9-"))  // 9 bytes

                let again = try await client.send("/dated.txt")
                #expect(again.header("ETag") == etag)
                let other = try await client.send("/notes.txt")
                #expect(other.header("ETag") != etag)
            }
        }
    }

    @Test func ifNoneMatchWithTheETagIsNotModified() async throws {
        try await EdgeFixture.with { fixture in
            try await fixture.application().test(.router) { client in
                let etag = try #require(try await client.send("/style.css").header("ETag"))
                for ifNoneMatch in [etag, "\"nope\", \(etag)", "\"a,b\", W/\(etag)", "*"] {
                    let response = try await client.send("/style.css", headers: [("If-None-Match", ifNoneMatch)])
                    #expect(response.status == .notModified, "\(ifNoneMatch)")
                    #expect(response.header("ETag") == etag)
                    #expect(response.body.readableBytes == 0)
                }
                let head = try await client.send("/style.css", method: .head, headers: [("If-None-Match", etag)])
                #expect(head.status == .notModified)

                let stale = try await client.send("/style.css", headers: [("If-None-Match", "\"stale\"")])
                #expect(stale.status == .ok)
                #expect(stale.text == "body { color: red }")
            }
        }
    }

    @Test func ifModifiedSinceIsHonouredWithoutIfNoneMatch() async throws {
        try await EdgeFixture.with { fixture in
            try await fixture.application().test(.router) { client in
                let same = try await client.send("/dated.txt", headers: [("If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT")])
                #expect(same.status == .notModified)
                let earlier = try await client.send("/dated.txt", headers: [("If-Modified-Since", "Sun, 06 Nov 1994 08:49:36 GMT")])
                #expect(earlier.status == .ok)
                let garbage = try await client.send("/dated.txt", headers: [("If-Modified-Since", "yesterday")])
                #expect(garbage.status == .ok)
                let overruled = try await client.send(
                    "/dated.txt",
                    headers: [("If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"), ("If-None-Match", "\"other\"")]
                )
                #expect(overruled.status == .ok)
            }
        }
    }

    // MARK: HEAD

    @Test func headSendsTheHeadersOfGetWithoutBody() async throws {
        try await EdgeFixture.with { fixture in
            try await fixture.application().test(.router) { client in
                let get = try await client.send("/data.bin")
                let head = try await client.send("/data.bin", method: .head)
                #expect(head.status == .ok)
                #expect(head.body.readableBytes == 0)
                for name in ["Content-Type", "Content-Length", "ETag", "Last-Modified", "Cache-Control", "Accept-Ranges"] {
                    #expect(head.header(name) == get.header(name), "\(name)")
                }
                #expect(head.header("Content-Length") == "1000")

                let partial = try await client.send("/data.bin", method: .head, headers: [("Range", "bytes=0-99")])
                #expect(partial.status == .partialContent)
                #expect(partial.header("Content-Length") == "100")
                #expect(partial.header("Content-Range") == "bytes 0-99/1000")
                #expect(partial.body.readableBytes == 0)
            }
        }
    }

    // MARK: Ranges

    @Test(arguments: [
        ("bytes=0-9", 0...9),
        ("bytes=990-", 990...999),
        ("bytes=-10", 990...999),
        ("bytes=995-5000", 995...999),
        ("bytes=-5000", 0...999),
        ("bytes=500-500", 500...500),
        ("Bytes = 10-19 ", 10...19),
        ("bytes=0-99999999999999999999999", 0...999),
    ])
    func aSingleRangeIsPartialContent(header: String, expected: ClosedRange<Int>) async throws {
        try await EdgeFixture.with { fixture in
            try await fixture.application().test(.router) { client in
                let response = try await client.send("/data.bin", headers: [("Range", header)])
                #expect(response.status == .partialContent)
                #expect(response.header("Content-Range") == "bytes \(expected.lowerBound)-\(expected.upperBound)/1000")
                #expect(response.header("Content-Length") == String(expected.count))
                #expect(Data(buffer: response.body) == EdgeFixture.binary[expected])
            }
        }
    }

    @Test(arguments: ["bytes=1000-", "bytes=5000-6000", "bytes=-0", "bytes=99999999999999999999999-"])
    func aRangeBeyondTheFileIsUnsatisfiable(header: String) async throws {
        try await EdgeFixture.with { fixture in
            try await fixture.application().test(.router) { client in
                let response = try await client.send("/data.bin", headers: [("Range", header)])
                #expect(response.status == .rangeNotSatisfiable)
                #expect(response.header("Content-Range") == "bytes */1000")
                #expect(response.body.readableBytes == 0)
            }
        }
    }

    @Test func anyRangeOfAnEmptyFileIsUnsatisfiable() async throws {
        try await EdgeFixture.with { fixture in
            try await fixture.application().test(.router) { client in
                let response = try await client.send("/empty.txt", headers: [("Range", "bytes=0-")])
                #expect(response.status == .rangeNotSatisfiable)
                #expect(response.header("Content-Range") == "bytes */0")
            }
        }
    }

    @Test(arguments: ["bytes=abc", "bytes=5-1", "bytes=0-1,5-6", "items=0-1", "bytes=-", "bytes=1-2-3", "bytes=+1-2", "0-1"])
    func aMalformedOrMultipleRangeIsIgnored(header: String) async throws {
        try await EdgeFixture.with { fixture in
            try await fixture.application().test(.router) { client in
                let response = try await client.send("/data.bin", headers: [("Range", header)])
                #expect(response.status == .ok)
                #expect(response.header("Content-Range") == nil)
                #expect(Data(buffer: response.body) == EdgeFixture.binary)
            }
        }
    }

    @Test func ifRangeAppliesTheRangeOnlyToTheSameFile() async throws {
        try await EdgeFixture.with { fixture in
            try await fixture.application().test(.router) { client in
                let full = try await client.send("/dated.txt")
                let etag = try #require(full.header("ETag"))
                let matching = try await client.send("/dated.txt", headers: [("Range", "bytes=0-3"), ("If-Range", etag)])
                #expect(matching.status == .partialContent)
                #expect(matching.text == "from")
                let byDate = try await client.send("/dated.txt", headers: [("Range", "bytes=0-3"), ("If-Range", "Sun, 06 Nov 1994 08:49:37 GMT")])
                #expect(byDate.status == .partialContent)
                let changed = try await client.send("/dated.txt", headers: [("Range", "bytes=0-3"), ("If-Range", "\"changed\"")])
                #expect(changed.status == .ok)
                #expect(changed.text == "from 1994")
                let weak = try await client.send("/dated.txt", headers: [("Range", "bytes=0-3"), ("If-Range", "W/\(etag)")])
                #expect(weak.status == .ok)
            }
        }
    }

    // MARK: Never outside the build

    @Test(arguments: [
        "/../../../outside/secret.txt",
        "/..",
        "/docs/../about.html",
        "/%2e%2e/%2e%2e/%2e%2e/outside/secret.txt",
        "/%2E%2E/%2E%2E/%2E%2E/outside/secret.txt",
        "/..%2f..%2f..%2foutside%2fsecret.txt",
        "/docs/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2foutside/secret.txt",
    ])
    func traversalIsNotFound(path: String) async throws {
        try await EdgeFixture.with { fixture in
            try await fixture.application().test(.router) { client in
                let response = try await client.send(path)
                #expect(response.status == .notFound)
                #expect(response.text == "<h1>custom not found</h1>")
                #expect(!response.text.contains("secret"))
            }
        }
    }

    @Test(arguments: ["/escape.txt", "/relative-escape.txt", "/escape-dir/secret.txt", "/escape-dir/", "/escape-dir", "/escape"])
    func symlinksOutOfTheBuildAreRefused(path: String) async throws {
        try await EdgeFixture.with { fixture in
            try await fixture.application().test(.router) { client in
                let response = try await client.send(path)
                #expect(response.status == .notFound)
                #expect(!response.text.contains("secret"))
                let head = try await client.send(path, method: .head)
                #expect(head.status == .notFound)
            }
        }
    }

    @Test func symlinksInsideTheBuildAreServed() async throws {
        try await EdgeFixture.with { fixture in
            try await fixture.application().test(.router) { client in
                let css = try await client.send("/inside.css")
                #expect(css.status == .ok)
                #expect(css.text == "body { color: red }")
                #expect(css.header("Content-Type") == "text/css; charset=utf-8")

                let directory = try await client.send("/docs-link/")
                #expect(directory.text == "<h1>docs</h1>")
                let redirect = try await client.send("/docs-link")
                #expect(redirect.header("Location") == "/docs-link/")
            }
        }
    }

    @Test(arguments: ["/%00", "/index.html%00.png", "/%zz", "/%", "/%4", "/%c3%28"])
    func pathsThatCannotBeFileNamesAreBadRequests(path: String) async throws {
        try await EdgeFixture.with { fixture in
            try await fixture.application().test(.router) { client in
                let response = try await client.send(path)
                #expect(response.status == .badRequest)
            }
        }
    }

    @Test func noPathProducesAServerError() async throws {
        let paths = [
            "*", "", "/.", "/./.", "//", "///etc/passwd", "/index.html/", "/404.html/x", "/~", "/.git", "/%2f", "/%2F%2F",
            "/" + String(repeating: "a", count: 5000), "/" + String(repeating: "a/", count: 3000), "/%ff%fe", "/\u{1F600}.html",
            "/empty.txt/", "/data.bin/..", "/docs/.", "/docs/./", "/escape.txt/",
        ]
        try await EdgeFixture.with { fixture in
            try await fixture.application().test(.router) { client in
                for path in paths {
                    for method in [HTTPRequest.Method.get, .head] {
                        let response = try await client.send(path, method: method)
                        #expect(response.status.code < 500, "\(method) \(path)")
                        #expect(!response.text.contains("secret"))
                    }
                }
            }
        }
    }

    // MARK: Methods

    @Test(arguments: [HTTPRequest.Method.post, .put, .delete, .patch, .options])
    func onlyGetAndHeadAreAllowed(method: HTTPRequest.Method) async throws {
        try await EdgeFixture.with { fixture in
            try await fixture.application().test(.router) { client in
                let response = try await client.send("/index.html", method: method)
                #expect(response.status == .methodNotAllowed)
                #expect(response.header("Allow") == "GET, HEAD")
            }
        }
    }

    // MARK: Over a socket

    @Test func theEdgeServesOverHTTP() async throws {
        try await EdgeFixture.with { fixture in
            let large = Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
            try large.write(to: fixture.siteDirectory.appendingPathComponent("large.bin"))
            try await fixture.application().test(.live) { client in
                let port = try #require(client.port)
                // The live test client always sends `Host: localhost`; talk to the site with our own client.
                let api = try await client.execute(uri: "/", method: .get)
                #expect(api.text == "api")

                try await TestClient.withClient(host: "127.0.0.1", port: port) { site in
                    func send(_ path: String, method: HTTPRequest.Method = .get, headers: HTTPFields = [:]) async throws -> TestClient.Response {
                        try await site.execute(.init(path, method: method, authority: "hello.localhost:\(port)", headers: headers))
                    }
                    let index = try await send("/")
                    #expect(index.status == .ok)
                    #expect(index.body.map { String(buffer: $0) } == "<h1>home</h1>")

                    let whole = try await send("/large.bin")
                    #expect(whole.status == .ok)
                    #expect(whole.headers[.contentLength] == "300000")
                    #expect(whole.body.map { Data(buffer: $0) } == large)

                    let partial = try await send("/large.bin", headers: [.range: "bytes=131000-140999"])
                    #expect(partial.status == .partialContent)
                    #expect(partial.headers[.contentRange] == "bytes 131000-140999/300000")
                    #expect(partial.body.map { Data(buffer: $0) } == large[131_000...140_999])

                    let head = try await send("/large.bin", method: .head)
                    #expect(head.status == .ok)
                    #expect(head.headers[.contentLength] == "300000")
                    #expect((head.body?.readableBytes ?? 0) == 0)

                    let etag = try #require(whole.headers[.eTag])
                    let notModified = try await send("/large.bin", headers: [.ifNoneMatch: etag])
                    #expect(notModified.status == .notModified)
                    #expect(notModified.headers[.eTag] == etag)

                    let empty = try await send("/empty.txt")
                    #expect(empty.status == .ok)
                    #expect(empty.headers[.contentLength] == "0")

                    let escape = try await send("/escape.txt")
                    #expect(escape.status == .notFound)

                    let traversal = try await send("/../../../outside/secret.txt")
                    #expect(traversal.status == .notFound)

                    let after = try await send("/about")
                    #expect(after.body.map { String(buffer: $0) } == "<h1>about</h1>")
                }
            }
        }
    }
}
