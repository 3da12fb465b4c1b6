/// A line of a `_redirects` or `_headers` file that was skipped, and why, for the deployment's log.
public struct LineProblem: Sendable, Equatable, CustomStringConvertible {
    /// The 1-based number of the line in the file.
    public var lineNumber: Int
    /// What is wrong, in words a site's author understands.
    public var message: String

    /// A problem on a line.
    public init(lineNumber: Int, message: String) {
        self.lineNumber = lineNumber
        self.message = message
    }

    /// `line 12: …`, as written in a deployment's log.
    public var description: String { "line \(lineNumber): \(message)" }
}

/// The problems of one file, at most `limit` of them in words; the rest are counted in one last problem, so that a
/// file of ten million bad lines costs a few kilobytes of log.
struct LineProblems {
    static let limit = 100

    private(set) var problems: [LineProblem] = []
    private var omitted = 0
    private var firstOmittedLine = 0

    mutating func add(_ lineNumber: Int, _ message: @autoclosure () -> String) {
        if problems.count < Self.limit {
            problems.append(LineProblem(lineNumber: lineNumber, message: message()))
        } else {
            if omitted == 0 { firstOmittedLine = lineNumber }
            omitted += 1
        }
    }

    /// The problems in line order, with the count of those left out last.
    var all: [LineProblem] {
        // A rule found empty is reported when the next one starts: restore line order (the sort is stable).
        let problems = problems.enumerated().sorted { ($0.element.lineNumber, $0.offset) < ($1.element.lineNumber, $1.offset) }.map(\.element)
        guard omitted > 0 else { return problems }
        let summary = LineProblem(
            lineNumber: firstOmittedLine,
            message: "\(omitted) more problem\(omitted == 1 ? "" : "s") from this line on, not listed (only the first \(Self.limit) are)"
        )
        return problems + [summary]
    }
}

/// The lines of a rules file: split at `\n`, a `\r` before it dropped (CRLF files), a UTF-8 byte order mark at the
/// start ignored, each trimmed of ASCII white space.
struct RuleFileLines: Sequence {
    struct Line {
        /// 1-based.
        var number: Int
        /// Trimmed of leading and trailing ASCII white space.
        var bytes: ArraySlice<UInt8>
        /// The whole line but its end (`\n` or `\r\n`): what the length limits count.
        var untrimmed: ArraySlice<UInt8>
    }

    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func makeIterator() -> Iterator { Iterator(bytes: bytes) }

    struct Iterator: IteratorProtocol {
        let bytes: [UInt8]
        var position: Int
        var number = 0

        init(bytes: [UInt8]) {
            self.bytes = bytes
            self.position = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        }

        mutating func next() -> Line? {
            guard position < bytes.count else { return nil }
            number += 1
            var end = position
            while end < bytes.count, bytes[end] != UInt8(ascii: "\n") { end += 1 }
            var start = position
            var last = end
            let untrimmedEnd = end > position && bytes[end - 1] == UInt8(ascii: "\r") ? end - 1 : end
            let untrimmed = bytes[position..<untrimmedEnd]
            position = end + 1
            while start < last, isASCIIWhitespace(bytes[start]) { start += 1 }
            while last > start, isASCIIWhitespace(bytes[last - 1]) { last -= 1 }
            return Line(number: number, bytes: bytes[start..<last], untrimmed: untrimmed)
        }
    }

    /// Space, tab, CR, vertical tab, form feed.
    static func isASCIIWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0B || byte == 0x0C
    }
}

extension RuleFileLines.Line {
    /// The line as text, or nil when its bytes are not UTF-8.
    var text: String? { String(validating: bytes, as: UTF8.self) }

    /// Whether the line, white space included, is longer than `limit` characters (Unicode scalars), without counting
    /// past the limit.
    func isLonger(than limit: Int) -> Bool {
        guard untrimmed.count > limit else { return false }
        // Each scalar is 1 to 4 bytes; count lead bytes (all but 10xxxxxx) until past the limit.
        var scalars = 0
        for byte in untrimmed where byte & 0xC0 != 0x80 {
            scalars += 1
            if scalars > limit { return true }
        }
        return false
    }
}
