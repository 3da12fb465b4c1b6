import NIOCore
import NIOPosix
import SlipwayCore

/// A protocol upgrade (WebSocket, or any `Upgrade:` but `h2c`) passed through to a service: the request head goes
/// to the process over a connection of its own, and from then on the two connections are spliced byte for byte —
/// the process's `101 Switching Protocols` and every frame after it, both ways — until either side closes.
///
/// On the client's side the relay sits right before the `EdgeConnectionHandler` (first on plain HTTP, after TLS on HTTPS), so the
/// bytes skip it.
enum UpgradeTunnel {
    /// Connects to the process at `address` (through `connector`), sends what `request` gives once connected (the upstream's head and whatever
    /// the client has sent after its own) and splices the connections; `onEnd` runs once when the tunnel closes.
    /// Fails (nothing sent to the client yet) when the process cannot be reached.
    static func open(
        client: ChannelHandlerContext, address: ServiceAddress, connector: UpstreamConnector, request: @escaping () -> ByteBuffer,
        onEnd: @escaping () -> Void
    ) -> EventLoopFuture<Void> {
        let eventLoop = client.eventLoop
        let relays = NIOLoopBound(
            (client: ByteRelay(onEnd: onEnd), upstream: ByteRelay(onEnd: {}), context: client, request: request), eventLoop: eventLoop)
        let connected = connector.connect(address, .tunnel, eventLoop, .seconds(5)) { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(relays.value.upstream)
            }
        }
        return connected.flatMapThrowing { _ in
            let (clientRelay, upstreamRelay, context, request) = relays.value
            // Right before the edge's handler: first on plain HTTP, after the TLS handler on HTTPS.
            try context.pipeline.syncOperations.addHandler(clientRelay, position: .before(context.handler))
            clientRelay.partner = upstreamRelay
            upstreamRelay.partner = clientRelay
            upstreamRelay.write(request())
            upstreamRelay.flush()
            upstreamRelay.read()
            clientRelay.read()
        }
    }
}

/// One side of a splice: what it reads goes to its partner; it reads again only while the partner can take more.
final class ByteRelay: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    var partner: ByteRelay?
    private var context: ChannelHandlerContext?
    private var onEnd: (() -> Void)?
    private var readWaitingForPartner = false

    init(onEnd: @escaping () -> Void) {
        self.onEnd = onEnd
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        partner?.write(unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        partner?.flush()
        if partner?.isWritable ?? false {
            context.read()
        } else {
            readWaitingForPartner = true
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { partner?.resumeReading() }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        end()
        partner?.close()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    var isWritable: Bool { context?.channel.isWritable ?? false }

    func write(_ buffer: ByteBuffer) {
        context?.write(wrapOutboundOut(buffer), promise: nil)
    }

    func flush() {
        context?.flush()
    }

    func read() {
        context?.read()
    }

    func close() {
        guard let context else { return }
        context.flush()
        context.close(promise: nil)
    }

    /// The partner can take more: read again if a read was held back for it.
    private func resumeReading() {
        guard readWaitingForPartner else { return }
        readWaitingForPartner = false
        context?.read()
    }

    private func end() {
        let onEnd = self.onEnd
        self.onEnd = nil
        onEnd?()
        partner?.onEnd?()
        partner?.onEnd = nil
    }
}
