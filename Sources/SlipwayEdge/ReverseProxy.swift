import AsyncHTTPClient
import Hummingbird
import NIOCore
import NIOPosix
import ServiceLifecycle
import SlipwayCore
import Synchronization

/// The edge's reverse proxy to service processes on `127.0.0.1:<port>`: one shared HTTP client whose pool keeps
/// upstream connections alive, request and response bodies streamed both ways with back-pressure (never held
/// whole, except a response body of at most `smallBodyLimit` bytes), hop-by-hop headers dropped and
/// `X-Forwarded-*` added (see `ProxyHeaders`).
///
/// It is a `Service`: in a `ServiceGroup` it shuts its client down on graceful shutdown, after the HTTP server
/// that uses it has stopped (services stop in reverse order). Outside one, call `shutdown()`.
public final class ReverseProxy: Service, Sendable {
    /// Timeouts and pool size.
    public struct Configuration: Sendable {
        /// How long the upstream may take to send its response head once the request has been sent: then the
        /// client gets a 504. Streaming the body afterwards has no time limit.
        public var responseHeadTimeout: Duration
        /// How long opening a connection to the upstream may take (on loopback a refusal is immediate).
        public var connectTimeout: Duration
        /// How long an unused upstream connection stays open in the pool.
        public var idleConnectionTimeout: Duration
        /// How many keep-alive connections the pool holds to one upstream.
        public var connectionsPerUpstream: Int

        /// The defaults: 60 s for the response head, 5 s to connect, 60 s idle, 256 connections per upstream.
        public init(
            responseHeadTimeout: Duration = .seconds(60),
            connectTimeout: Duration = .seconds(5),
            idleConnectionTimeout: Duration = .seconds(60),
            connectionsPerUpstream: Int = 256
        ) {
            self.responseHeadTimeout = responseHeadTimeout
            self.connectTimeout = connectTimeout
            self.idleConnectionTimeout = idleConnectionTimeout
            self.connectionsPerUpstream = connectionsPerUpstream
        }
    }

    /// The timeouts and pool size it was made with.
    public let configuration: Configuration
    private let client: HTTPClient
    private let responseHeadTimeout: TimeAmount
    private let isShutDown = Atomic<Bool>(false)

    /// Creates the proxy and its HTTP client on `eventLoopGroup` (the one Hummingbird's server uses by default).
    public init(configuration: Configuration = Configuration(), eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.configuration = configuration
        self.responseHeadTimeout = TimeAmount(configuration.responseHeadTimeout)
        var pool = HTTPClient.Configuration.ConnectionPool(
            idleTimeout: TimeAmount(configuration.idleConnectionTimeout),
            concurrentHTTP1ConnectionsPerHostSoftLimit: configuration.connectionsPerUpstream
        )
        // A refused loopback port means the process does not listen: answer 502 now, not after retrying.
        pool.retryConnectionEstablishment = false
        var clientConfiguration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: TimeAmount(configuration.connectTimeout)),
            connectionPool: pool,
            decompression: .disabled
        )
        clientConfiguration.httpVersion = .http1Only
        // No spans per request (the default is the global tracer, a no-op one that still costs its attributes).
        clientConfiguration.tracing.tracer = nil
        self.client = HTTPClient(eventLoopGroup: eventLoopGroup, configuration: clientConfiguration)
    }

    /// Waits for graceful shutdown, then closes the pool's connections.
    public func run() async throws {
        try? await gracefulShutdown()
        try await shutdown()
    }

    /// Closes the pool's connections; requests still streaming fail. Calling it again does nothing.
    public func shutdown() async throws {
        guard !isShutDown.exchange(true, ordering: .acquiringAndReleasing) else { return }
        try await client.shutdown()
    }

    deinit {
        // A proxy dropped without `shutdown()` (a dispatcher built with the default one) still frees its client.
        if !isShutDown.load(ordering: .acquiring) { client.shutdown { _ in } }
    }

    /// Sends `request` to `127.0.0.1:<port>` and answers with the upstream's response, its body streamed through
    /// (or, at most `smallBodyLimit` bytes, read whole and sent with the head). `inFlight` ends once that body has
    /// been sent (a small one: once it has been received whole), or the exchange has failed; failures answer an
    /// error page: 502 when the upstream refuses or drops the connection, 504 when its response head is later
    /// than the timeout.
    /// - Parameters:
    ///   - clientAddress: the client's IP address, appended to `X-Forwarded-For` (nil: not known, nothing appended).
    ///   - host: the host name of the deployment, for the error pages.
    func forward(_ request: Request, toPort port: Int, inFlight: InFlightRequest, clientAddress: String?, host: String) async -> Response {
        var upstreamRequest = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(request.head.path ?? "/")")
        upstreamRequest.method = .init(rawValue: request.method.rawValue)
        ProxyHeaders.copyRequestHeaders(
            request.headers, authority: request.head.authority, clientAddress: clientAddress, into: &upstreamRequest)
        upstreamRequest.body = Self.upstreamBody(of: request)

        let upstreamResponse: HTTPClientResponse
        do {
            upstreamResponse = try await client.execute(upstreamRequest, deadline: .now() + responseHeadTimeout)
        } catch {
            inFlight.end()
            return Self.failurePage(for: error, request: request, host: host)
        }

        let status = HTTPResponse.Status(code: Int(upstreamResponse.status.code), reasonPhrase: upstreamResponse.status.reasonPhrase)
        let headers = ProxyHeaders.responseHeaders(upstreamResponse)
        if Self.hasSmallBody(upstreamResponse) {
            do {
                let whole = try await upstreamResponse.body.collect(upTo: Self.smallBodyLimit)
                // The process has sent its whole answer: nothing of this request is left for it to do.
                inFlight.end()
                return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: whole))
            } catch {
                inFlight.end()
                return Self.failurePage(for: error, request: request, host: host)
            }
        }
        let upstreamBody = upstreamResponse.body
        let body = ResponseBody { writer in
            // A failure of either side (the upstream drops the connection, the client goes away) ends the
            // loop with an error: Hummingbird then closes the client's connection, and dropping the upstream
            // body closes the upstream's.
            defer { inFlight.end() }
            for try await buffer in upstreamBody {
                try await writer.write(buffer)
            }
            try await writer.finish(nil)
        }
        return Response(status: status, headers: headers, body: body)
    }

    /// The largest body, by its `Content-Length`, that is read whole before the response is sent: the client then
    /// gets head and body in one write instead of three. Larger bodies, and bodies of unknown length, stream.
    static let smallBodyLimit = 64 << 10

    /// Whether the upstream's `Content-Length` announces at most `smallBodyLimit` bytes: such a body is read whole
    /// (a failure while reading it is then still a 502) and sent with the head.
    private static func hasSmallBody(_ response: HTTPClientResponse) -> Bool {
        guard let length = response.headers.first(name: "content-length").flatMap({ Int($0) }) else { return false }
        return length <= smallBodyLimit
    }

    /// The request's body for the upstream, streamed: with its length when the client gave one, chunked when the
    /// client sent it chunked, none otherwise.
    private static func upstreamBody(of request: Request) -> HTTPClientRequest.Body? {
        if let length = request.headers[.contentLength], let count = Int64(length), count >= 0 {
            return .stream(request.body, length: .known(count))
        }
        if request.headers[.transferEncoding] != nil {
            return .stream(request.body, length: .unknown)
        }
        return nil
    }

    /// The error page for a request the upstream did not answer.
    private static func failurePage(for error: any Error, request: Request, host: String) -> Response {
        switch error as? HTTPClientError {
        case .some(.deadlineExceeded), .some(.readTimeout):
            return EdgePage.response(.gatewayTimeout, html: EdgePage.upstreamTimeout(host: host), for: request)
        case .some(.invalidURL):
            return EdgePage.response(.badRequest, html: EdgePage.badRequest, for: request)
        default:
            return EdgePage.response(.badGateway, html: EdgePage.upstreamUnavailable(host: host), for: request)
        }
    }
}
