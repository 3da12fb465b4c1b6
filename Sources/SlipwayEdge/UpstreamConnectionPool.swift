import NIOCore
import NIOHTTP1
import NIOPosix

/// The keep-alive connections of one event loop to the service processes, by port. Only that loop touches it:
/// no locks. A connection comes out for one exchange and goes back when the exchange has ended cleanly (the
/// response said nothing of closing and the request was sent whole); otherwise it is closed. Connections unused
/// for `idleTimeout` are closed.
final class UpstreamConnectionPool {
    private let eventLoop: any EventLoop
    private let connectTimeout: TimeAmount
    private let idleTimeout: TimeAmount
    private var idle: [Int: [UpstreamConnection]] = [:]

    init(eventLoop: any EventLoop, connectTimeout: TimeAmount, idleTimeout: TimeAmount) {
        self.eventLoop = eventLoop
        self.connectTimeout = connectTimeout
        self.idleTimeout = idleTimeout
    }

    /// Calls `completion` (on the loop) with an idle connection to `127.0.0.1:<port>`, or a new one, or the error
    /// of connecting.
    func connection(to port: Int, _ completion: @escaping (Result<UpstreamConnection, any Error>) -> Void) {
        while let connection = idle[port]?.popLast() {
            connection.idleTimer?.cancel()
            connection.idleTimer = nil
            if connection.isUsable {
                completion(.success(connection))
                return
            }
        }
        let connected = ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(UpstreamConnection(port: port))
                }
            }
            .connect(host: "127.0.0.1", port: port)
        connected.assumeIsolated().whenComplete { result in
            completion(
                result.flatMap { channel in
                    Result { try channel.pipeline.syncOperations.handler(type: UpstreamConnection.self) }
                })
        }
    }

    /// Takes a connection back after an exchange: kept for the next one when `reusable`, closed otherwise.
    func release(_ connection: UpstreamConnection, reusable: Bool) {
        connection.receiver = nil
        guard reusable, connection.isUsable else {
            connection.close()
            return
        }
        idle[connection.port, default: []].append(connection)
        connection.onClose = { [weak self] closed in self?.forget(closed) }
        connection.idleTimer = eventLoop.assumeIsolated().scheduleTask(in: idleTimeout) { [weak connection] in
            connection?.close()
        }
    }

    /// Drops a connection that has closed from the idle ones.
    private func forget(_ connection: UpstreamConnection) {
        idle[connection.port]?.removeAll { $0 === connection }
    }
}
