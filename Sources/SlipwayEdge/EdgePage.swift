import Hummingbird

/// The small HTML pages the edge answers with when a build has nothing better.
enum EdgePage {
    /// The page for a host under the domain that no deployment answers to.
    static func noDeployment(host: String) -> String {
        page(
            title: "No deployment here",
            message: "No deployment is published at <strong>\(escape(host))</strong>."
        )
    }

    /// The page for a path the build has no file for (when it has no `404.html`).
    static let notFound = page(title: "Not found", message: "There is no page at this address.")

    /// The page for a path that cannot be a file name (bad percent-encoding, NUL).
    static let badRequest = page(title: "Bad request", message: "This address is not a valid path.")

    /// The page for a request with more than one `Host` header.
    static let multipleHosts = page(title: "Bad request", message: "The request has more than one Host header.")

    /// The page for a request the edge relayed itself and got back (a service route that leads to the edge again).
    static let loopDetected = page(
        title: "Loop detected",
        message: "This request came back to the edge that relayed it: the service's port leads to Slipway itself."
    )

    /// The page for a service deployment whose process does not run (stopped, replaced, or not started yet).
    static func serviceNotRunning(host: String) -> String {
        page(
            title: "Service not running",
            message: "The deployment at <strong>\(escape(host))</strong> is a service whose process is not running."
        )
    }

    /// The page for a service whose process refused or dropped the connection before it answered.
    static func upstreamUnavailable(host: String) -> String {
        page(
            title: "Bad gateway",
            message: "The service at <strong>\(escape(host))</strong> did not answer: its process refused or closed the connection."
        )
    }

    /// The page for a service that did not start its answer within the proxy's timeout.
    static func upstreamTimeout(host: String) -> String {
        page(
            title: "Gateway timeout",
            message: "The service at <strong>\(escape(host))</strong> took too long to answer."
        )
    }

    /// The page for methods other than GET and HEAD.
    static let methodNotAllowed = page(title: "Method not allowed", message: "Sites accept only GET and HEAD.")

    /// An HTML response carrying `html`; a HEAD request gets the headers only.
    static func response(_ status: HTTPResponse.Status, html: String, for request: Request, headers extra: HTTPFields = [:]) -> Response {
        let body = ByteBuffer(string: html)
        var headers = extra
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.contentLength] = String(body.readableBytes)
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: request.method == .head ? .init() : .init(byteBuffer: body))
    }

    private static func page(title: String, message: String) -> String {
        """
        <!doctype html>
        <html lang="en">
        <head><meta charset="utf-8"><title>\(title)</title></head>
        <body style="font-family: system-ui, sans-serif; margin: 4rem auto; max-width: 36rem">
        <h1>\(title)</h1>
        <p>\(message)</p>
        </body>
        </html>

        """
    }

    /// `text` safe to place in HTML content or a quoted attribute.
    static func escape(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
