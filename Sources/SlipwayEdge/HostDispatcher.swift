public import Hummingbird
public import SlipwayCore

/// The one responder of the server: requests for `<labels>.<domain>` and for custom domains go to the deployment the
/// route table names, everything else (the bare domain, an IP address, an unknown host, no host) goes to the API.
public struct HostDispatcher<API: HTTPResponder>: HTTPResponder where API.Context: RequestContext {
    /// The request context is the API's own.
    public typealias Context = API.Context

    /// The install's domain, lower case, without a trailing dot (`localhost`, `slipway.example.com`).
    public let domain: String
    let routes: RouteTable
    let layout: DataLayout
    let api: API
    let siteServer: StaticSiteServer
    /// The request figures of the edge; nil: metrics off.
    let metrics: EdgeMetrics?

    /// Creates the dispatcher; `siteServer` serves the builds of static deployments. Requests for service
    /// deployments never reach it on a server built with `HTTPServerBuilder.edge(proxy:)`: the `ServiceProxy`
    /// relays them before Hummingbird sees them.
    public init(
        domain: String,
        routes: RouteTable,
        layout: DataLayout,
        api: API,
        siteServer: StaticSiteServer = StaticSiteServer(),
        metrics: EdgeMetrics? = nil
    ) {
        self.metrics = metrics
        self.domain = EdgeHost.normalized(domain)
        self.routes = routes
        self.layout = layout
        self.api = api
        self.siteServer = siteServer
    }

    /// Sends the request to a deployment's files, the "no deployment" page, or the API, by its host; counted in
    /// `metrics` (kind `api` or `static`) when they are on.
    public func respond(to request: Request, context: Context) async throws -> Response {
        guard let metrics else { return try await route(request, context: context).response }
        let start = EdgeMetrics.now()
        var kind = EdgeMetrics.Kind.api
        do {
            let (response, answeredKind) = try await route(request, context: context)
            kind = answeredKind
            metrics.record(kind, status: Int(response.status.code), since: start, bytes: response.body.contentLength ?? 0)
            return response
        } catch {
            metrics.record(kind, status: Int((error as? any HTTPResponseError)?.status.code ?? 500), since: start, bytes: 0)
            throw error
        }
    }

    /// The answer to the request, and what kind of request it was.
    private func route(_ request: Request, context: Context) async throws -> (response: Response, kind: EdgeMetrics.Kind) {
        let destination: Destination
        do {
            destination = try destinationOf(request)
        } catch {
            return (EdgePage.response(.badRequest, html: EdgePage.multipleHosts, for: request), .api)
        }
        guard case .deployment(let key) = destination else {
            return (try await api.respond(to: request, context: context), .api)
        }
        guard let target = routes.target(for: key) else {
            return (EdgePage.response(.notFound, html: EdgePage.noDeployment(host: key + "." + domain), for: request), .static)
        }
        switch target.kind {
        case .static:
            return (try await siteServer.respond(to: request, root: layout.buildDirectory(target.buildID), context: context), .static)
        case .service:
            // A service's build holds its code: never served as files, only proxied to its process, which only
            // `ServiceProxy` does. A server without it in its pipeline cannot reach the process.
            return (EdgePage.response(.badGateway, html: EdgePage.upstreamUnavailable(host: key + "." + domain), for: request), .proxy)
        }
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
        return EdgeHost.routeKey(of: rawHost, domain: domain, routes: routes).map(Destination.deployment) ?? .api
    }

    /// `Host` (HTTPTypes marks `.host` unavailable to push `authority`, but HTTP/1 requests carry the header).
    private static var hostField: HTTPFields.Element.Name { HTTPFields.Element.Name("Host")! }
}
