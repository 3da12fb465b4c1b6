import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOHTTP1
import NIOPosix
import SlipwayCore
import SlipwayTesting
import Synchronization
import Testing

@testable import SlipwayEdge

/// A real upstream service on a free loopback port and the edge in front of it, both live over HTTP, with the
/// static routes of `EdgeFixture` next to three service routes:
/// `app` (deployment 10, its process listens), `down` (11, no process), `refused` (12, a port nothing listens on).
struct ProxyFixture {
    static let running: Int64 = 10
    static let notRunning: Int64 = 11
    static let refusing: Int64 = 12

    let edgePort: Int
    let upstreamPort: Int
    let endpoints: ServiceEndpoints
    let client: HTTPClient
    let routes: RouteTable

    /// Runs `body` with the upstream and the edge running; `proxy` configures the edge's proxy.
    static func with(
        proxy configuration: ServiceProxy.Configuration = .init(),
        _ body: @Sendable (ProxyFixture) async throws -> Void
    ) async throws {
        try await EdgeFixture.with { edge in
            let endpoints = ServiceEndpoints()
            edge.routes.set([
                "app": RouteTarget(deploymentID: running, buildID: UUID(), kind: .service),
                "down": RouteTarget(deploymentID: notRunning, buildID: UUID(), kind: .service),
                "refused": RouteTarget(deploymentID: refusing, buildID: UUID(), kind: .service),
            ])
            let proxy = ServiceProxy(domain: EdgeFixture.domain, routes: edge.routes, endpoints: endpoints, configuration: configuration)
            let api = Router(context: AddressedContext.self)
            api.get("/") { _, _ in "api" }
            let dispatcher = HostDispatcher(domain: EdgeFixture.domain, routes: edge.routes, layout: edge.layout, api: api.buildResponder())
            let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
            do {
                try await upstreamApplication().test(.live) { upstream in
                    let upstreamPort = try #require(upstream.port)
                    endpoints.setPort(upstreamPort, for: running)
                    endpoints.setPort(try unusedPort(), for: refusing)
                    try await Application(responder: dispatcher, server: .edge(proxy: proxy)).test(.live) { edgeClient in
                        let fixture = ProxyFixture(
                            edgePort: try #require(edgeClient.port), upstreamPort: upstreamPort, endpoints: endpoints, client: client,
                            routes: edge.routes)
                        try await body(fixture)
                    }
                }
            } catch {
                try? await client.shutdown()
                throw error
            }
            try await client.shutdown()
        }
    }

    /// A request to the edge for `host` (a service route by default).
    func request(_ path: String, host: String = "app.localhost", method: HTTPMethod = .GET, headers: [(String, String)] = []) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(edgePort)\(path)")
        request.method = method
        request.headers.add(name: "Host", value: host)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        return request
    }

    /// Sends `request` and collects the response body (at most 256 MB).
    func send(_ request: HTTPClientRequest) async throws -> (response: HTTPClientResponse, body: ByteBuffer) {
        let response = try await client.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 256 << 20)
        return (response, body)
    }

    /// Waits until the running deployment has `count` requests in flight; false after `timeout`.
    func waitForInFlight(_ count: Int, deploymentID: Int64 = running, timeout: Duration = .seconds(10)) async throws -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while endpoints.inFlight(to: deploymentID) != count {
            guard clock.now < deadline else { return false }
            try await Task.sleep(for: .milliseconds(5))
        }
        return true
    }

    /// A loopback port nothing listens on (bound, read and closed again).
    static func unusedPort() throws -> Int {
        try TestServer.freePort()
    }
}

/// The API's context in these tests: like the server's, it knows the client's address.
struct AddressedContext: RequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }
}

/// `count` bytes of a pattern that does not repeat every 256 bytes (so a shifted or dropped chunk shows).
func patternBytes(_ count: Int, from offset: Int = 0) -> ByteBuffer {
    var buffer = ByteBuffer()
    buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { bytes in
        for position in 0..<count {
            let index = offset + position
            bytes[position] = UInt8(truncatingIfNeeded: index &* 31 &+ index >> 9)
        }
        return count
    }
    return buffer
}

/// The upstream service of the tests: a small Hummingbird app.
///
/// - `GET /headers?…`: the request line's path, its `Host` and every other header it received, one `name: value` per line.
/// - `POST /echo`: the request body streamed back as it arrives.
/// - `POST /digest`: the byte count and an FNV-1a hash of the body, read as it streams.
/// - `GET /download/:bytes`: that many bytes of `patternBytes`, in 64 KiB chunks, with a Content-Length.
/// - `GET /slow-head`: answers after 2 s.
/// - `GET /trickle/:chunks`: the head at once, then one 10-byte chunk every 20 ms.
/// - `GET /break`: announces 1 MB, sends 10 bytes and drops the connection.
/// - `GET /break-small`: announces 100 bytes, sends 10 and drops the connection.
/// - `HEAD /sized`: a `Content-Length` of 1234 and, as HEAD wants, no body.
/// - `GET /hop-by-hop`: a response with hop-by-hop headers (and one named in `Connection`) next to `X-Kept`.
func upstreamApplication() -> some ApplicationProtocol {
    let router = Router()
    router.get("/headers") { request, _ -> String in
        // HTTPTypes keeps the `Host` line as the request's authority.
        var lines = "path: \(request.head.path ?? "")\nhost: \(request.head.authority ?? "")\n"
        for field in request.headers { lines += "\(field.name.canonicalName): \(field.value)\n" }
        return lines
    }
    router.post("/echo") { request, _ in
        Response(status: .ok, body: ResponseBody(asyncSequence: request.body))
    }
    router.post("/digest") { request, _ -> String in
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        var count = 0
        for try await buffer in request.body {
            count += buffer.readableBytes
            buffer.withUnsafeReadableBytes { bytes in
                for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            }
        }
        return "\(count) \(hash)"
    }
    router.get("/download/{bytes}") { _, context in
        let total = try context.parameters.require("bytes", as: Int.self)
        return Response(
            status: .ok, headers: [.contentLength: String(total)],
            body: ResponseBody { writer in
                var offset = 0
                while offset < total {
                    let count = min(64 << 10, total - offset)
                    try await writer.write(patternBytes(count, from: offset))
                    offset += count
                }
                try await writer.finish(nil)
            })
    }
    router.get("/slow-head") { _, _ -> String in
        try await Task.sleep(for: .seconds(2))
        return "late"
    }
    router.get("/trickle/{chunks}") { _, context in
        let chunks = try context.parameters.require("chunks", as: Int.self)
        return Response(
            status: .ok,
            body: ResponseBody { writer in
                for _ in 0..<chunks {
                    try await writer.write(ByteBuffer(string: "0123456789"))
                    try await Task.sleep(for: .milliseconds(20))
                }
                try await writer.finish(nil)
            })
    }
    router.get("/break") { _, _ in
        Response(
            status: .ok, headers: [.contentLength: "1000000"],
            body: ResponseBody { writer in
                try await writer.write(ByteBuffer(string: "0123456789"))
                throw CancellationError()
            })
    }
    router.get("/break-small") { _, _ in
        Response(
            status: .ok, headers: [.contentLength: "100"],
            body: ResponseBody { writer in
                try await writer.write(ByteBuffer(string: "0123456789"))
                throw CancellationError()
            })
    }
    router.on("/sized", method: .head) { _, _ in
        Response(status: .ok, headers: [.contentLength: "1234"], body: ResponseBody())
    }
    router.get("/hop-by-hop") { _, _ in
        var headers = HTTPFields()
        headers.append(HTTPFields.Element(name: .connection, value: "X-Hop-Out"))
        headers.append(HTTPFields.Element(name: HTTPFields.Element.Name("X-Hop-Out")!, value: "secret"))
        headers.append(HTTPFields.Element(name: HTTPFields.Element.Name("Keep-Alive")!, value: "timeout=5"))
        headers.append(HTTPFields.Element(name: HTTPFields.Element.Name("Proxy-Authenticate")!, value: "Basic"))
        headers.append(HTTPFields.Element(name: HTTPFields.Element.Name("X-Kept")!, value: "yes"))
        return Response(status: .created, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: "hop")))
    }
    return Application(router: router)
}
