public import NIOCore
public import NIOPosix
public import SlipwayCore

/// The edge's reverse proxy to service processes on `127.0.0.1:<port>`, at the level of bytes: an
/// `EdgeConnectionHandler` first in every client connection's pipeline (see `EdgeHTTP1Channel`) takes the requests
/// whose host routes to a service and relays them over keep-alive upstream connections, pooled per event loop;
/// every other request goes on to Hummingbird. Bodies stream both ways with back-pressure, hop-by-hop headers stay
/// behind and `X-Forwarded-*` are added (see `ProxyHeaders`).
public final class ServiceProxy: Sendable {
    /// Timeouts of the upstream connections.
    public struct Configuration: Sendable {
        /// How long the upstream may take to send its response head once the request has been sent: then the
        /// client gets a 504. Streaming the body afterwards has no time limit.
        public var responseHeadTimeout: Duration
        /// How long opening a connection to the upstream may take (on loopback a refusal is immediate).
        public var connectTimeout: Duration
        /// How long an unused upstream connection stays open in its pool.
        public var idleConnectionTimeout: Duration

        /// The defaults: 60 s for the response head, 5 s to connect, 60 s idle.
        public init(
            responseHeadTimeout: Duration = .seconds(60),
            connectTimeout: Duration = .seconds(5),
            idleConnectionTimeout: Duration = .seconds(60)
        ) {
            self.responseHeadTimeout = responseHeadTimeout
            self.connectTimeout = connectTimeout
            self.idleConnectionTimeout = idleConnectionTimeout
        }
    }

    /// The timeouts it was made with.
    public let configuration: Configuration
    /// The limits of client connections (their heads, their idle time, how many per address).
    public let clientLimits: ClientConnectionLimits
    /// The open client connections by address, for `clientLimits.maximumConnectionsPerAddress`.
    let clientConnections: ClientConnectionCounter
    /// The mark on every request relayed to a service, by which a request that comes back is known (508).
    let forwardingMark = ForwardingMark()
    /// The install's domain, normalised like a request's host.
    let domain: String
    let routes: RouteTable
    let endpoints: ServiceEndpoints
    /// Opens the connections to service processes.
    let upstreamConnector: UpstreamConnector
    /// Static builds answered at the connection level (`StaticFront`); nil leaves every static request to Hummingbird.
    public let staticSites: StaticSites?
    /// The HTTPS settings (certificates, HSTS, the HTTPS port for redirects); nil: plain HTTP only.
    public let https: EdgeHTTPS?
    /// The ACME HTTP-01 and TLS-ALPN-01 challenges the edge answers; nil: none.
    public let acmeChallenges: ACMEChallenges?
    /// The request figures of the edge; nil: metrics off (nothing is measured).
    public let metrics: EdgeMetrics?
    private let pools: [ObjectIdentifier: NIOLoopBoundBox<UpstreamConnectionPool?>]

    /// Creates the proxy for the service routes of `routes` under `domain`, with one connection pool for each loop
    /// of `eventLoopGroup` (the group the HTTP server runs on; Hummingbird's default is the singleton); `clientLimits`
    /// hold for every client connection, proxied or not.
    public convenience init(
        domain: String,
        routes: RouteTable,
        endpoints: ServiceEndpoints,
        configuration: Configuration = Configuration(),
        clientLimits: ClientConnectionLimits = ClientConnectionLimits(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        staticSites: StaticSites? = nil,
        https: EdgeHTTPS? = nil,
        acmeChallenges: ACMEChallenges? = nil,
        metrics: EdgeMetrics? = nil
    ) {
        self.init(
            domain: domain, routes: routes, endpoints: endpoints, configuration: configuration, clientLimits: clientLimits,
            eventLoopGroup: eventLoopGroup, upstreamConnector: .sockets, staticSites: staticSites, https: https, acmeChallenges: acmeChallenges,
            metrics: metrics)
    }

    /// The proxy with the connections to service processes opened by `upstreamConnector` (a test's channels).
    init(
        domain: String,
        routes: RouteTable,
        endpoints: ServiceEndpoints,
        configuration: Configuration = Configuration(),
        clientLimits: ClientConnectionLimits = ClientConnectionLimits(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        upstreamConnector: UpstreamConnector,
        staticSites: StaticSites? = nil,
        https: EdgeHTTPS? = nil,
        acmeChallenges: ACMEChallenges? = nil,
        metrics: EdgeMetrics? = nil
    ) {
        self.metrics = metrics
        self.upstreamConnector = upstreamConnector
        self.staticSites = staticSites
        self.https = https
        self.acmeChallenges = acmeChallenges
        self.domain = EdgeHost.normalized(domain)
        self.routes = routes
        self.endpoints = endpoints
        self.configuration = configuration
        self.clientLimits = clientLimits
        self.clientConnections = ClientConnectionCounter(maximum: clientLimits.maximumConnectionsPerAddress)
        var pools: [ObjectIdentifier: NIOLoopBoundBox<UpstreamConnectionPool?>] = [:]
        for loop in eventLoopGroup.makeIterator() {
            pools[ObjectIdentifier(loop)] = .makeEmptyBox(valueType: UpstreamConnectionPool.self, eventLoop: loop)
        }
        self.pools = pools
    }

    /// The handler for one client connection's pipeline (first, before NIO's HTTP/1 server codecs, after TLS when
    /// `secure`); `http1Handlers` adds Hummingbird's handlers after it, when the first request for Hummingbird comes.
    public func makeHandler(
        secure: Bool = false,
        http1Handlers: @escaping (EdgeConnectionHandler, ChannelPipeline.SynchronousOperations) throws -> Void
    ) -> EdgeConnectionHandler {
        EdgeConnectionHandler(proxy: self, secure: secure, http1Handlers: http1Handlers)
    }

    /// The host name a route key answers to (`app` → `app.localhost`), for error pages.
    func hostName(_ key: String) -> String { key + "." + domain }

    /// The connection pool of `eventLoop`, which the caller runs on; a loop outside the group gets a pool of its
    /// own for each caller.
    func pool(on eventLoop: any EventLoop) -> UpstreamConnectionPool {
        guard let box = pools[ObjectIdentifier(eventLoop)] else { return makePool(on: eventLoop) }
        if let pool = box.value { return pool }
        let pool = makePool(on: eventLoop)
        box.value = pool
        return pool
    }

    private func makePool(on eventLoop: any EventLoop) -> UpstreamConnectionPool {
        UpstreamConnectionPool(
            eventLoop: eventLoop, connectTimeout: TimeAmount(configuration.connectTimeout),
            idleTimeout: TimeAmount(configuration.idleConnectionTimeout), connector: upstreamConnector)
    }
}
