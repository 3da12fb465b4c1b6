import NIOCore
import NIOHTTP1

/// Between an HTTP/2 stream's request and response parts (NIO's `HTTP2FramePayloadToHTTP1ServerCodec`) and the
/// stream's `EdgeConnectionHandler`, which reads and writes HTTP/1.1 bytes. Inbound, the request is written as an
/// HTTP/1.1 request (its cookies in one field, a body of unknown length chunked). Outbound, the bytes the edge writes
/// (its own pages, the static front's files, a service's relayed response) are read back into a head and body parts:
/// the HTTP/1-only fields go (`Connection`, `Transfer-Encoding`, …), chunks are unwrapped, interim `1xx` heads are
/// dropped. Hummingbird's answers come as parts already (`HummingbirdResponseDiverter`). The edge closing the
/// connection after a complete response leaves the stream to end by itself; before, it resets the stream.
final class HTTP2StreamBridge: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = HTTPServerResponsePart

    /// The longest response head read back (the edge's own heads and a service's, which the relay has read already).
    static let maximumHeadLength = 64 << 10

    private enum Response {
        /// The head's bytes so far.
        case head(ByteBuffer)
        case body(ResponseBody)
        case ended
    }

    private enum ResponseBody {
        case length(remaining: Int)
        case chunked(ChunkedBodyDecoder)
        case untilClose
    }

    private var context: ChannelHandlerContext?
    /// The request's head, held until it is known whether a body follows.
    private var pendingHead: HTTPRequestHead?
    private var requestIsChunked = false
    private var requestIsHEAD = false
    private var requestEnded = false
    private var response = Response.head(ByteBuffer())

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    // MARK: - The request, as HTTP/1.1 bytes

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            requestIsHEAD = head.method == .HEAD
            pendingHead = head
        case .body(let body):
            if let head = pendingHead {
                pendingHead = nil
                requestIsChunked = !head.headers.contains(name: "content-length")
                guard sendHead(head, chunked: requestIsChunked, context: context) else { return }
            }
            guard body.readableBytes > 0 else { return }
            if requestIsChunked {
                var chunk = ByteBuffer()
                chunk.writeString(String(body.readableBytes, radix: 16))
                chunk.writeStaticString("\r\n")
                chunk.writeImmutableBuffer(body)
                chunk.writeStaticString("\r\n")
                context.fireChannelRead(wrapInboundOut(chunk))
            } else {
                context.fireChannelRead(wrapInboundOut(body))
            }
        case .end:
            requestEnded = true
            if let head = pendingHead {
                pendingHead = nil
                _ = sendHead(head, chunked: false, context: context)
            } else if requestIsChunked {
                context.fireChannelRead(wrapInboundOut(ByteBuffer(staticString: "0\r\n\r\n")))
            }
        }
    }

    /// Writes the request's head as HTTP/1.1; false (and the stream is reset) when it cannot be written as one.
    private func sendHead(_ head: HTTPRequestHead, chunked: Bool, context: ChannelHandlerContext) -> Bool {
        guard let bytes = Self.requestHead(head, chunked: chunked) else {
            context.close(promise: nil)
            return false
        }
        context.fireChannelRead(wrapInboundOut(bytes))
        return true
    }

    /// `head` as HTTP/1.1 bytes, `Transfer-Encoding: chunked` added when `chunked`; nil when a part of it would not
    /// stay one token or one line (NIO's HTTP/2 handler checks fields already; this keeps the edge's parser safe from
    /// whatever it lets through).
    static func requestHead(_ head: HTTPRequestHead, chunked: Bool) -> ByteBuffer? {
        guard !head.uri.isEmpty, head.uri.utf8.allSatisfy({ $0 > 0x20 && $0 != 0x7F }),
            head.method.rawValue.utf8.allSatisfy({ HTTP1Syntax.isTokenCharacter($0) })
        else { return nil }
        var bytes = ByteBuffer()
        bytes.writeString(head.method.rawValue)
        bytes.writeStaticString(" ")
        bytes.writeString(head.uri)
        bytes.writeStaticString(" HTTP/1.1\r\n")
        var cookies: [String] = []
        for (name, value) in head.headers {
            guard !name.isEmpty, name.utf8.allSatisfy({ HTTP1Syntax.isTokenCharacter($0) }),
                value.utf8.allSatisfy({ $0 != 0x0D && $0 != 0x0A && $0 != 0 })
            else { return nil }
            switch name.lowercased() {
            case "cookie":
                // RFC 9113 §8.2.3: HTTP/2 may split `Cookie` into several fields; HTTP/1.1 has one.
                cookies.append(value)
                continue
            case "transfer-encoding":
                // NIO's conversion adds `chunked` for a body of unknown length; the framing is decided here.
                continue
            default:
                break
            }
            bytes.writeString(name)
            bytes.writeStaticString(": ")
            bytes.writeString(value)
            bytes.writeStaticString("\r\n")
        }
        if !cookies.isEmpty {
            bytes.writeStaticString("cookie: ")
            bytes.writeString(cookies.joined(separator: "; "))
            bytes.writeStaticString("\r\n")
        }
        if chunked { bytes.writeStaticString("transfer-encoding: chunked\r\n") }
        bytes.writeStaticString("\r\n")
        return bytes
    }

    // MARK: - The response, read back from HTTP/1.1 bytes

    /// A part of Hummingbird's response to the stream's request.
    func writeResponsePart(_ part: HTTPServerResponsePart, promise: EventLoopPromise<Void>?) {
        guard let context else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        if case .end = part { response = .ended }
        context.write(wrapOutboundOut(part), promise: promise)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .byteBuffer(var bytes) = unwrapOutboundIn(data) else {
            // `FileRegionReader` before this handler reads files into buffers.
            promise?.fail(ChannelError.operationUnsupported)
            return
        }
        var parts: [HTTPServerResponsePart] = []
        do {
            try read(&bytes, into: &parts)
        } catch {
            promise?.fail(error)
            context.close(promise: nil)
            return
        }
        guard let last = parts.popLast() else {
            promise?.succeed(())
            return
        }
        for part in parts { context.write(wrapOutboundOut(part), promise: nil) }
        context.write(wrapOutboundOut(last), promise: promise)
    }

    /// Reads the response parts in `bytes`, as far as they go.
    private func read(_ bytes: inout ByteBuffer, into parts: inout [HTTPServerResponsePart]) throws {
        while true {
            switch response {
            case .ended:
                return
            case .head(var buffer):
                guard bytes.readableBytes > 0 else { return }
                buffer.writeBuffer(&bytes)
                switch ResponseHead.scan(buffer) {
                case .incomplete:
                    guard buffer.readableBytes <= Self.maximumHeadLength else { throw UnreadableResponse() }
                    response = .head(buffer)
                    return
                case .invalid:
                    throw UnreadableResponse()
                case .complete(let head):
                    let headBytes = buffer.readSlice(length: head.length)!
                    bytes = buffer
                    response = .head(ByteBuffer())
                    // An interim head (`100 Continue`): HTTP/2 clients do not wait for one.
                    if head.status < 200 { continue }
                    guard let framing = head.bodyFraming(forHEAD: requestIsHEAD) else { throw UnreadableResponse() }
                    parts.append(
                        .head(HTTPResponseHead(version: .http1_1, status: .init(statusCode: head.status), headers: Self.fields(headBytes, head))))
                    if framing.isComplete {
                        parts.append(.end(nil))
                        response = .ended
                    } else if framing.isChunked {
                        response = .body(.chunked(ChunkedBodyDecoder()))
                    } else if framing.endsWithConnection {
                        response = .body(.untilClose)
                    } else {
                        response = .body(.length(remaining: head.contentLength ?? 0))
                    }
                }
            case .body(let body):
                guard bytes.readableBytes > 0 else { return }
                switch body {
                case .length(let remaining):
                    let count = min(remaining, bytes.readableBytes)
                    parts.append(.body(.byteBuffer(bytes.readSlice(length: count)!)))
                    if count == remaining {
                        parts.append(.end(nil))
                        response = .ended
                    } else {
                        response = .body(.length(remaining: remaining - count))
                    }
                case .chunked(var decoder):
                    for data in try decoder.decode(&bytes) { parts.append(.body(.byteBuffer(data))) }
                    if decoder.isComplete {
                        parts.append(.end(nil))
                        response = .ended
                    } else {
                        response = .body(.chunked(decoder))
                    }
                case .untilClose:
                    parts.append(.body(.byteBuffer(bytes)))
                    bytes.moveReaderIndex(to: bytes.writerIndex)
                }
            }
        }
    }

    /// The fields of a response head, without those HTTP/2 has no place for (RFC 9113 §8.2.2) and the framing ones.
    private static func fields(_ headBytes: ByteBuffer, _ head: ResponseHead) -> HTTPHeaders {
        var headers = HTTPHeaders()
        headBytes.withUnsafeReadableBytes { bytes in
            _ = HTTP1Syntax.forEachField(bytes, from: head.startLineEnd + 2, to: head.length) { name, value, _ in
                for dropped in droppedFields where HTTP1Syntax.namesEqual(bytes, name, dropped) { return }
                headers.add(
                    name: String(decoding: UnsafeRawBufferPointer(rebasing: bytes[name]), as: UTF8.self).lowercased(),
                    value: String(decoding: UnsafeRawBufferPointer(rebasing: bytes[value]), as: UTF8.self))
            }
        }
        return headers
    }

    private static let droppedFields: [StaticString] = ["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"]

    /// The edge closes its side: once the response is complete (or ends with the connection) the stream ends by
    /// itself; a response cut short resets it.
    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if case .body(.untilClose) = response {
            response = .ended
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
        if case .ended = response, requestEnded {
            promise?.succeed(())
            return
        }
        context.close(mode: mode, promise: promise)
    }
}

/// A response the edge wrote that is not HTTP/1.1 (never expected: the edge's heads are its own, a service's have been
/// read by the relay already).
struct UnreadableResponse: Error {}

/// Reads a chunked body (RFC 9112 §7.1) and gives back its data without the chunk framing; the trailers are dropped.
/// The framing is followed by the relay's own `ChunkedBodyScanner`.
struct ChunkedBodyDecoder {
    private var scanner = ChunkedBodyScanner()

    /// Whether the last chunk and the trailers have been read.
    var isComplete: Bool { scanner.isComplete }

    /// Reads on through `buffer` up to the body's end; returns the data read.
    mutating func decode(_ buffer: inout ByteBuffer) throws(MalformedChunks) -> [ByteBuffer] {
        var runs: [Range<Int>] = []
        let used: Int
        do {
            used = try buffer.withUnsafeReadableBytes { bytes in try scanner.scan(bytes) { runs.append($0) } }
        } catch {
            throw MalformedChunks()
        }
        let data = runs.map { buffer.getSlice(at: buffer.readerIndex + $0.lowerBound, length: $0.count)! }
        buffer.moveReaderIndex(forwardBy: used)
        return data
    }
}
