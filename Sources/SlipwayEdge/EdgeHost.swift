import SlipwayCore

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

    /// The route key `authority` names: the labels in front of `domain` (already normalised) (`hello`,
    /// `1a2b3c4d.hello`), or the key a custom domain of `routes` serves like (`shop.example.com` → `hello`); nil
    /// when the host is the bare domain, an IP address or another name: those go to the API.
    static func routeKey(of authority: String, domain: String, routes: RouteTable) -> String? {
        let host = normalized(authority)
        let suffix = "." + domain
        if host.hasSuffix(suffix) {
            return host.count > suffix.count ? String(host.dropLast(suffix.count)) : nil
        }
        guard host != domain, !host.isEmpty else { return nil }
        return routes.routeKey(forCustomDomain: host)
    }
}
