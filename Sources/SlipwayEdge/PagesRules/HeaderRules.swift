/// The header changes `_headers` makes to one response.
public struct HeaderChanges: Sendable, Equatable {
    /// A header field to send.
    public struct Field: Sendable, Equatable {
        /// As first written in the file.
        public var name: String
        public var value: String

        /// A field.
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// Fields to send, in the order the file first names them, each replacing every field of the same name
    /// (case-insensitive) the edge would send; values of one name from several rules are joined with `, `.
    public var fields: [Field] = []
    /// Lower-case names of fields to remove from what the edge would send (none of them is in `fields`).
    public var removedNames: [String] = []

    /// Changes: `fields` to send, `removedNames` to drop.
    public init(fields: [Field] = [], removedNames: [String] = []) {
        self.fields = fields
        self.removedNames = removedNames
    }

    /// Whether the response goes out as the edge made it.
    public var isEmpty: Bool { fields.isEmpty && removedNames.isEmpty }

    mutating func detach(_ lowercasedName: String) {
        fields.removeAll { Self.name($0.name, equals: lowercasedName) }
        if !removedNames.contains(lowercasedName) { removedNames.append(lowercasedName) }
    }

    mutating func attach(name: String, lowercasedName: String, value: String) {
        removedNames.removeAll { $0 == lowercasedName }
        if let index = fields.firstIndex(where: { Self.name($0.name, equals: lowercasedName) }) {
            fields[index].value += ", " + value
        } else {
            fields.append(Field(name: name, value: value))
        }
    }

    /// Compares ASCII case-insensitively without making a lower-case copy.
    private static func name(_ name: String, equals lowercasedName: String) -> Bool {
        name.utf8.elementsEqual(lowercasedName.utf8) { byte, lower in
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 == lower : byte == lower
        }
    }
}

/// The rules of a build's `_headers` file, in Cloudflare Pages' syntax and limits (docs/edge.md, "`_headers` and
/// `_redirects`"): a URL pattern on a line, then `Name: value` lines to attach and `! Name` lines to detach; every rule
/// whose pattern matches applies, in file order.
public struct HeaderRules: Sendable {
    /// Rules (URL patterns) per file.
    public static let maximumRules = 100
    /// `Name: value` and `! Name` lines per file, a limit of Slipway's (Pages has none): with it, a response's header
    /// changes stay small whatever the file.
    public static let maximumHeaderLines = 2_000
    /// Characters per line.
    public static let maximumLineLength = 2_000
    /// Fields that frame the response or its connection, or name the encoding the edge chose: the edge sets them, a
    /// file may neither set nor remove them.
    public static let reservedNames: Set<String> = [
        "connection", "content-encoding", "content-length", "content-range", "keep-alive", "proxy-connection", "te", "trailer",
        "transfer-encoding", "upgrade",
    ]

    struct Rule: Sendable {
        struct Attachment: Sendable {
            let name: String
            let lowercasedName: String
            let value: CaptureTemplate
        }

        let lineNumber: Int
        let pattern: RulePattern
        var attachments: [Attachment] = []
        /// Lower-case.
        var detachments: [String] = []

        var isEmpty: Bool { attachments.isEmpty && detachments.isEmpty }

        /// Adds a line; a name attached twice keeps both values, joined with `, ` (Pages).
        mutating func add(_ line: HeaderLine) {
            switch line {
            case .attach(let attachment):
                if let index = attachments.firstIndex(where: { $0.lowercasedName == attachment.lowercasedName }) {
                    let joined = CaptureTemplate.joined(attachments[index].value, attachment.value)
                    attachments[index] = Attachment(name: attachments[index].name, lowercasedName: attachment.lowercasedName, value: joined)
                } else {
                    attachments.append(attachment)
                }
            case .detach(let name):
                if !detachments.contains(name) { detachments.append(name) }
            }
        }
    }

    private let rules: [Rule]
    private let hasHostPatterns: Bool

    /// The number of rules kept.
    public var count: Int { rules.count }

    /// No rules.
    public static let empty = HeaderRules(rules: [])

    private init(rules: [Rule]) {
        self.rules = rules
        self.hasHostPatterns = rules.contains { $0.pattern.hasHost }
    }

    /// Reads a `_headers` file. Each line that cannot be used is skipped and reported with its number; the rest are
    /// kept. Never fails, whatever the bytes.
    public static func parse(_ text: String) -> (rules: HeaderRules, problems: [LineProblem]) {
        parse(Array(text.utf8))
    }

    /// Reads a `_headers` file from its bytes (which need not be UTF-8: such lines are reported).
    public static func parse(_ bytes: [UInt8]) -> (rules: HeaderRules, problems: [LineProblem]) {
        var problems = LineProblems()
        var rules: [Rule] = []
        /// The rule whose header lines are being read; nil before the first, or after a pattern that was refused.
        var current: Rule?
        /// Whether the lines after a refused pattern are being skipped (reported once, with the pattern).
        var skippingRefusedRule = false
        var headerLines = 0

        func finish(_ rule: Rule?) {
            guard let rule else { return }
            if rule.isEmpty {
                problems.add(rule.lineNumber, "the rule for \(rule.pattern.text) has no header lines under it")
            } else {
                rules.append(rule)
            }
        }

        for line in RuleFileLines(bytes) {
            guard !line.bytes.isEmpty, line.bytes.first != UInt8(ascii: "#") else { continue }
            guard !line.isLonger(than: maximumLineLength) else {
                problems.add(line.number, "the line is longer than \(maximumLineLength) characters, the most Cloudflare Pages allows")
                continue
            }
            guard let text = line.text else {
                problems.add(line.number, "the line is not valid UTF-8 text")
                continue
            }
            if isPatternLine(text) {
                finish(current)
                current = nil
                guard rules.count < maximumRules else {
                    problems.add(line.number, "more than \(maximumRules) rules: this line and the rest of the file are ignored")
                    break
                }
                switch parsePattern(text) {
                case .success(let pattern):
                    current = Rule(lineNumber: line.number, pattern: pattern)
                    skippingRefusedRule = false
                case .failure(let error):
                    problems.add(line.number, error.message + "; the rule is skipped")
                    skippingRefusedRule = true
                }
                continue
            }
            guard !skippingRefusedRule else { continue }
            guard current != nil else {
                problems.add(line.number, "a header line must follow a URL pattern line (starting with / or https://)")
                continue
            }
            guard headerLines < maximumHeaderLines else {
                problems.add(line.number, "more than \(maximumHeaderLines) header lines in the file; this one is skipped")
                continue
            }
            switch parseHeaderLine(text, captureNames: current?.pattern.captureNames ?? []) {
            case .success(let headerLine):
                current?.add(headerLine)
                headerLines += 1
            case .failure(let error):
                problems.add(line.number, error.message)
            }
        }
        finish(current)
        return (HeaderRules(rules: rules), problems.all)
    }

    /// The changes for a response to a request for `path` (as the client sent it, percent-encoded, without the
    /// query) on `host` (the `Host` header; a port and a final dot are ignored). Patterns with a host only match
    /// when `host` is given. Rules apply in file order: a rule's `! Name` lines first, then its `Name: value` lines.
    public func headers(for path: String, host: String? = nil) -> HeaderChanges {
        guard !rules.isEmpty else { return HeaderChanges() }
        let path = URLPathNormalization.normalizedPath(path)
        let hostAndPath = hasHostPatterns ? Self.normalizedHost(host).map { $0 + path } : nil
        var changes = HeaderChanges()
        for rule in rules {
            guard let subject = rule.pattern.hasHost ? hostAndPath : path, let captures = rule.pattern.match(subject) else { continue }
            for name in rule.detachments { changes.detach(name) }
            for attachment in rule.attachments {
                changes.attach(name: attachment.name, lowercasedName: attachment.lowercasedName, value: attachment.value.rendered(with: captures))
            }
        }
        return changes
    }

    // MARK: - Lines

    struct LineError: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }

    enum HeaderLine {
        case attach(Rule.Attachment)
        case detach(String)
    }

    /// A line starting with `/`, or whose first word contains `://` (Pages' test).
    private static func isPatternLine(_ line: String) -> Bool {
        if line.hasPrefix("/") { return true }
        let firstWord = line.utf8.prefix(while: { !RuleFileLines.isASCIIWhitespace($0) })
        return Substring(firstWord).contains("://")
    }

    private static func parsePattern(_ line: String) -> Result<RulePattern, LineError> {
        guard !line.utf8.contains(where: RuleFileLines.isASCIIWhitespace) else {
            return .failure(LineError("the URL pattern \(line) contains white space"))
        }
        let withoutFragment = line.prefix(while: { $0 != "#" })
        guard !withoutFragment.contains("?") else {
            return .failure(LineError("the URL pattern \(line) has a query string, which never matches (patterns match paths)"))
        }
        var host = ""
        var path = withoutFragment
        if !line.hasPrefix("/") {
            guard withoutFragment.lowercased().hasPrefix("https://") else {
                return .failure(LineError("the URL pattern \(line) must be a path starting with / or an https:// URL"))
            }
            let rest = withoutFragment.dropFirst("https://".count)
            let hostPart = rest.prefix(while: { $0 != "/" })
            guard !hostPart.isEmpty else { return .failure(LineError("the URL pattern \(line) has no host after https://")) }
            let hostBytes = Array(hostPart.utf8)
            if hostBytes.indices.contains(where: {
                hostBytes[$0] == UInt8(ascii: ":") && !(hostBytes.indices.contains($0 + 1) && PlaceholderName.isStart(hostBytes[$0 + 1]))
            }) {
                return .failure(LineError("the URL pattern \(line) has a port, which Cloudflare Pages does not support"))
            }
            guard hostPart.utf8.allSatisfy(isAllowedInHostPattern) else {
                return .failure(LineError("the host of the URL pattern \(line) may hold letters, digits, -, ., * and :placeholders only"))
            }
            host = hostPart.lowercased()
            path = rest.dropFirst(hostPart.count)
        }
        do {
            let normalizedPath = URLPathNormalization.normalizedPath(path)
            return .success(try RulePattern(text: host + normalizedPath, hostLength: host.utf8.count))
        } catch {
            return .failure(LineError(RedirectRules.patternMessage(error, in: "URL pattern")))
        }
    }

    private static func parseHeaderLine(_ line: String, captureNames: [String]) -> Result<HeaderLine, LineError> {
        if line.hasPrefix("!") {
            let rest = line.utf8.dropFirst()
            guard let first = rest.first, RuleFileLines.isASCIIWhitespace(first) else {
                return .failure(LineError("to remove a header write `! Name`, with a space after the !"))
            }
            let name = Substring(rest.drop(while: RuleFileLines.isASCIIWhitespace))
            guard isToken(name) else {
                return .failure(LineError("`! \(name)` does not name a header: a name is letters, digits and -, with no value"))
            }
            let lowercased = name.lowercased()
            guard !reservedNames.contains(lowercased) else {
                return .failure(LineError("\(name) is set by the edge itself and cannot be removed"))
            }
            return .success(.detach(lowercased))
        }
        guard let colon = line.firstIndex(of: ":") else {
            return .failure(LineError("expected `Name: value` (or `! Name` to remove a header), found no colon"))
        }
        let name = line[..<colon].trimmingASCIIWhitespace()
        let value = line[line.index(after: colon)...].trimmingASCIIWhitespace()
        guard !name.isEmpty else { return .failure(LineError("the header line has no name before its colon")) }
        guard isToken(name) else {
            return .failure(LineError("\(name) is not a header name: letters, digits and !#$%&'*+-.^_`|~ only, no spaces"))
        }
        guard !value.isEmpty else { return .failure(LineError("the header \(name) has no value")) }
        guard value.utf8.allSatisfy(isAllowedInValue) else {
            return .failure(LineError("the value of \(name) contains a control character"))
        }
        let lowercased = name.lowercased()
        guard !reservedNames.contains(lowercased) else {
            return .failure(LineError("\(name) is set by the edge itself and cannot be changed"))
        }
        // A site lives on a subdomain of the platform's domain: a cookie it sets could be sent to the API and the
        // dashboard as well (cookie tossing). Pages' own domain is a public suffix, where browsers refuse such cookies.
        guard lowercased != "set-cookie" else {
            return .failure(LineError("\(name) cannot be set by _headers: a cookie set here would reach every site of the platform's domain"))
        }
        return .success(.attach(.init(name: String(name), lowercasedName: lowercased, value: CaptureTemplate(value, captureNames: captureNames))))
    }

    /// RFC 9110 `token`.
    private static func isToken(_ text: Substring) -> Bool {
        !text.isEmpty
            && text.utf8.allSatisfy { byte in
                PlaceholderName.isContinuation(byte) || "!#$%&'*+-.^`|~".utf8.contains(byte)
            }
    }

    /// RFC 9110 field value bytes: visible ASCII, space, tab, and bytes above 0x7F.
    private static func isAllowedInValue(_ byte: UInt8) -> Bool {
        byte == 0x09 || (0x20...0x7E).contains(byte) || byte >= 0x80
    }

    private static func isAllowedInHostPattern(_ byte: UInt8) -> Bool {
        PlaceholderName.isContinuation(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "*")
            || byte == UInt8(ascii: ":")
    }

    /// The host as patterns see it: lower case, without port or final dot; nil when absent or holding bytes no host
    /// name has (then only patterns without a host apply).
    static func normalizedHost(_ host: String?) -> String? {
        guard let host else { return nil }
        var name = host.lowercased()[...]
        if name.hasPrefix("[") {
            guard let close = name.firstIndex(of: "]") else { return nil }
            name = name[...close]
        } else if let colon = name.firstIndex(of: ":") {
            name = name[..<colon]
        }
        if name.hasSuffix(".") { name = name.dropLast() }
        guard !name.isEmpty,
            name.utf8.allSatisfy({ PlaceholderName.isContinuation($0) || "-.[]:".utf8.contains($0) })
        else { return nil }
        return String(name)
    }
}

extension CaptureTemplate {
    /// `first, second`.
    static func joined(_ first: CaptureTemplate, _ second: CaptureTemplate) -> CaptureTemplate {
        CaptureTemplate(parts: first.parts + [.literal(", ")] + second.parts)
    }

    init(parts: [Part]) { self.parts = parts }
}

extension Substring {
    func trimmingASCIIWhitespace() -> Substring {
        let bytes = utf8.drop(while: RuleFileLines.isASCIIWhitespace)
        var end = bytes.endIndex
        while end > bytes.startIndex, RuleFileLines.isASCIIWhitespace(bytes[bytes.index(before: end)]) { end = bytes.index(before: end) }
        return Substring(bytes[..<end])
    }
}

extension String {
    func trimmingASCIIWhitespace() -> Substring { self[...].trimmingASCIIWhitespace() }
}
