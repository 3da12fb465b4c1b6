import Foundation
import Hummingbird
import HummingbirdTesting
import SlipwayCore
import SlipwayEdge
import SlipwaySandbox

/// A data directory with two builds on disk, a route table pointing at them, and the edge application in front.
///
/// Build `site` has pages, assets, a `404.html` and symbolic links in and out of the build; build `plain` has only
/// an `index.html`. Routes: `hello`, `1a2b3c4d.hello` → site; `feature-x.hello` → plain; `gone.hello` → a build
/// whose directory does not exist.
struct EdgeFixture {
    static let domain = "localhost"
    /// The modification time of `dated.txt`: Sun, 06 Nov 1994 08:49:37 GMT.
    static let datedModification = Date(timeIntervalSince1970: 784_111_777)
    /// The contents of `data.bin`: 1000 bytes, 0...255 repeating.
    static let binary = Data((0..<1000).map { UInt8($0 % 256) })
    static let secret = "root:x:0:0:secret outside the build"

    let temporary: URL
    let layout: DataLayout
    let siteBuild: UUID
    let plainBuild: UUID
    let outside: URL
    let routes = RouteTable()

    var siteDirectory: URL { URL(fileURLWithPath: layout.buildDirectory(siteBuild)) }

    /// Makes the directories and files, runs `body`, then deletes everything.
    static func with<Result>(_ body: (EdgeFixture) async throws -> Result) async throws -> Result {
        let fixture = try EdgeFixture()
        defer { try? FileManager.default.removeItem(at: fixture.temporary) }
        return try await body(fixture)
    }

    private init() throws {
        let files = FileManager.default
        temporary = files.temporaryDirectory.appendingPathComponent("slipway-edge-\(UUID().uuidString)")
        layout = DataLayout(root: temporary.appendingPathComponent("data").path)
        try layout.createDirectories()
        outside = temporary.appendingPathComponent("outside")
        try files.createDirectory(at: outside, withIntermediateDirectories: true)
        try Self.secret.write(to: outside.appendingPathComponent("secret.txt"), atomically: true, encoding: .utf8)

        siteBuild = UUID()
        plainBuild = UUID()
        let site = URL(fileURLWithPath: layout.buildDirectory(siteBuild))
        let texts = [
            "index.html": "<h1>home</h1>",
            "about.html": "<h1>about</h1>",
            "docs/index.html": "<h1>docs</h1>",
            "docs/guide.html": "<h1>guide</h1>",
            "noindex/readme.txt": "no index here",
            "style.css": "body { color: red }",
            "app.js": "console.log('hi')",
            "data.json": "{\"ok\":true}",
            "logo.svg": "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
            "notes.txt": "plain text",
            "SHOUT.TXT": "LOUD",
            "hello world.txt": "spaced out",
            "dated.txt": "from 1994",
            "empty.txt": "",
            "404.html": "<h1>custom not found</h1>",
        ]
        for (path, text) in texts {
            try Self.write(Data(text.utf8), to: site.appendingPathComponent(path))
        }
        try Self.write(Self.binary, to: site.appendingPathComponent("data.bin"))
        try Self.write(Data([0x89, 0x50, 0x4E, 0x47]), to: site.appendingPathComponent("image.png"))
        try files.setAttributes([.modificationDate: Self.datedModification], ofItemAtPath: site.appendingPathComponent("dated.txt").path)

        try files.createSymbolicLink(
            atPath: site.appendingPathComponent("escape.txt").path, withDestinationPath: outside.appendingPathComponent("secret.txt").path)
        try files.createSymbolicLink(atPath: site.appendingPathComponent("escape-dir").path, withDestinationPath: outside.path)
        try files.createSymbolicLink(
            atPath: site.appendingPathComponent("relative-escape.txt").path, withDestinationPath: "../../../outside/secret.txt")
        try files.createSymbolicLink(atPath: site.appendingPathComponent("inside.css").path, withDestinationPath: "style.css")
        try files.createSymbolicLink(atPath: site.appendingPathComponent("docs-link").path, withDestinationPath: "docs")

        let plain = URL(fileURLWithPath: layout.buildDirectory(plainBuild))
        try Self.write(Data("<h1>plain</h1>".utf8), to: plain.appendingPathComponent("index.html"))

        let siteTarget = RouteTarget(deploymentID: 1, buildID: siteBuild)
        routes.set([
            "hello": siteTarget,
            "1a2b3c4d.hello": siteTarget,
            "feature-x.hello": RouteTarget(deploymentID: 2, buildID: plainBuild),
            "gone.hello": RouteTarget(deploymentID: 3, buildID: UUID()),
        ])
    }

    /// The edge as the server runs it: a `HostDispatcher` in front of an API that answers "api".
    func application() -> some ApplicationProtocol {
        let router = Router(context: BasicRequestContext.self)
        router.get("/") { _, _ in "api" }
        router.get("/v1/status") { _, _ in "api status" }
        let dispatcher = HostDispatcher(domain: Self.domain, routes: routes, layout: layout, api: router.buildResponder())
        return Application(responder: dispatcher)
    }

    private static func write(_ data: Data, to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url)
    }
}

extension HTTPFields {
    /// Request headers with `Host` set (HTTPTypes hides `.host` in favour of `:authority`, but HTTP/1 sends it).
    static func host(_ host: String, _ more: [(String, String)] = []) -> HTTPFields {
        var fields = HTTPFields()
        fields.append(Element(name: Element.Name("Host")!, value: host))
        for (name, value) in more {
            fields.append(Element(name: Element.Name(name)!, value: value))
        }
        return fields
    }
}

extension TestClientProtocol {
    /// Sends a request to a host of the fixture (`hello.localhost` unless told).
    func send(
        _ path: String,
        host: String = "hello.localhost",
        method: HTTPRequest.Method = .get,
        headers: [(String, String)] = []
    ) async throws -> TestResponse {
        try await execute(uri: path, method: method, headers: .host(host, headers))
    }
}

extension TestResponse {
    /// The body as UTF-8 text.
    var text: String { String(buffer: body) }

    /// A header by name.
    func header(_ name: String) -> String? { headers[HTTPFields.Element.Name(name)!] }
}
