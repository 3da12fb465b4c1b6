import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOTLS
import SlipwayCore
import SlipwayTesting
import Synchronization
import Testing

@testable import SlipwayEdge

/// A certificate authority made for one test by `openssl` (ECDSA P-256), and the certificates it issues.
struct TestCA {
    let directory: URL
    let certificatePath: String
    let keyPath: String

    /// One issued certificate: its files and PEM text.
    struct Issued {
        let certificatePath: String
        let keyPath: String
        var certificatePEM: String { (try? String(contentsOfFile: certificatePath, encoding: .utf8)) ?? "" }
        var keyPEM: String { (try? String(contentsOfFile: keyPath, encoding: .utf8)) ?? "" }
        /// The leaf, as NIOSSL reads it (to compare with what a server presented).
        func leaf() throws -> NIOSSLCertificate { try NIOSSLCertificate.fromPEMFile(certificatePath)[0] }
    }

    /// A new CA in a temporary directory (deleted by `remove()`).
    static func make() async throws -> TestCA {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("slipway-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let ca = TestCA(
            directory: directory, certificatePath: directory.appendingPathComponent("ca.pem").path,
            keyPath: directory.appendingPathComponent("ca.key").path)
        try await ca.openssl([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", ca.keyPath, "-out", ca.certificatePath,
            "-days", "2", "-subj", "/CN=Slipway Test CA",
        ])
        return ca
    }

    /// The CA's certificate, for a client's trust roots.
    func root() throws -> NIOSSLCertificate { try NIOSSLCertificate.fromPEMFile(certificatePath)[0] }

    /// A leaf for `names` (subject alternative names), signed by this CA, or self-signed when `selfSigned`.
    func issue(_ names: [String], file: String, selfSigned: Bool = false) async throws -> Issued {
        let key = directory.appendingPathComponent("\(file).key").path
        let certificate = directory.appendingPathComponent("\(file).pem").path
        let request = directory.appendingPathComponent("\(file).csr").path
        let extensions = directory.appendingPathComponent("\(file).ext").path
        let alternativeNames = names.map { "DNS:\($0)" }.joined(separator: ",")
        try "subjectAltName=\(alternativeNames)\nextendedKeyUsage=serverAuth\n".write(toFile: extensions, atomically: true, encoding: .utf8)
        try await openssl([
            "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", request, "-subj",
            "/CN=\(names[0])",
        ])
        let signer = selfSigned ? ["-signkey", key] : ["-CA", certificatePath, "-CAkey", keyPath, "-CAcreateserial"]
        try await openssl(["x509", "-req", "-in", request, "-out", certificate, "-days", "2", "-extfile", extensions] + signer)
        return Issued(certificatePath: certificate, keyPath: key)
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }

    private func openssl(_ arguments: [String]) async throws {
        let result = try await onOwnThread { try CapturedProcess.run("/usr/bin/openssl", arguments) }
        guard result.status == 0 else { throw TestSupportError("openssl \(arguments.joined(separator: " ")): \(result.output)") }
    }
}

/// The edge on two live listeners, plain HTTP and HTTPS, over `EdgeFixture`'s static sites, an API, and the
/// service `app` (the tests' upstream application) — the same pipeline on both, as `buildApplication` wires it.
struct HTTPSFixture {
    let httpPort: Int
    let httpsPort: Int
    let ca: TestCA
    let https: EdgeHTTPS
    let challenges: ACMEChallenges
    let endpoints: ServiceEndpoints
    let routes: RouteTable
    /// The build directory of `hello.localhost` (files written before its first request are in its manifest).
    let siteDirectory: URL

    /// Runs `body` with both listeners up; `certificates` makes the certificate source from the test's CA.
    static func with(
        hsts: Bool = false,
        certificates: @escaping (TestCA) async throws -> any TLSCertificateSource = { ca in try await HTTPSFixture.platformCertificate(ca) },
        _ body: @Sendable (HTTPSFixture) async throws -> Void
    ) async throws {
        let ca = try await TestCA.make()
        defer { ca.remove() }
        let source = try await certificates(ca)
        try await EdgeFixture.with { edge in
            let endpoints = ServiceEndpoints()
            edge.routes.set(["app": RouteTarget(deploymentID: ProxyFixture.running, buildID: UUID(), kind: .service)])
            let https = EdgeHTTPS(certificates: source, strictTransportSecurity: hsts, port: 0)
            let challenges = ACMEChallenges()
            let sites = StaticSites(layout: edge.layout)
            let proxy = ServiceProxy(
                domain: EdgeFixture.domain, routes: edge.routes, endpoints: endpoints, staticSites: sites, https: https, acmeChallenges: challenges)
            let api = Router(context: AddressedContext.self)
            api.get("/") { _, _ in "api" }
            api.get("/scheme") { request, _ in request.head.scheme ?? "none" }
            let dispatcher = HostDispatcher(
                domain: EdgeFixture.domain, routes: edge.routes, layout: edge.layout, api: api.buildResponder(),
                siteServer: StaticSiteServer(sites: sites))
            let (bound, boundContinuation) = AsyncStream.makeStream(of: Int.self)
            let httpsServer = try EdgeHTTPSServer(
                responder: dispatcher, proxy: proxy, https: https, address: .hostname("127.0.0.1", port: 0), serverName: "Slipway",
                onServerRunning: { port in boundContinuation.yield(port) })
            try await upstreamApplication().test(.live) { upstream in
                endpoints.setPort(try #require(upstream.port), for: ProxyFixture.running)
                try await Application(responder: dispatcher, server: .edge(proxy: proxy), services: [httpsServer]).test(.live) { plain in
                    var ports = bound.makeAsyncIterator()
                    let httpsPort = try #require(await ports.next())
                    try await body(
                        HTTPSFixture(
                            httpPort: try #require(plain.port), httpsPort: httpsPort, ca: ca, https: https, challenges: challenges,
                            endpoints: endpoints, routes: edge.routes, siteDirectory: edge.siteDirectory))
                }
            }
        }
    }

    /// The platform's certificate: `localhost` and `*.localhost`, from files.
    static func platformCertificate(_ ca: TestCA) async throws -> FileCertificateSource {
        let issued = try await ca.issue(["localhost", "*.localhost"], file: "platform")
        return try FileCertificateSource(certificatePath: issued.certificatePath, keyPath: issued.keyPath)
    }

    /// An HTTP client trusting the test CA, reaching every name on loopback; `http2` lets it negotiate h2.
    func client(http2: Bool = false) throws -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates([try ca.root()])
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.httpVersion = http2 ? .automatic : .http1Only
        // The tests look at redirects themselves.
        configuration.redirectConfiguration = .disallow
        configuration.dnsOverride = [
            "localhost": "127.0.0.1", "hello.localhost": "127.0.0.1", "app.localhost": "127.0.0.1", "a.example.test": "127.0.0.1",
        ]
        return HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
    }

    /// Runs `body` with a `client(http2:)`, shut down after.
    func withClient(http2: Bool = false, _ body: (HTTPClient) async throws -> Void) async throws {
        let client = try self.client(http2: http2)
        do {
            try await body(client)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    /// GETs `url` with `client` and collects the body.
    static func get(_ client: HTTPClient, _ url: String, headers: [(String, String)] = []) async throws -> (HTTPClientResponse, String) {
        let (response, body) = try await fetch(client, url, headers: headers)
        return (response, String(buffer: body))
    }

    /// Sends a request with `client` and collects the body's bytes (up to `limit`).
    static func fetch(
        _ client: HTTPClient, _ url: String, method: HTTPMethod = .GET, headers: [(String, String)] = [], body: HTTPClientRequest.Body? = nil,
        limit: Int = 1 << 20
    ) async throws -> (HTTPClientResponse, ByteBuffer) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = body }
        let response = try await client.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: limit)
        return (response, bytes)
    }
}

/// What a raw TLS client saw of a handshake with the edge.
struct TLSHandshake {
    let leaf: NIOSSLCertificate?
    let version: TLSVersion?
    let negotiatedProtocol: String?
    let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
}

/// A TLS client on loopback that accepts any certificate (it reports which one it got), with the server name,
/// protocols and TLS version it is told: the handshakes an HTTP client does not let a test choose.
enum TLSProbe {
    struct HandshakeFailed: Error { let underlying: (any Error)? }

    static func handshake(
        port: Int, serverName: String?, applicationProtocols: [String] = ["http/1.1"], version: TLSVersion? = nil
    ) async throws -> TLSHandshake {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .none
        configuration.applicationProtocols = applicationProtocols
        if let version {
            configuration.minimumTLSVersion = version
            configuration.maximumTLSVersion = version
        }
        let context = try NIOSSLContext(configuration: configuration)
        let handshakeDone = MultiThreadedEventLoopGroup.singleton.any().makePromise(of: HandshakeWatcher.Result.self)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: serverName))
                try channel.pipeline.syncOperations.addHandler(HandshakeWatcher(done: handshakeDone))
                return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
        let result: HandshakeWatcher.Result
        do {
            result = try await handshakeDone.futureResult.get()
        } catch {
            try? await channel.executeThenClose { _, _ in }
            throw HandshakeFailed(underlying: error)
        }
        return TLSHandshake(leaf: result.leaf, version: result.version, negotiatedProtocol: result.negotiatedProtocol, channel: channel)
    }

    /// Completes `done` with what the handshake settled when it ends (read at once: a server that closes right after
    /// the handshake, as for `acme-tls/1`, takes the TLS handler away soon), or fails it when the connection ends first.
    final class HandshakeWatcher: ChannelInboundHandler, RemovableChannelHandler, Sendable {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer
        struct Result: Sendable {
            let negotiatedProtocol: String?
            let leaf: NIOSSLCertificate?
            let version: TLSVersion?
        }
        let done: EventLoopPromise<Result>
        init(done: EventLoopPromise<Result>) { self.done = done }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if case TLSUserEvent.handshakeCompleted(let negotiated) = event {
                let tls = try? context.pipeline.syncOperations.handler(type: NIOSSLClientHandler.self)
                done.succeed(Result(negotiatedProtocol: negotiated, leaf: tls?.peerCertificate, version: tls?.tlsVersion))
            }
            context.fireUserInboundEventTriggered(event)
        }
        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            done.fail(error)
            context.fireErrorCaught(error)
        }
        func channelInactive(context: ChannelHandlerContext) {
            done.fail(ChannelError.eof)
            context.fireChannelInactive()
        }
    }
}

extension TLSHandshake {
    /// Closes the connection (an async channel must be finished, not dropped).
    func close() async throws {
        try await channel.executeThenClose { _, _ in }
    }

    /// Sends `text` and reads until the bytes received contain `marker`, or the connection ends; what was read.
    func exchange(_ text: String, until marker: String) async throws -> String {
        var received = ""
        try await channel.executeThenClose { inbound, outbound in
            if !text.isEmpty { try await outbound.write(ByteBuffer(string: text)) }
            for try await buffer in inbound {
                received += String(buffer: buffer)
                if received.contains(marker) { break }
            }
        }
        return received
    }
}
