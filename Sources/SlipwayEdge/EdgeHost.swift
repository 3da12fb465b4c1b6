/// How the edge reads a request's `Host`: the one normalisation both the dispatcher and the service proxy use.
enum EdgeHost {
    /// A host (or authority) without its port, without a trailing dot, in lower case: `Hello.LocalHost.:8080` → `hello.localhost`.
    static func normalized(_ authority: String) -> String {
        var host = Substring(authority.trimmingWhitespace)
        if let at = host.lastIndex(of: "@") { host = host[host.index(after: at)...] }
        if host.hasPrefix("[") {
            // An IPv6 literal: `[::1]:8080`.
            if let close = host.firstIndex(of: "]") { host = host[...close] }
        } else if let colon = host.firstIndex(of: ":") {
            host = host[..<colon]
        }
        while host.hasSuffix(".") { host = host.dropLast() }
        return host.lowercased()
    }

    /// The labels in front of `domain` (already normalised) in `authority` (`hello`, `1a2b3c4d.hello`), or nil
    /// when the host is the bare domain, an IP address or another name: those go to the API.
    static func routeKey(of authority: String, domain: String) -> String? {
        let host = normalized(authority)
        let suffix = "." + domain
        guard host.count > suffix.count, host.hasSuffix(suffix) else { return nil }
        return String(host.dropLast(suffix.count))
    }
}
