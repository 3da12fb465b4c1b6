import Foundation

/// The rules of a notification destination's input: each broken rule is a `SlipwayError.invalid` naming the field.
public struct NotificationRules: Sendable {
    /// Whether destinations may be on loopback, private and other non-public addresses (`--allow-private-notification-targets`).
    public var allowsPrivateTargets: Bool
    /// The most destinations a workspace may have.
    public var maximumDestinations: Int

    public static let secretLength = 16...256
    public static let maximumURLLength = 2048

    public init(allowsPrivateTargets: Bool = false, maximumDestinations: Int = 20) {
        self.allowsPrivateTargets = allowsPrivateTargets
        self.maximumDestinations = maximumDestinations
    }

    /// The destination of a request body, checked: `kind` one of webhook, slack, discord; `url` an absolute http(s) URL
    /// without user info, whose host (when it is an address or `localhost`) is public unless private targets are
    /// allowed; `events` a non-empty list of known events; `secret` 16 to 256 characters, for webhooks only.
    public func validate(kind: String?, url: String?, events: [String]?, secret: String?) throws -> NewNotificationDestination {
        var problems: [FieldProblem] = []
        let parsedKind = kind.flatMap(NotificationDestinationKind.init(rawValue:)).flatMap { $0.isForge ? nil : $0 }
        if parsedKind == nil {
            let names = NotificationDestinationKind.notificationKinds.map(\.rawValue).joined(separator: ", ")
            problems.append(FieldProblem(field: "kind", message: kind == nil ? "is required (\(names))" : "must be one of \(names)"))
        }
        if let message = urlProblem(url) { problems.append(FieldProblem(field: "url", message: message)) }
        var parsedEvents: Set<NotificationEventKind> = []
        if let events, !events.isEmpty {
            for (index, name) in events.enumerated() {
                guard let event = NotificationEventKind(rawValue: name), event != .test else {
                    let names = NotificationEventKind.subscribable.map(\.rawValue).joined(separator: ", ")
                    problems.append(FieldProblem(FieldPath([.verbatim("events"), .index(index)]), message: "unknown event; one of \(names)"))
                    continue
                }
                parsedEvents.insert(event)
            }
        } else {
            problems.append(FieldProblem(field: "events", message: "must name at least one event"))
        }
        if let secret {
            if parsedKind != nil && parsedKind != .webhook {
                problems.append(
                    FieldProblem(field: "secret", message: "only a generic webhook is signed; Slack and Discord URLs are their own secret"))
            } else if !Self.secretLength.contains(secret.count) {
                problems.append(
                    FieldProblem(
                        field: "secret", message: "must be \(Self.secretLength.lowerBound) to \(Self.secretLength.upperBound) characters"))
            } else if secret.contains(where: { $0.isNewline || $0 == "\0" }) {
                problems.append(FieldProblem(field: "secret", message: "must not contain line breaks or NUL"))
            }
        }
        guard problems.isEmpty, let parsedKind, let url else { throw SlipwayError.invalid(problems) }
        return NewNotificationDestination(kind: parsedKind, url: url, events: parsedEvents, secret: secret)
    }

    /// Why `url` cannot be a destination, or nil.
    func urlProblem(_ url: String?) -> String? {
        guard let url, !url.isEmpty else { return "is required" }
        guard url.utf8.count <= Self.maximumURLLength else { return "must be at most \(Self.maximumURLLength) bytes" }
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased() else {
            return "must be an absolute http or https URL"
        }
        guard scheme == "http" || scheme == "https" else { return "must be an http or https URL" }
        guard components.user == nil && components.password == nil else { return "must not contain a user name or password" }
        guard let host = components.host, !host.isEmpty else { return "must name a host" }
        guard components.fragment == nil else { return "must not contain a fragment" }
        if !allowsPrivateTargets {
            if let refusal = NetworkAddressRules.refusal(hostname: host) { return "\(refusal) (private targets are not allowed)" }
        }
        return nil
    }
}

/// Which addresses a tenant-chosen URL may reach: public unicast only. Loopback, private, shared (CGNAT),
/// link-local, unspecified, multicast, reserved and documentation ranges are refused, as are IPv6 ULA and link-local
/// addresses and IPv6 forms that embed such an IPv4 address (v4-mapped, v4-compatible, NAT64, 6to4).
public enum NetworkAddressRules {
    /// Why a host name written in a URL is refused before any lookup: `localhost` names and non-public address
    /// literals; nil for other names (checked after resolution).
    public static func refusal(hostname: String) -> String? {
        var host = hostname.lowercased()
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.hasSuffix(".") { host = String(host.dropLast()) }
        if host == "localhost" || host.hasSuffix(".localhost") { return "localhost is a loopback name" }
        if let bytes = ipv4Bytes(host) { return refusal(address: bytes) }
        if let bytes = ipv6Bytes(host) { return refusal(address: bytes) }
        return nil
    }

    /// Why an address (4 or 16 bytes) is refused, or nil when it is public unicast.
    public static func refusal(address bytes: [UInt8]) -> String? {
        if bytes.count == 4 { return ipv4Refusal(bytes) }
        guard bytes.count == 16 else { return "is not an IP address" }
        let text = describe(bytes)
        if bytes.allSatisfy({ $0 == 0 }) { return "\(text) is the unspecified address" }
        if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return "\(text) is loopback" }
        if bytes[0] == 0xff { return "\(text) is multicast" }
        if bytes[0] == 0xfe && bytes[1] & 0xc0 == 0x80 { return "\(text) is link-local" }
        if bytes[0] == 0xfe && bytes[1] & 0xc0 == 0xc0 { return "\(text) is site-local" }
        if bytes[0] & 0xfe == 0xfc { return "\(text) is a unique local address" }
        if bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0x0d && bytes[3] == 0xb8 { return "\(text) is a documentation address" }
        let embedded: [UInt8]?
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff {
            embedded = Array(bytes[12..<16])  // ::ffff:a.b.c.d
        } else if bytes[0..<12].allSatisfy({ $0 == 0 }) {
            embedded = Array(bytes[12..<16])  // ::a.b.c.d (deprecated v4-compatible)
        } else if bytes[0..<12] == [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0] {
            embedded = Array(bytes[12..<16])  // 64:ff9b::/96 NAT64
        } else if bytes[0] == 0x20 && bytes[1] == 0x02 {
            embedded = Array(bytes[2..<6])  // 2002::/16 6to4
        } else {
            embedded = nil
        }
        if let embedded, let refusal = ipv4Refusal(embedded) { return "\(text) embeds an address that \(refusal.drop { $0 != " " }.dropFirst())" }
        return nil
    }

    private static func ipv4Refusal(_ b: [UInt8]) -> String? {
        let text = b.map(String.init).joined(separator: ".")
        switch (b[0], b[1], b[2]) {
        case (0, _, _): return "\(text) is in 0.0.0.0/8 (unspecified)"
        case (10, _, _): return "\(text) is private"
        case (100, 64...127, _): return "\(text) is shared address space (CGNAT)"
        case (127, _, _): return "\(text) is loopback"
        case (169, 254, _): return "\(text) is link-local"
        case (172, 16...31, _): return "\(text) is private"
        case (192, 0, 0): return "\(text) is reserved (IETF protocol assignments)"
        case (192, 0, 2), (198, 51, 100), (203, 0, 113): return "\(text) is a documentation address"
        case (192, 168, _): return "\(text) is private"
        case (198, 18...19, _): return "\(text) is reserved for benchmarking"
        case (224...239, _, _): return "\(text) is multicast"
        case (240...255, _, _): return "\(text) is reserved"
        default: return nil
        }
    }

    /// The 4 bytes of a dotted-quad IPv4 literal, or nil.
    public static func ipv4Bytes(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isASCIIDigit), let value = UInt8(part) else { return nil }
            bytes.append(value)
        }
        return bytes
    }

    /// The 16 bytes of an IPv6 literal (with `::` and an IPv4 tail; a zone after `%` is ignored), or nil.
    public static func ipv6Bytes(_ text: String) -> [UInt8]? {
        let address = text.split(separator: "%", maxSplits: 1).first.map(String.init) ?? text
        guard address.contains(":") else { return nil }
        let halves = address.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt16]? {
            if part.isEmpty { return [] }
            var result: [UInt16] = []
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() {
                if index == pieces.count - 1, piece.contains("."), let v4 = ipv4Bytes(String(piece)) {
                    result.append(UInt16(v4[0]) << 8 | UInt16(v4[1]))
                    result.append(UInt16(v4[2]) << 8 | UInt16(v4[3]))
                    continue
                }
                guard (1...4).contains(piece.count), let value = UInt16(piece, radix: 16) else { return nil }
                result.append(value)
            }
            return result
        }
        guard let head = groups(halves[0]) else { return nil }
        var all: [UInt16]
        if halves.count == 2 {
            guard let tail = groups(halves[1]), head.count + tail.count < 8 else { return nil }
            all = head + [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
        } else {
            guard head.count == 8 else { return nil }
            all = head
        }
        return all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] }
    }

    /// An IPv6 address in its groups, for messages.
    static func describe(_ bytes: [UInt8]) -> String {
        stride(from: 0, to: 16, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }.joined(separator: ":")
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}

/// The waits between attempts of a delivery: `initial`, doubled after each failure, at most `maximum`.
public struct NotificationBackoff: Sendable, Equatable {
    public var initial: Duration
    public var maximum: Duration
    /// Attempts in all, the first included; after the last failure the delivery is `failed`.
    public var maximumAttempts: Int

    public init(initial: Duration = .seconds(10), maximum: Duration = .seconds(3600), maximumAttempts: Int = 8) {
        self.initial = initial
        self.maximum = maximum
        self.maximumAttempts = maximumAttempts
    }

    /// How long to wait after the `attempt`th attempt (from 1) failed; nil when it was the last.
    public func delay(afterAttempt attempt: Int) -> Duration? {
        guard attempt < maximumAttempts else { return nil }
        var delay = initial
        for _ in 1..<max(attempt, 1) {
            delay = delay * 2
            if delay >= maximum { return maximum }
        }
        return min(delay, maximum)
    }
}
