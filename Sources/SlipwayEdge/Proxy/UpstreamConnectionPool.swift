import NIOCore
import SlipwayCore

/// The keep-alive connections of one event loop to the service processes, by address (port and namespace). Only that loop touches it:
/// no locks. A connection comes out for one exchange and goes back when the exchange has ended cleanly (the
/// response said nothing of closing and the request was sent whole); otherwise it is closed. Connections unused
/// for `idleTimeout` (by the loop's clock) are closed.
final class UpstreamConnectionPool {
    private let eventLoop: any EventLoop
    private let connectTimeout: TimeAmount
    private let idleTimeout: TimeAmount
    private let connector: UpstreamConnector
    private var idle: [ServiceAddress: [UpstreamConnection]] = [:]
    /// Closes the connections idle for `idleTimeout`: one timer for the pool, not one per connection (scheduling
    /// and cancelling a timer for every exchange costs more than the rest of the pool's work).
    private var sweep: Scheduled<Void>?

    init(eventLoop: any EventLoop, connectTimeout: TimeAmount, idleTimeout: TimeAmount, connector: UpstreamConnector = .sockets) {
        self.eventLoop = eventLoop
        self.connectTimeout = connectTimeout
        self.idleTimeout = idleTimeout
        self.connector = connector
    }

    /// An idle connection to `address` that is still open (its `wasReused` set), if there is one.
    func idleConnection(to address: ServiceAddress) -> UpstreamConnection? {
        while let connection = idle[address]?.popLast() {
            if connection.isUsable {
                connection.wasReused = true
                return connection
            }
        }
        return nil
    }

    /// Calls `completion` (on the loop) with a new connection to `address`, or the error of connecting.
    func newConnection(to address: ServiceAddress, _ completion: @escaping (Result<UpstreamConnection, any Error>) -> Void) {
        let connected = connector.connect(address, .exchange, eventLoop, connectTimeout) { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(UpstreamConnection(address: address))
            }
        }
        connected.assumeIsolated().whenComplete { [weak self] result in
            completion(
                result.flatMap { channel in
                    Result {
                        let connection = try channel.pipeline.syncOperations.handler(type: UpstreamConnection.self)
                        connection.onClose = { closed in self?.forget(closed) }
                        return connection
                    }
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
        connection.idleSince = eventLoop.now
        idle[connection.address, default: []].append(connection)
        if sweep == nil { scheduleSweep() }
    }

    /// Sweeps the idle connections a few times per `idleTimeout`, while there are any.
    private func scheduleSweep() {
        sweep = eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(idleTimeout.nanoseconds / 4)) { [weak self] in
            guard let self else { return }
            self.sweep = nil
            let now = self.eventLoop.now
            for connection in self.idle.values.joined() where connection.idleSince + self.idleTimeout <= now {
                connection.close()
            }
            if self.idle.values.contains(where: { !$0.isEmpty }) { self.scheduleSweep() }
        }
    }

    /// Drops a connection that has closed from the idle ones.
    private func forget(_ connection: UpstreamConnection) {
        idle[connection.address]?.removeAll { $0 === connection }
    }
}
