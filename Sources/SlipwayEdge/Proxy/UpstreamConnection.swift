import NIOCore
import SlipwayCore

/// What an upstream connection reports to the exchange that uses it (a `ProxyExchange` of the client connection's
/// `EdgeConnectionHandler`), all on their shared event loop.
protocol UpstreamResponseReceiver: AnyObject {
    /// Whether the client's connection takes more bytes now: while it does not, the upstream is not read.
    var clientIsWritable: Bool { get }
    /// Bytes of the upstream's response, as they came.
    func upstreamRead(_ bytes: ByteBuffer)
    /// The end of one batch of reads: time to flush what was written to the client.
    func upstreamReadComplete()
    /// The upstream connection takes more bytes again (or no longer does).
    func upstreamWritabilityChanged()
    /// The upstream connection closed (`cleanly`: at the process's end, not on an error such as a reset).
    func upstreamClosed(cleanly: Bool)
}

/// One keep-alive HTTP/1.1 connection to a service process, the only handler of its channel's pipeline: bytes in,
/// bytes out. It belongs to one event loop's `UpstreamConnectionPool`, and serves one exchange at a time: it writes
/// the request's bytes and hands the response's bytes to its `receiver`, reading no further while the client
/// cannot take them.
final class UpstreamConnection: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Where the service process listens.
    let address: ServiceAddress
    /// The exchange the connection serves now; nil while it waits in the pool (the pool and the connection's
    /// closing let go of it).
    var receiver: (any UpstreamResponseReceiver)?
    /// When the connection last went back to the pool, by its event loop's clock.
    var idleSince = NIODeadline.distantPast
    /// Called once when the channel closes (the pool forgets the connection).
    var onClose: ((UpstreamConnection) -> Void)?
    private var context: ChannelHandlerContext?
    private var readPending = false
    private var isClosed = false

    init(address: ServiceAddress) {
        self.address = address
    }

    /// Whether the connection is open and can carry a request.
    var isUsable: Bool { !isClosed && (context?.channel.isActive ?? false) }

    /// Whether the connection takes more bytes now.
    var isWritable: Bool { context?.channel.isWritable ?? false }

    /// Whether the connection came out of the pool (the process may have closed it meanwhile).
    var wasReused = false

    /// Writes bytes of the request (flushed by `flush()`).
    func write(_ bytes: ByteBuffer) {
        context?.write(wrapOutboundOut(bytes), promise: nil)
    }

    /// Sends what has been written.
    func flush() {
        context?.flush()
    }

    /// Closes the connection (it is then never reused).
    func close() {
        guard !isClosed else { return }
        isClosed = true
        context?.close(promise: nil)
    }

    /// Reads again if a read was held back while the client could not take more.
    func resumeReading() {
        guard readPending, let context else { return }
        readPending = false
        context.read()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let receiver else {
            // A connection in the pool has nothing to say: whatever it sends makes it unusable.
            close()
            return
        }
        receiver.upstreamRead(unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        receiver?.upstreamReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        receiver?.upstreamWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        isClosed = true
        let receiver = self.receiver
        self.receiver = nil
        receiver?.upstreamClosed(cleanly: true)
        onClose?(self)
        onClose = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let receiver = self.receiver
        self.receiver = nil
        receiver?.upstreamClosed(cleanly: false)
        close()
    }

    func read(context: ChannelHandlerContext) {
        if let receiver, !receiver.clientIsWritable {
            readPending = true
        } else {
            context.read()
        }
    }
}
