import Hummingbird
import SlipwayCore

/// The one responder of the server: requests for `<labels>.<domain>` go to the deployment the route table names,
/// everything else (the bare domain, an IP address, an unknown host, no host) goes to the API.
public struct HostDispatcher<API: HTTPResponder>: HTTPResponder where API.Context: RequestContext {
    /// The request context is the API's own.
    public typealias Context = API.Context

    /// The install's domain, lower case, without a trailing dot (`localhost`, `slipway.example.com`).
    public let domain: String
    let routes: RouteTable
    let layout: DataLayout
    let api: API
    let siteServer: StaticSiteServer
    let endpoints: ServiceEndpoints
    let proxy: ReverseProxy

    /// Creates the dispatcher; `siteServer` serves the builds of static deployments, `proxy` forwards requests
    /// for service deployments to the port `endpoints` knows for their running process. The default proxy shuts
    /// its client down only when dropped: a server passes its own and runs it as a `Service`.
    public init(
        domain: String,
        routes: RouteTable,
        layout: DataLayout,
        api: API,
        siteServer: StaticSiteServer = StaticSiteServer(),
        endpoints: ServiceEndpoints = ServiceEndpoints(),
        proxy: ReverseProxy = ReverseProxy()
    ) {
        self.domain = Self.normalizedHost(domain)
        self.routes = routes
        self.layout = layout
        self.api = api
        self.siteServer = siteServer
        self.endpoints = endpoints
        self.proxy = proxy
    }

    /// Sends the request to a deployment's files, the "no deployment" page, or the API, by its host.
    public func respond(to request: Request, context: Context) async throws -> Response {
        let destination: Destination
        do {
            destination = try destinationOf(request)
        } catch {
            return EdgePage.response(.badRequest, html: EdgePage.multipleHosts, for: request)
        }
        guard case .deployment(let key) = destination else {
            return try await api.respond(to: request, context: context)
        }
        guard let target = routes.target(for: key) else {
            return EdgePage.response(.notFound, html: EdgePage.noDeployment(host: key + "." + domain), for: request)
        }
        switch target.kind {
        case .static:
            return try await siteServer.respond(to: request, root: layout.buildDirectory(target.buildID), context: context)
        case .service:
            // A service's build holds its code: never served as files, only proxied to its process.
            return await proxyToService(request, target: target, key: key, context: context)
        }
    }

    /// Forwards a request for a service deployment to its running process, counted in flight while it lasts.
    private func proxyToService(_ request: Request, target: RouteTarget, key: String, context: Context) async -> Response {
        let host = key + "." + domain
        guard !ProxyHeaders.asksForUpgrade(request.headers) else {
            return EdgePage.response(.notImplemented, html: EdgePage.upgradeNotSupported, for: request)
        }
        var deploymentID = target.deploymentID
        var port = endpoints.beginRequest(to: deploymentID)
        if port == nil, let current = routes.target(for: key), current.deploymentID != deploymentID, current.kind == .service {
            // The route switched while this request was on its way and the old process is already draining:
            // the new one answers it.
            deploymentID = current.deploymentID
            port = endpoints.beginRequest(to: deploymentID)
        }
        guard let port else {
            return EdgePage.response(.badGateway, html: EdgePage.serviceNotRunning(host: host), for: request)
        }
        let inFlight = InFlightRequest(endpoints: endpoints, deploymentID: deploymentID)
        let clientAddress = (context as? any RemoteAddressRequestContext)?.remoteAddress?.ipAddress
        return await proxy.forward(request, toPort: port, inFlight: inFlight, clientAddress: clientAddress, host: host)
    }

    /// Where a request goes.
    enum Destination: Equatable {
        /// The API and dashboard.
        case api
        /// A deployment, by the labels in front of the domain (`hello`, `1a2b3c4d.hello`).
        case deployment(String)
    }

    /// A request with more than one `Host` line, which RFC 9112 §3.2 says to refuse with 400.
    struct AmbiguousHost: Error {}

    /// Where `request` goes, by its `Host` header or, without one (HTTP/2), its `:authority`.
    func destinationOf(_ request: Request) throws(AmbiguousHost) -> Destination {
        let hostLines = request.headers[values: Self.hostField]
        guard hostLines.count <= 1 else { throw AmbiguousHost() }
        guard let rawHost = hostLines.first ?? request.head.authority else { return .api }
        let host = Self.normalizedHost(rawHost)
        let suffix = "." + domain
        guard host.count > suffix.count, host.hasSuffix(suffix) else { return .api }
        return .deployment(String(host.dropLast(suffix.count)))
    }

    /// `Host` (HTTPTypes marks `.host` unavailable to push `authority`, but HTTP/1 requests carry the header).
    private static var hostField: HTTPFields.Element.Name { HTTPFields.Element.Name("Host")! }

    /// A host (or authority) without its port, without a trailing dot, in lower case: `Hello.LocalHost.:8080` → `hello.localhost`.
    static func normalizedHost(_ authority: String) -> String {
        var host = Substring(authority.trimmingWhitespace)
        if let at = host.lastIndex(of: "@") { host = host[host.index(after: at)...] }
        if host.hasPrefix("[") {
            // An IPv6 literal: `[::1]:8080`.
            if let close = host.firstIndex(of: "]") { host = host[...close] }
        } else if let colon = host.firstIndex(of: ":") {
            host = host[..<colon]
        }
        while host.hasSuffix(".") { host = host.dropLast() }
        return host.lowercased()
    }
}
