import NIOCore

/// What the edge answers on a connection before host routing, for HTTPS's sake: an ACME HTTP-01 challenge
/// registered in `ACMEChallenges` (any host, either listener), and, on plain HTTP, the `308` to the `https://` URL for
/// a host that has a certificate (`TLSCertificateSource.redirectsToHTTPS`), challenge paths excepted.
struct HTTPSFront {
    let proxy: ServiceProxy
    let isSecure: Bool

    /// An answer's head (status line and header lines, without `Date`, `Connection` and the final empty line) and body.
    struct Answer {
        var head: ByteBuffer
        var body: ByteBuffer
    }

    /// The answer to `head`, or nil when the request goes on as usual.
    func answer(_ head: RequestHead, _ headBytes: ByteBuffer) -> Answer? {
        let https = isSecure ? nil : proxy.https
        guard proxy.acmeChallenges != nil || https != nil else { return nil }
        let target = headBytes.getString(at: headBytes.readerIndex + head.target.lowerBound, length: head.target.count) ?? ""
        let path = target.prefix { $0 != "?" }
        if path.hasPrefix(ACMEChallenges.http01PathPrefix) {
            let token = path.dropFirst(ACMEChallenges.http01PathPrefix.count)
            if head.isGET || head.isHEAD, !token.isEmpty, let keyAuthorization = proxy.acmeChallenges?.keyAuthorization(token: String(token)) {
                return Self.answer("200 OK", contentType: "text/plain", body: keyAuthorization)
            }
            // An unknown token goes on as any request does, never redirected.
            return nil
        }
        guard let https, let hostRange = head.host, head.hostCount == 1, target.hasPrefix("/") else { return nil }
        let host = EdgeHost.normalized(headBytes.getString(at: headBytes.readerIndex + hostRange.lowerBound, length: hostRange.count) ?? "")
        guard !host.isEmpty, https.certificates.redirectsToHTTPS(host: host) else { return nil }
        var answer = Self.answer("308 Permanent Redirect", contentType: "text/plain", body: "")
        answer.head.writeString("Location: \(https.redirectLocation(host: host, target: target))\r\n")
        return answer
    }

    private static func answer(_ status: String, contentType: String, body: String) -> Answer {
        var head = ByteBuffer()
        head.writeString("HTTP/1.1 \(status)\r\nContent-Type: \(contentType)\r\nCache-Control: no-store\r\n")
        head.writeString("Content-Length: \(body.utf8.count)\r\n")
        return Answer(head: head, body: ByteBuffer(string: body))
    }
}
