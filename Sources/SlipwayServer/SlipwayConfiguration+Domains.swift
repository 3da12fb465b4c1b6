import Foundation
import NIOCore
import SlipwayCertificates
import SlipwayCore
import SlipwayStore

extension SlipwayConfiguration {
    /// `SLIPWAY_DOMAIN_VERIFICATION` and `SLIPWAY_DNS_RESOLVER`.
    mutating func readDomainOwnership(from environment: [String: String]) throws {
        if let value = environment["SLIPWAY_DOMAIN_VERIFICATION"], !value.isEmpty {
            try setDomainVerification(value, name: "SLIPWAY_DOMAIN_VERIFICATION")
        }
        if let value = environment["SLIPWAY_DNS_RESOLVER"], !value.isEmpty { try setDNSResolver(value, name: "SLIPWAY_DNS_RESOLVER") }
    }

    /// `txt` or `off`; `name` names the flag or variable in the error.
    public mutating func setDomainVerification(_ text: String, name: String) throws {
        guard let mode = DomainOwnership.Mode(rawValue: text.lowercased()) else {
            throw ConfigurationError("\(name) must be txt or off, got '\(text)'")
        }
        domainVerification = mode
    }

    /// An IP address, with `:PORT` (IPv6 in brackets) or without (53).
    public mutating func setDNSResolver(_ text: String, name: String) throws {
        guard Self.dnsResolverAddress(text) != nil else {
            throw ConfigurationError("\(name) must be an IP address with an optional :port, like 192.0.2.53 or [2001:db8::53]:53, got '\(text)'")
        }
        dnsResolver = text
    }

    static func dnsResolverAddress(_ text: String) -> SocketAddress? {
        if let address = try? SocketAddress(ipAddress: text, port: 53) { return address }
        let host: Substring
        let portText: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = text[text.index(after: text.startIndex)..<close]
            guard text[close...].hasPrefix("]:") else { return nil }
            portText = text[text.index(close, offsetBy: 2)...]
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        } else {
            return nil
        }
        guard let port = Int(portText), (1...65535).contains(port) else { return nil }
        return try? SocketAddress(ipAddress: String(host), port: port)
    }

    /// How workspaces prove their domains on this server: TXT records looked up through `--dns-resolver` (else the
    /// first `nameserver` of /etc/resolv.conf), or not at all.
    func domainOwnership(secrets: SecretBox) -> DomainOwnership {
        guard domainVerification == .txt else { return .off }
        let lookup: DNSTextLookup? =
            dnsResolver.flatMap(Self.dnsResolverAddress).map { DNSTextLookup(resolver: $0) }
            ?? (try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)).flatMap(DNSTextLookup.system(resolvConf:))
        return DomainOwnership(mode: .txt, tokens: secrets.domainOwnershipTokens, lookup: lookup.map(DNSOwnershipLookup.init))
    }
}

/// The DNS lookup of ownership records.
struct DNSOwnershipLookup: TextRecordLookup {
    let lookup: DNSTextLookup

    func textRecords(_ name: String) async throws -> [String] {
        try await lookup.textRecords(name)
    }
}
