/// A URL pattern of `_redirects` (a source) or `_headers` (a rule's first line), compiled once when the file is read.
///
/// Cloudflare Pages' syntax: `*` (the splat, at most once) matches any run of characters, `/` included, even an empty
/// one; `:name` (a letter then letters, digits or `_`; each name once) matches one or more characters other than `/`,
/// and in a host also other than `.`. The whole path must match. Where a path could match several ways, each
/// wildcard takes as much as it can, the first first (the way a backtracking regular expression would decide), but
/// the answer is computed in time linear in the path's length times the pattern's tokens, without backtracking.
struct RulePattern: Sendable, Equatable {
    enum Token: Sendable, Equatable {
        case literal([UInt8])
        /// `:name`: one or more bytes other than `/`, and other than `.` when `stopsAtDot` (a host's label).
        case placeholder(capture: Int, stopsAtDot: Bool)
        /// `*`: any bytes, possibly none.
        case splat(capture: Int)
    }

    /// Why a pattern cannot be used.
    enum Problem: Error, Equatable {
        case splatTwice
        case placeholderTwice(String)
        case tooManyPlaceholders
    }

    /// More would only make a pattern slower to match; no real file comes close.
    static let maximumPlaceholders = 32

    /// The pattern as matched: normalized path, or lower-case host followed by the path.
    let text: String
    let tokens: [Token]
    /// The name of each capture by index; the splat's is `splat`.
    let captureNames: [String]
    /// Whether the pattern begins with a host (from an `https://` URL): then it is matched against host and path.
    let hasHost: Bool
    /// The fewest bytes a subject needs to match.
    private let minimumLength: Int

    /// Whether the pattern has neither splat nor placeholder.
    var isStatic: Bool { captureNames.isEmpty }

    /// Compiles `text`, whose first `hostLength` bytes are a host (0 for a path).
    init(text: String, hostLength: Int) throws(Problem) {
        var tokens: [Token] = []
        var names: [String] = []
        var literal: [UInt8] = []
        var minimumLength = 0
        let bytes = Array(text.utf8)
        var index = 0
        func flushLiteral() {
            if !literal.isEmpty {
                tokens.append(.literal(literal))
                minimumLength += literal.count
                literal = []
            }
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "*") {
                guard !names.contains("splat") else { throw .splatTwice }
                flushLiteral()
                tokens.append(.splat(capture: names.count))
                names.append("splat")
                index += 1
            } else if byte == UInt8(ascii: ":"), index + 1 < bytes.count, PlaceholderName.isStart(bytes[index + 1]) {
                let end = PlaceholderName.end(in: bytes, from: index + 1)
                let name = String(decoding: bytes[(index + 1)..<end], as: UTF8.self)
                guard !names.contains(name) else { throw .placeholderTwice(name) }
                guard names.count(where: { $0 != "splat" }) < Self.maximumPlaceholders else { throw .tooManyPlaceholders }
                flushLiteral()
                tokens.append(.placeholder(capture: names.count, stopsAtDot: index < hostLength))
                names.append(name)
                minimumLength += 1
                index = end
            } else {
                literal.append(byte)
                index += 1
            }
        }
        flushLiteral()
        self.text = text
        self.tokens = tokens
        self.captureNames = names
        self.hasHost = hostLength > 0
        self.minimumLength = minimumLength
    }

    /// The captures (by index, as in `captureNames`) when `subject` matches the whole pattern, nil otherwise.
    func match(_ subject: String) -> [String]? {
        var subject = subject
        subject.makeContiguousUTF8()
        return subject.utf8.withContiguousStorageIfAvailable { match(bytes: $0) } ?? nil
    }

    func match(bytes subject: UnsafeBufferPointer<UInt8>) -> [String]? {
        guard subject.count >= minimumLength else { return nil }
        // Cheap refusals first: most rules fail on their leading literal.
        if case .literal(let first) = tokens.first, !subject.starts(with: first) { return nil }
        if tokens.count > 1, case .literal(let last) = tokens.last, !Self.bytes(of: subject, at: subject.count - last.count, equal: last) {
            return nil
        }
        switch tokens.count {
        case 0: return subject.isEmpty ? [] : nil
        case 1:
            if case .literal(let only) = tokens[0] { return subject.count == only.count ? [] : nil }
        case 2:
            if case .literal(let prefix) = tokens[0], case .splat = tokens[1] {
                return [String(decoding: UnsafeBufferPointer(rebasing: subject[prefix.count...]), as: UTF8.self)]
            }
        default: break
        }
        guard let ranges = captureRanges(in: subject) else { return nil }
        return ranges.map { String(decoding: UnsafeBufferPointer(rebasing: subject[$0]), as: UTF8.self) }
    }

    /// The general case. `table[t][p]` tells whether tokens `t...` can match `subject[p...]`; it is filled from the last
    /// token back, each row in one pass from the end. Then one walk forward gives each wildcard the longest match
    /// after which the rest still matches, which is the choice a backtracking matcher would commit to first.
    private func captureRanges(in subject: UnsafeBufferPointer<UInt8>) -> [Range<Int>]? {
        let length = subject.count
        let wordsPerRow = (length + 1 + 63) / 64
        let rows = tokens.count + 1
        return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: rows * wordsPerRow) { table -> [Range<Int>]? in
            table.initialize(repeating: 0)
            func isSet(_ row: Int, _ column: Int) -> Bool {
                table[row * wordsPerRow + column >> 6] & (1 << UInt64(column & 63)) != 0
            }
            func set(_ row: Int, _ column: Int) {
                table[row * wordsPerRow + column >> 6] |= 1 << UInt64(column & 63)
            }
            set(tokens.count, length)
            for row in stride(from: tokens.count - 1, through: 0, by: -1) {
                switch tokens[row] {
                case .literal(let literal):
                    guard literal.count <= length else { continue }
                    for position in 0...(length - literal.count) where isSet(row + 1, position + literal.count) {
                        if Self.bytes(of: subject, at: position, equal: literal) { set(row, position) }
                    }
                case .placeholder(_, let stopsAtDot):
                    var followingMatches = false
                    for position in stride(from: length - 1, through: 0, by: -1) {
                        let matches =
                            Self.placeholderAccepts(subject[position], stopsAtDot: stopsAtDot)
                            && (followingMatches || isSet(row + 1, position + 1))
                        if matches { set(row, position) }
                        followingMatches = matches
                    }
                case .splat:
                    var followingMatches = false
                    for position in stride(from: length, through: 0, by: -1) {
                        let matches = followingMatches || isSet(row + 1, position)
                        if matches { set(row, position) }
                        followingMatches = matches
                    }
                }
            }
            guard isSet(0, 0) else { return nil }
            var captures = [Range<Int>](repeating: 0..<0, count: captureNames.count)
            var position = 0
            for (row, token) in tokens.enumerated() {
                switch token {
                case .literal(let literal):
                    position += literal.count
                case .placeholder(let capture, let stopsAtDot):
                    var end = position
                    var longest = position
                    while end < length, Self.placeholderAccepts(subject[end], stopsAtDot: stopsAtDot) {
                        end += 1
                        if isSet(row + 1, end) { longest = end }
                    }
                    captures[capture] = position..<longest
                    position = longest
                case .splat(let capture):
                    var end = length
                    while !isSet(row + 1, end) { end -= 1 }
                    captures[capture] = position..<end
                    position = end
                }
            }
            return captures
        }
    }

    private static func placeholderAccepts(_ byte: UInt8, stopsAtDot: Bool) -> Bool {
        byte != UInt8(ascii: "/") && !(stopsAtDot && byte == UInt8(ascii: "."))
    }

    private static func bytes(of subject: UnsafeBufferPointer<UInt8>, at position: Int, equal literal: [UInt8]) -> Bool {
        for offset in 0..<literal.count where subject[position + offset] != literal[offset] { return false }
        return true
    }
}

/// `:name` in patterns, targets and header values: a colon, an ASCII letter, then ASCII letters, digits or `_`.
enum PlaceholderName {
    static func isStart(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    static func isContinuation(_ byte: UInt8) -> Bool {
        isStart(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_")
    }

    /// The index after the name that starts at `start`.
    static func end(in bytes: [UInt8], from start: Int) -> Int {
        var end = start + 1
        while end < bytes.count, isContinuation(bytes[end]) { end += 1 }
        return end
    }
}

/// A destination or header value with `:name` references to a pattern's captures, split once when the file is read.
/// A `:name` that the pattern does not capture stays as written (`https://example.com:8080` is not a reference).
struct CaptureTemplate: Sendable, Equatable {
    enum Part: Sendable, Equatable {
        case literal(String)
        case capture(Int)
    }

    let parts: [Part]

    init(_ text: some StringProtocol, captureNames: [String]) {
        let bytes = Array(text.utf8)
        var parts: [Part] = []
        var literal: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: ":"), index + 1 < bytes.count, PlaceholderName.isStart(bytes[index + 1]) {
                let end = PlaceholderName.end(in: bytes, from: index + 1)
                let name = String(decoding: bytes[(index + 1)..<end], as: UTF8.self)
                if let capture = captureNames.firstIndex(of: name) {
                    if !literal.isEmpty { parts.append(.literal(String(decoding: literal, as: UTF8.self))) }
                    literal = []
                    parts.append(.capture(capture))
                } else {
                    literal.append(contentsOf: bytes[index..<end])
                }
                index = end
            } else {
                literal.append(bytes[index])
                index += 1
            }
        }
        if !literal.isEmpty { parts.append(.literal(String(decoding: literal, as: UTF8.self))) }
        self.parts = parts
    }

    /// The text with each reference replaced by its capture, in one pass (a capture is never searched again).
    func rendered(with captures: [String]) -> String {
        if parts.count == 1, case .literal(let text) = parts[0] { return text }
        var result = ""
        for part in parts {
            switch part {
            case .literal(let text): result += text
            case .capture(let index): result += captures[index]
            }
        }
        return result
    }
}
