public import Hummingbird
public import HummingbirdCore
public import Logging
public import NIOCore
import NIOHTTP1
public import NIOPosix
public import ServiceLifecycle

/// The edge's HTTPS listener as a service of the group, beside Hummingbird's plain HTTP server: the same responder
/// and proxy behind `EdgeTLSChannel`, every answer with `Date` and `Server` as Hummingbird's application writes them.
/// Once bound, it tells `https` its port (the plain listener's redirects use it).
public struct EdgeHTTPSServer: Service {
    private let server: any Service

    /// A listener on `address` answering with `responder` (Hummingbird's `Application` does the same for plain HTTP).
    public init<Responder: HTTPResponder>(
        responder: Responder,
        proxy: ServiceProxy,
        https: EdgeHTTPS,
        address: BindAddress,
        serverName: String? = nil,
        configuration: HTTP1Channel.Configuration = .init(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "slipway.https"),
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws where Responder.Context: InitializableFromSource<ApplicationRequestContextSource> {
        self.server = try HTTPServerBuilder.edgeTLS(proxy: proxy, https: https, configuration: configuration).buildServer(
            configuration: ServerConfiguration(address: address, serverName: serverName),
            eventLoopGroup: eventLoopGroup,
            logger: logger,
            responder: { request, responseWriter, channel in
                let context = Responder.Context(source: .init(channel: channel, logger: logger))
                var response: Response
                do {
                    response = try await responder.respond(to: request, context: context)
                } catch let error as HTTPParserError {
                    throw error
                } catch {
                    logger.debug("Unrecognised Error", metadata: ["error.type": "\(error)"])
                    response = Response(status: .internalServerError, body: .init())
                }
                response.headers[.date] = String(DateLine.now().dropFirst(6).dropLast(2))
                if let serverName { response.headers[.server] = serverName }
                do {
                    try await responseWriter.write(response: response.head, body: response.body)
                } catch is HTTPParserError {
                    // A second response would follow the parser's error: the channel says it instead.
                    throw ResponseWriteFailed()
                }
            },
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                https.listening(on: port)
                await onServerRunning(port)
            }
        )
    }

    /// A request body that turned out malformed while the response was written: the connection closes (Hummingbird's
    /// own error for this is not public).
    struct ResponseWriteFailed: Error {}

    /// Listens until graceful shutdown, as Hummingbird's server does.
    public func run() async throws {
        try await server.run()
    }
}
