import NIOHTTP1

/// Which headers cross the proxy, in each direction (RFC 9110 §7.6.1): hop-by-hop headers and the ones the
/// `Connection` header names stay on their own connection; the upstream learns the client's address, scheme
/// and host through `X-Forwarded-For`, `X-Forwarded-Proto` and `X-Forwarded-Host`.
enum ProxyHeaders {
    /// The head the upstream gets for the client's request `head`: same method and target, HTTP/1.1 (the upstream
    /// connection is keep-alive, whatever the client's is), the client's headers minus hop-by-hop ones, plus
    /// `X-Forwarded-*`. `Host` and `Content-Length` pass as the client sent them; a chunked body stays chunked
    /// (NIO's decoder and encoder undo and redo the chunks). `Expect` stays behind: the edge reads the body as
    /// the client sends it, and answers no `100 Continue` of its own.
    static func upstreamRequestHead(_ head: HTTPRequestHead, clientAddress: String?) -> HTTPRequestHead {
        let nominated = tokens(head.headers[canonicalForm: "connection"])
        var headers = HTTPHeaders()
        headers.reserveCapacity(head.headers.count + 3)
        var forwardedFor: String?
        var host: String?
        var isChunked = false
        for (name, value) in head.headers {
            let lowercased = name.lowercased()
            if lowercased == "transfer-encoding" { isChunked = true }
            if isHopByHop(lowercased) || (nominated?.contains(lowercased) ?? false) { continue }
            switch lowercased {
            case "expect", "x-forwarded-proto", "x-forwarded-host":
                continue
            case "x-forwarded-for":
                forwardedFor = forwardedFor.map { $0 + ", " + value } ?? value
                continue
            case "host":
                host = value
            default:
                break
            }
            headers.add(name: name, value: value)
        }
        if isChunked { headers.add(name: "Transfer-Encoding", value: "chunked") }
        if let clientAddress {
            forwardedFor = forwardedFor.map { $0 + ", " + clientAddress } ?? clientAddress
        }
        if let forwardedFor { headers.add(name: "X-Forwarded-For", value: forwardedFor) }
        headers.add(name: "X-Forwarded-Proto", value: "http")
        if let host { headers.add(name: "X-Forwarded-Host", value: host) }
        return HTTPRequestHead(version: .http1_1, method: head.method, uri: head.uri, headers: headers)
    }

    /// The upstream's response headers for the client, minus hop-by-hop ones. The framing of the client's
    /// connection (`Content-Length` as the upstream gave it, else chunked or, for HTTP/1.0, until close) is NIO's
    /// response encoder's.
    static func responseHeaders(_ upstream: HTTPHeaders) -> HTTPHeaders {
        let nominated = tokens(upstream[canonicalForm: "connection"])
        var headers = HTTPHeaders()
        headers.reserveCapacity(upstream.count)
        for (name, value) in upstream {
            let lowercased = name.lowercased()
            if isHopByHop(lowercased) || (nominated?.contains(lowercased) ?? false) { continue }
            headers.add(name: name, value: value)
        }
        return headers
    }

    /// Whether the request asks to switch protocols (`Upgrade: websocket` and the like), which the proxy does not
    /// tunnel. `h2c` is not counted: a server may ignore that offer and answer over HTTP/1.1, which the proxy does.
    static func asksForUpgrade(_ headers: HTTPHeaders) -> Bool {
        for value in headers[canonicalForm: "upgrade"] where value.lowercased() != "h2c" {
            return true
        }
        return false
    }

    /// The comma-separated tokens of some header lines, lower case; nil when there are none (the common case, no allocation).
    static func tokens<Line: StringProtocol>(_ lines: some Sequence<Line>) -> [String]? {
        var names: [String]?
        for line in lines {
            for token in line.split(separator: ",") {
                let name = token.trimmingWhitespace.lowercased()
                if !name.isEmpty { names = (names ?? []) + [name] }
            }
        }
        return names
    }

    /// Whether a header (by its lower-case name) belongs to one connection only: the fixed list of RFC 9110 §7.6.1
    /// and RFC 9112, plus every `Proxy-*` header.
    static func isHopByHop(_ lowercasedName: String) -> Bool {
        switch lowercasedName {
        case "connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade":
            return true
        default:
            return lowercasedName.hasPrefix("proxy-")
        }
    }
}
