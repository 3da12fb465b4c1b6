import AsyncHTTPClient
import Hummingbird

/// Which headers cross the proxy, in each direction (RFC 9110 §7.6.1): hop-by-hop headers and the ones the
/// `Connection` header names stay on their own connection; the upstream learns the client's address, scheme
/// and host through `X-Forwarded-For`, `X-Forwarded-Proto` and `X-Forwarded-Host`.
enum ProxyHeaders {
    /// Copies the client's request headers onto the upstream request, minus hop-by-hop ones, plus `X-Forwarded-*`.
    /// `Host` stays as the client sent it: HTTPTypes keeps it as the request's `authority` , not as
    /// a header field. `Content-Length` is left out: the body's length is given to the client library with the
    /// body, which writes the framing header itself.
    static func copyRequestHeaders(
        _ fields: HTTPFields, authority: String?, clientAddress: String?, into upstream: inout HTTPClientRequest
    ) {
        let nominated = connectionNominated(fields)
        var forwardedFor: String?
        var host = authority
        if let authority { upstream.headers.add(name: "Host", value: authority) }
        for field in fields {
            let name = field.name.canonicalName
            if isHopByHop(name) || (nominated.map { $0.contains(name) } ?? false) { continue }
            switch name {
            case "content-length", "expect", "x-forwarded-proto", "x-forwarded-host":
                continue
            case "x-forwarded-for":
                forwardedFor = forwardedFor.map { $0 + ", " + field.value } ?? field.value
                continue
            case "host":
                // Only when the request had no authority (then it was not taken out of the fields).
                guard authority == nil else { continue }
                host = field.value
            default:
                break
            }
            upstream.headers.add(name: field.name.rawName, value: field.value)
        }
        if let clientAddress {
            forwardedFor = forwardedFor.map { $0 + ", " + clientAddress } ?? clientAddress
        }
        if let forwardedFor { upstream.headers.add(name: "X-Forwarded-For", value: forwardedFor) }
        upstream.headers.add(name: "X-Forwarded-Proto", value: "http")
        if let host { upstream.headers.add(name: "X-Forwarded-Host", value: host) }
    }

    /// The upstream's response headers for the client, minus hop-by-hop ones.
    static func responseHeaders(_ response: HTTPClientResponse) -> HTTPFields {
        let nominated = tokens(response.headers[canonicalForm: "connection"])
        var fields = HTTPFields()
        fields.reserveCapacity(response.headers.count)
        for (name, value) in response.headers {
            guard let fieldName = HTTPFields.Element.Name(name) else { continue }
            let lowercased = fieldName.canonicalName
            if isHopByHop(lowercased) || (nominated?.contains(lowercased) ?? false) { continue }
            fields.append(HTTPFields.Element(name: fieldName, value: value))
        }
        return fields
    }

    /// Whether the request asks to switch protocols (`Upgrade: websocket` and the like), which the proxy does not
    /// tunnel. `h2c` is not counted: a server may ignore that offer and answer over HTTP/1.1, which the proxy does.
    static func asksForUpgrade(_ fields: HTTPFields) -> Bool {
        for value in fields[values: upgradeField] {
            for token in value.split(separator: ",") where token.trimmingWhitespace.lowercased() != "h2c" {
                return true
            }
        }
        return false
    }

    /// The header names (lower case) the `Connection` header lists, or nil when it lists none.
    static func connectionNominated(_ fields: HTTPFields) -> [String]? {
        tokens(fields[values: .connection])
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

    private static let upgradeField = HTTPFields.Element.Name("Upgrade")!
}
