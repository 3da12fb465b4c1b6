import Foundation

/// What a custom domain may be (docs/domains.md): a host name on the public DNS, in its ASCII form, that is not the
/// install's own domain nor under it; or a wildcard `*.example.com` (one leading `*.` label over at least two labels)
/// whose matches include neither. Every problem is a 422 naming `hostname` (or `branch`).
public struct DomainRules: Sendable {
    /// The install's own domain (`--domain`), normalised: projects are served at its subdomains already.
    public let platformDomain: String

    public init(platformDomain: String) {
        self.platformDomain = Self.normalized(platformDomain) ?? platformDomain.lowercased()
    }

    /// The longest host name DNS allows, in its ASCII form.
    public static let maximumLength = 253
    /// The longest label DNS allows.
    public static let maximumLabelLength = 63

    /// The host name a domain is stored and routed under, or the 422 that says why `hostname` is not one.
    public func hostname(_ raw: String) throws(SlipwayError) -> String {
        let field = FieldPath.name("hostname")
        if Self.isLoopbackName(raw) { throw SlipwayError.invalid(field, "localhost is a loopback name, not a public one") }
        let hostname: String
        switch Self.normalize(raw) {
        case .success(let normalized): hostname = normalized
        case .failure(let problem): throw SlipwayError.invalid(field, problem.message)
        }
        if Self.isLoopbackName(hostname) { throw SlipwayError.invalid(field, "\(hostname) is a loopback name (localhost), not a public one") }
        if hostname == platformDomain {
            throw SlipwayError.invalid(field, "\(hostname) is this server's own domain")
        }
        if hostname.hasSuffix("." + platformDomain) {
            throw SlipwayError.invalid(
                field, "\(hostname) is under this server's own domain \(platformDomain), where projects are served already")
        }
        // `*.example.net` matches every `<label>.example.net`: the platform's domain itself when it is one of those.
        if Self.isWildcard(hostname), Self.wildcard(matching: platformDomain) == hostname {
            throw SlipwayError.invalid(field, "\(hostname) would cover this server's own domain \(platformDomain)")
        }
        return hostname
    }

    /// Whether `hostname` (normalised) is a wildcard, `*.example.com`.
    public static func isWildcard(_ hostname: String) -> Bool {
        hostname.hasPrefix("*.")
    }

    /// The wildcard that matches `hostname` (`*.example.com` for `a.example.com`: one label, RFC 6125), or nil for a name
    /// of fewer than three labels, which no wildcard of two labels or more can match.
    public static func wildcard(matching hostname: String) -> String? {
        guard let dot = hostname.firstIndex(of: "."), dot != hostname.startIndex, !hostname[..<dot].contains("*") else { return nil }
        let base = hostname[hostname.index(after: dot)...]
        guard base.contains(".") else { return nil }
        return "*." + base
    }

    /// The branch a domain serves, or the 422 naming `branch`; nil (or absent) is production.
    public func branch(_ raw: String?) throws(SlipwayError) -> String? {
        guard let raw else { return nil }
        if let problem = ProjectValidation.branchProblem(raw) { throw SlipwayError.invalid(.name("branch"), problem) }
        return raw
    }

    /// `raw` in its stored form, or nil when it cannot be a host name at all: for looking a domain up by the name in a
    /// path, where anything that is not one is simply not found.
    public static func normalized(_ raw: String) -> String? {
        if case .success(let hostname) = normalize(raw) { return hostname }
        return nil
    }

    /// Why a text is not a host name.
    public struct Problem: Error, Equatable {
        public var message: String
    }

    /// Trimmed, one trailing dot dropped, lower case (Unicode's), composed (NFC), the ideographic full stops read
    /// as dots, and every label with other letters than ASCII written in Punycode (`xn--…`); then the shape DNS
    /// allows: labels of 1 to 63 letters, digits and hyphens, not beginning or ending with a hyphen, at least two of
    /// them, 253 characters at most, not an IP address. A wildcard is a leading `*.` before such a name, and `*`
    /// nowhere else.
    public static func normalize(_ raw: String) -> Result<String, Problem> {
        var text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty { return .failure(Problem(message: "must not be empty")) }
        text = String(
            String.UnicodeScalarView(
                text.lowercased().precomposedStringWithCanonicalMapping.unicodeScalars.map { Self.fullStops.contains($0) ? "." : $0 }))
        if text.hasSuffix(".") { text.removeLast() }
        let isWildcard = text.hasPrefix("*.")
        if isWildcard { text.removeFirst(2) }
        if text.contains(":") || text.hasPrefix("[") || Self.isIPv4Address(text) {
            return .failure(Problem(message: "must be a host name, not an IP address"))
        }
        if text.isEmpty { return .failure(Problem(message: "must not be empty")) }
        var labels: [String] = []
        for label in text.split(separator: ".", omittingEmptySubsequences: false) {
            switch asciiLabel(label) {
            case .success(let ascii): labels.append(ascii)
            case .failure(let problem): return .failure(problem)
            }
        }
        if labels.count < 2 {
            // `*.com` would stand for every name of a top-level domain.
            let wildcardMessage = "a wildcard must stand over at least two labels, like *.example.com"
            return .failure(Problem(message: isWildcard ? wildcardMessage : "must have at least two labels, like example.com"))
        }
        if let last = labels.last, last.allSatisfy(\.isASCIIDigit) {
            return .failure(Problem(message: "must not end in a label of digits only (a top-level domain is never a number)"))
        }
        let hostname = (isWildcard ? "*." : "") + labels.joined(separator: ".")
        if hostname.utf8.count > maximumLength {
            return .failure(Problem(message: "must be at most \(maximumLength) characters long in its ASCII form"))
        }
        return .success(hostname)
    }

    /// `localhost` and its subdomains (RFC 6761), whatever their case and trailing dot.
    private static func isLoopbackName(_ raw: String) -> Bool {
        var name = raw.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        return name == "localhost" || name.hasSuffix(".localhost")
    }

    /// U+3002, U+FF0E and U+FF61: full stops IDNA reads as dots.
    private static let fullStops: Set<Unicode.Scalar> = ["\u{3002}", "\u{FF0E}", "\u{FF61}"]

    /// One label in ASCII, or why it cannot be one.
    private static func asciiLabel(_ label: Substring) -> Result<String, Problem> {
        if label.isEmpty { return .failure(Problem(message: "must not have an empty label (two dots in a row, or a leading dot)")) }
        if label.contains("*") { return .failure(Problem(message: "a wildcard must be the whole first label, like *.example.com")) }
        var ascii = String(label)
        if !label.unicodeScalars.allSatisfy(\.isASCII) {
            guard label.unicodeScalars.allSatisfy({ $0.isASCII ? isLabelCharacter($0) : isInternationalLetter($0) }) else {
                return .failure(Problem(message: "'\(label)' must hold only letters, digits and hyphens"))
            }
            guard let encoded = Punycode.encode(String(label)) else {
                return .failure(Problem(message: "label '\(label)' is too long"))
            }
            ascii = "xn--" + encoded
        } else if !label.unicodeScalars.allSatisfy(isLabelCharacter) {
            return .failure(Problem(message: "'\(label)' must hold only letters, digits and hyphens"))
        } else if ascii.count >= 4, ascii.dropFirst(2).hasPrefix("--"), !ascii.hasPrefix("xn--") {
            return .failure(Problem(message: "'\(label)' must not have hyphens in its third and fourth places (reserved for IDNA)"))
        }
        if ascii.utf8.count > maximumLabelLength {
            return .failure(Problem(message: "label '\(label)' must be at most \(maximumLabelLength) characters long in its ASCII form"))
        }
        if ascii.hasPrefix("-") || ascii.hasSuffix("-") {
            return .failure(Problem(message: "label '\(label)' must not begin or end with a hyphen"))
        }
        return .success(ascii)
    }

    /// `a`–`z`, `0`–`9` and `-` (upper case was lowered before).
    private static func isLabelCharacter(_ scalar: Unicode.Scalar) -> Bool {
        (scalar >= "a" && scalar <= "z") || (scalar >= "0" && scalar <= "9") || scalar == "-"
    }

    /// A letter, mark or digit beyond ASCII: what an internationalised label is made of (symbols, spaces,
    /// punctuation and controls are not).
    private static func isInternationalLetter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .lowercaseLetter, .uppercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter, .nonspacingMark, .spacingMark,
            .enclosingMark, .decimalNumber:
            return true
        default:
            return false
        }
    }

    /// Four dot-separated decimal numbers (`192.0.2.1`).
    private static func isIPv4Address(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isASCIIDigit) }
    }
}

extension Character {
    /// `0`–`9`.
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
