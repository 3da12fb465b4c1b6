import NIOCore
import NIOHTTP1

/// Refuses with 400, and closes the connection, a request that NIO's decoder read with more than one `Host` line
/// (RFC 9112 §3.2). `EdgeConnectionHandler` refuses these itself; this catches the requests it leaves to NIO's
/// decoder whole (a head longer than it reads, say). Hummingbird could not: NIO's conversion to HTTPTypes makes the
/// first `Host` the authority and keeps the others as plain headers. Right after NIO's decoder, before
/// `PassedResponseObserver`: nothing of the refused request reaches Hummingbird.
final class DuplicateHostFilter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// A request was refused: the rest of it, and of the connection, is dropped.
    private var refused = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refused else { return }
        if case .head(let head) = unwrapInboundIn(data), head.headers["Host"].count > 1 {
            refused = true
            let page = ByteBuffer(string: EdgePage.multipleHosts)
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "text/html; charset=utf-8")
            headers.add(name: "Content-Length", value: String(page.readableBytes))
            headers.add(name: "Connection", value: "close")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .badRequest, headers: headers))), promise: nil)
            if head.method != .HEAD { context.write(wrapOutboundOut(.body(.byteBuffer(page))), promise: nil) }
            context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            return
        }
        context.fireChannelRead(data)
    }
}
