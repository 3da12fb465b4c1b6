import NIOCore
import NIOHTTP1

/// What an upstream connection reports to the exchange that uses it (the client connection's `ServiceProxyHandler`),
/// all on their shared event loop.
protocol UpstreamResponseReceiver: AnyObject {
    /// Whether the client's connection takes more bytes now: while it does not, the upstream is not read.
    var clientIsWritable: Bool { get }
    /// A part of the upstream's response.
    func upstreamRead(_ part: HTTPClientResponsePart)
    /// The end of one batch of reads: time to flush what was written to the client.
    func upstreamReadComplete()
    /// The upstream connection takes more bytes again (or no longer does).
    func upstreamWritabilityChanged()
    /// The upstream connection failed or closed.
    func upstreamFailed()
}

/// One keep-alive HTTP/1.1 connection to a service process, the last handler of its channel's pipeline (after NIO's
/// client codecs). It belongs to one event loop's `UpstreamConnectionPool`, and serves one exchange at a time:
/// it writes the request's parts and hands the response's parts to its `receiver`, reading no further while the
/// client cannot take them.
final class UpstreamConnection: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    /// The service process's port.
    let port: Int
    /// The exchange the connection serves now; nil while it waits in the pool.
    weak var receiver: (any UpstreamResponseReceiver)?
    /// When the connection last went back to the pool.
    var idleSince = NIODeadline.now()
    /// Called once when the channel closes (the pool forgets the connection).
    var onClose: ((UpstreamConnection) -> Void)?
    private var context: ChannelHandlerContext?
    private var readPending = false
    private var isClosed = false

    init(port: Int) {
        self.port = port
    }

    /// Whether the connection is open and can carry a request.
    var isUsable: Bool { !isClosed && (context?.channel.isActive ?? false) }

    /// Whether the connection takes more bytes now.
    var isWritable: Bool { context?.channel.isWritable ?? false }

    /// Writes a part of the request (flushed by `flush()`).
    func write(_ part: HTTPClientRequestPart) {
        context?.write(wrapOutboundOut(part), promise: nil)
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
        let part = unwrapInboundIn(data)
        guard let receiver else {
            // A connection in the pool has nothing to say: whatever it sends makes it unusable.
            close()
            return
        }
        receiver.upstreamRead(part)
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
        receiver?.upstreamFailed()
        onClose?(self)
        onClose = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let receiver = self.receiver
        self.receiver = nil
        receiver?.upstreamFailed()
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
