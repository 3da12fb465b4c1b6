import NIOCore

/// Which header lines cross the proxy, in each direction (RFC 9110 §7.6.1), copied byte for byte from one head to
/// the other: hop-by-hop headers and the ones the `Connection` header names stay on their own connection; the
/// upstream learns the client's address, scheme and host through `X-Forwarded-For`, `X-Forwarded-Proto` and
/// `X-Forwarded-Host`. `Transfer-Encoding` and `Content-Length` cross unchanged, because the body does: chunks and all.
enum ProxyHeaders {
    /// What the edge says of the client connection in a response it relays.
    enum ClientConnection {
        /// Nothing: HTTP/1.1 keeps the connection.
        case unsaid
        /// `Connection: keep-alive`, for an HTTP/1.0 client that asked for it.
        case keepAlive
        /// `Connection: close`: the edge closes it after this response.
        case close
    }

    /// The head the process gets for the client's request head `bytes` (read as `head`): the same request line
    /// (method, target, version), the client's header lines minus hop-by-hop ones and `Expect` (the edge answers
    /// `100 Continue` itself), then `X-Forwarded-*` and the edge's `mark` (a client's own `Slipway-Forwarded-By`
    /// lines stay behind). With `keepingUpgrade` (a tunnel), `Upgrade` passes and the head says `Connection: Upgrade`.
    /// `X-Forwarded-Proto` says `https` when the client came over TLS (`secure`).
    static func upstreamRequest(
        _ bytes: ByteBuffer, _ head: RequestHead, clientAddress: String?, mark: ForwardingMark, keepingUpgrade: Bool = false,
        secure: Bool = false
    ) -> ByteBuffer {
        var out = ByteBuffer()
        out.reserveCapacity(head.length + 160 + mark.line.readableBytes)
        bytes.withUnsafeReadableBytes { bytes in
            out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[0..<head.startLineEnd + 2]))
            let nominated = head.connection.namesOtherHeaders ? nominatedNames(bytes, from: head.startLineEnd + 2, to: head.length) : []
            var forwardedFor: [Range<Int>] = []
            _ = HTTP1Syntax.forEachField(bytes, from: head.startLineEnd + 2, to: head.length) { name, value, line in
                if isHopByHop(bytes, name) {
                    guard keepingUpgrade && HTTP1Syntax.namesEqual(bytes, name, "upgrade") else { return }
                } else if HTTP1Syntax.namesEqual(bytes, name, "expect") || HTTP1Syntax.namesEqual(bytes, name, "x-forwarded-proto")
                    || HTTP1Syntax.namesEqual(bytes, name, "x-forwarded-host")
                {
                    return
                } else if HTTP1Syntax.namesEqual(bytes, name, "x-forwarded-for") {
                    forwardedFor.append(value)
                    return
                } else if HTTP1Syntax.namesEqual(bytes, name, ForwardingMark.headerName) {
                    return
                } else if nominated.contains(where: { HTTP1Syntax.namesEqual(bytes, $0, name) }) {
                    return
                }
                out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[line]))
                out.writeStaticString("\r\n")
            }
            if keepingUpgrade { out.writeStaticString("Connection: Upgrade\r\n") }
            if !forwardedFor.isEmpty || clientAddress != nil {
                out.writeStaticString("X-Forwarded-For: ")
                for (position, value) in forwardedFor.enumerated() {
                    if position > 0 { out.writeStaticString(", ") }
                    out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[value]))
                }
                if let clientAddress {
                    if !forwardedFor.isEmpty { out.writeStaticString(", ") }
                    out.writeString(clientAddress)
                }
                out.writeStaticString("\r\n")
            }
            if secure {
                out.writeStaticString("X-Forwarded-Proto: https\r\n")
            } else {
                out.writeStaticString("X-Forwarded-Proto: http\r\n")
            }
            if let host = head.host {
                out.writeStaticString("X-Forwarded-Host: ")
                out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[host]))
                out.writeStaticString("\r\n")
            }
        }
        out.writeImmutableBuffer(mark.line)
        out.writeStaticString("\r\n")
        return out
    }

    /// The head the client gets for the process's response head `bytes` (read as `head`): `HTTP/1.1`, the same
    /// status and reason, the process's header lines minus hop-by-hop ones, and what the edge says of the connection;
    /// with room for `bodyCapacity` more bytes (a body written after it); `addedLines` (whole header lines of the edge's,
    /// such as HSTS) go last.
    static func clientResponse(
        _ bytes: ByteBuffer, _ head: ResponseHead, connection: ClientConnection, bodyCapacity: Int = 0, addedLines: ByteBuffer? = nil
    ) -> ByteBuffer {
        var out = ByteBuffer()
        out.reserveCapacity(head.length + 24 + bodyCapacity)
        bytes.withUnsafeReadableBytes { bytes in
            out.writeStaticString("HTTP/1.1")
            out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[8..<head.startLineEnd + 2]))
            let nominated = head.connection.namesOtherHeaders ? nominatedNames(bytes, from: head.startLineEnd + 2, to: head.length) : []
            _ = HTTP1Syntax.forEachField(bytes, from: head.startLineEnd + 2, to: head.length) { name, _, line in
                if isHopByHop(bytes, name) || nominated.contains(where: { HTTP1Syntax.namesEqual(bytes, $0, name) }) { return }
                out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[line]))
                out.writeStaticString("\r\n")
            }
        }
        switch connection {
        case .unsaid: break
        case .keepAlive: out.writeStaticString("Connection: keep-alive\r\n")
        case .close: out.writeStaticString("Connection: close\r\n")
        }
        if let addedLines { out.writeImmutableBuffer(addedLines) }
        out.writeStaticString("\r\n")
        return out
    }

    /// Whether a header name belongs to one connection only: the list of RFC 9110 §7.6.1 (`Connection`,
    /// `Keep-Alive`, `TE`, `Upgrade`), plus every `Proxy-*` header. `Transfer-Encoding` is one too, but the edge
    /// relays chunked bodies as they are, so it crosses with them, and so does `Trailer`, which announces the
    /// trailers at their end.
    static func isHopByHop(_ bytes: UnsafeRawBufferPointer, _ name: Range<Int>) -> Bool {
        switch name.count {
        case 2: return HTTP1Syntax.namesEqual(bytes, name, "te")
        case 7: return HTTP1Syntax.namesEqual(bytes, name, "upgrade")
        case 10: return HTTP1Syntax.namesEqual(bytes, name, "connection") || HTTP1Syntax.namesEqual(bytes, name, "keep-alive")
        default: return HTTP1Syntax.nameHasPrefix(bytes, name, "proxy-")
        }
    }

    /// The header names the `Connection` lines between `start` and `end` list, beyond `close`, `keep-alive` and `upgrade`.
    private static func nominatedNames(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) -> [Range<Int>] {
        var names: [Range<Int>] = []
        _ = HTTP1Syntax.forEachField(bytes, from: start, to: end) { name, value, _ in
            guard HTTP1Syntax.namesEqual(bytes, name, "connection") else { return }
            HTTP1Syntax.forEachToken(bytes, value) { names.append($0) }
        }
        return names
    }
}
