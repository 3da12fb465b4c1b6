import Foundation

/// A host and port to listen on (`--metrics-address 127.0.0.1:9090`, `[::1]:9090`).
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// The address or host name to bind.
    public var host: String
    /// The port; 0 takes a free one.
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `HOST:PORT` (an IPv6 address in brackets); `name` is the flag or variable named in the error.
    public static func parse(_ text: String, name: String) throws -> ListenAddress {
        let problem = ConfigurationError("\(name) must be HOST:PORT such as 127.0.0.1:9090, got '\(text)'")
        guard let colon = text.lastIndex(of: ":") else { throw problem }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, !host.contains(where: \.isWhitespace), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port)
        else { throw problem }
        return ListenAddress(host: host, port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// The operations settings (docs/operations.md): metrics on or off and their listener.
extension SlipwayConfiguration {
    /// Reads `SLIPWAY_METRICS` (`on`, `off`) and `SLIPWAY_METRICS_ADDRESS` (`HOST:PORT`).
    mutating func readOperations(from environment: [String: String]) throws {
        if let value = environment["SLIPWAY_METRICS"], !value.isEmpty {
            metricsEnabled = try Self.parseSwitch(value, name: "SLIPWAY_METRICS")
        }
        if let value = environment["SLIPWAY_METRICS_ADDRESS"], !value.isEmpty {
            metricsAddress = try ListenAddress.parse(value, name: "SLIPWAY_METRICS_ADDRESS")
        }
    }

    /// `on` or `off`; `name` is the flag or variable named in the error.
    public static func parseSwitch(_ text: String, name: String) throws -> Bool {
        switch text.lowercased() {
        case "on": return true
        case "off": return false
        default: throw ConfigurationError("\(name) must be on or off, got '\(text)'")
        }
    }
}
