/// Whether a certificate's DNS name covers a host name (RFC 6125 §6.4): equal ignoring case and a final dot, or a
/// wildcard `*.` followed by at least two labels standing for exactly one non-empty leftmost label. A wildcard host
/// name (a wildcard domain, `*.example.com`) is covered only by that same wildcard.
enum HostnamePattern {
    /// Whether `pattern` (a SAN dNSName) matches `hostname`.
    static func matches(_ pattern: String, hostname: String) -> Bool {
        let pattern = normalized(pattern)
        let hostname = normalized(hostname)
        guard !pattern.isEmpty, !hostname.isEmpty else { return false }
        if hostname.hasPrefix("*.") { return pattern == hostname && !hostname.dropFirst(2).contains("*") }
        guard pattern.hasPrefix("*.") else { return pattern == hostname }
        let base = pattern.dropFirst(2)
        // `*.com` would cover a whole top-level domain: not a wildcard any CA may issue, never a match.
        guard base.split(separator: ".", omittingEmptySubsequences: false).count >= 2, !base.contains("*") else { return false }
        guard let dot = hostname.firstIndex(of: ".") else { return false }
        let firstLabel = hostname[..<dot]
        return !firstLabel.isEmpty && hostname[hostname.index(after: dot)...] == base
    }

    private static func normalized(_ name: String) -> String {
        var name = name.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        return name
    }
}
