import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// How far a head has arrived in a buffer.
enum HeadScan<Head> {
    /// The empty line that ends the head has not arrived yet.
    case incomplete
    /// The bytes are not a head the edge reads itself (bad syntax, bare line feeds, folded lines).
    case invalid
    /// The head, whole.
    case complete(Head)
}

/// What a message's `Connection` header says, and whether it names other headers (which then stay behind).
struct ConnectionOptions {
    var close = false
    var keepAlive = false
    var upgrade = false
    var namesOtherHeaders = false

    /// Whether the connection stays open after the message: HTTP/1.1 unless `close`, HTTP/1.0 only with `keep-alive`.
    func keepsAlive(isHTTP10: Bool) -> Bool { isHTTP10 ? keepAlive && !close : !close }
}

/// The fields of a head that say how its body is framed and what becomes of the connection, read the same way in
/// requests and responses.
struct FramingFields {
    var contentLength: Int?
    var hasConflictingLengths = false
    var transferCoding = TransferCoding.none
    var connection = ConnectionOptions()

    /// Reads the field `name: value` if it is one of these; false for any other.
    mutating func read(name: Range<Int>, value: Range<Int>, in bytes: UnsafeRawBufferPointer) -> Bool {
        switch name.count {
        case 14 where HTTP1Syntax.namesEqual(bytes, name, "content-length"):
            let length = HTTP1Syntax.decimal(bytes, value)
            if length == nil || (contentLength != nil && contentLength != length) { hasConflictingLengths = true }
            contentLength = length
        case 17 where HTTP1Syntax.namesEqual(bytes, name, "transfer-encoding"):
            transferCoding = HTTP1Syntax.lastCodingIsChunked(bytes, value) ? .chunked : .other
        case 10 where HTTP1Syntax.namesEqual(bytes, name, "connection"):
            HTTP1Syntax.readConnection(bytes, value, into: &connection)
        default:
            return false
        }
        return true
    }
}

/// A request head as the edge reads it off the wire: only what routing and framing need, as offsets into its bytes
/// (the start line and every field stay where they are, for `ProxyHeaders` to copy).
struct RequestHead {
    /// The head's length in bytes, its empty line included.
    var length = 0
    /// Where the request line's CR is.
    var startLineEnd = 0
    var isHEAD = false
    var isGET = false
    var isCONNECT = false
    /// The request target (`/path?query`) in the request line.
    var target = 0..<0
    /// The values of the fields a static file's answer depends on (`StaticFront`), when sent once each.
    var conditionals = StaticConditionalFields()
    /// Whether its method may be sent twice with the effect of once (RFC 9110 §9.2.2).
    var isIdempotent = false
    var isHTTP10 = false
    var hostCount = 0
    /// The value of its (last) `Host` line.
    var host: Range<Int>?
    var framing = FramingFields()
    var contentLength: Int? { framing.contentLength }
    var connection: ConnectionOptions { framing.connection }
    /// Whether it asks to switch protocols (`Upgrade:` with anything but `h2c`, which a server may ignore).
    var asksForUpgrade = false
    /// Whether it says `Expect: 100-continue`.
    var expectsContinue = false
    /// The value of its (last) `Slipway-Forwarded-By` line: the edge's mark on a request it relayed (`ForwardingMark`).
    var forwardedBy: Range<Int>?

    /// Whether the client keeps the connection after this exchange.
    var keepAlive: Bool { connection.keepsAlive(isHTTP10: isHTTP10) }

    /// How its body is framed; nil when the head is ambiguous about it (a length and a coding, two lengths, a
    /// coding that does not end in `chunked`): the edge then leaves the request to NIO's decoder, which refuses it.
    var bodyFraming: BodyFraming? {
        switch framing.transferCoding {
        case .chunked: return contentLength == nil && !framing.hasConflictingLengths ? .chunked() : nil
        case .other: return nil
        case .none: return framing.hasConflictingLengths ? nil : .length(contentLength ?? 0)
        }
    }

    /// Reads the head at the start of `buffer`.
    static func scan(_ buffer: ByteBuffer) -> HeadScan<RequestHead> {
        buffer.withUnsafeReadableBytes { bytes in
            guard let length = HTTP1Syntax.headLength(bytes) else { return .incomplete }
            var head = RequestHead()
            head.length = length
            guard let lineEnd = HTTP1Syntax.startLineEnd(bytes), head.readRequestLine(bytes, end: lineEnd) else { return .invalid }
            head.startLineEnd = lineEnd
            let valid = HTTP1Syntax.forEachField(bytes, from: lineEnd + 2, to: length) { name, value, _ in
                head.read(name: name, value: value, in: bytes)
            }
            return valid ? .complete(head) : .invalid
        }
    }

    private mutating func readRequestLine(_ bytes: UnsafeRawBufferPointer, end: Int) -> Bool {
        guard let firstSpace = HTTP1Syntax.index(of: UInt8(ascii: " "), in: bytes, from: 0, to: end), firstSpace > 0,
            let secondSpace = HTTP1Syntax.index(of: UInt8(ascii: " "), in: bytes, from: firstSpace + 1, to: end),
            secondSpace > firstSpace + 1
        else { return false }
        for index in 0..<firstSpace where !HTTP1Syntax.isTokenCharacter(bytes[index]) { return false }
        for index in (firstSpace + 1)..<secondSpace where bytes[index] <= 0x20 || bytes[index] == 0x7F { return false }
        guard let minor = HTTP1Syntax.httpVersionMinor(bytes, secondSpace + 1..<end) else { return false }
        isHTTP10 = minor == 0
        isHEAD = HTTP1Syntax.equals(bytes, 0..<firstSpace, "HEAD")
        isGET = HTTP1Syntax.equals(bytes, 0..<firstSpace, "GET")
        target = (firstSpace + 1)..<secondSpace
        isCONNECT = HTTP1Syntax.equals(bytes, 0..<firstSpace, "CONNECT")
        let method = 0..<firstSpace
        isIdempotent =
            isHEAD || HTTP1Syntax.equals(bytes, method, "GET") || HTTP1Syntax.equals(bytes, method, "PUT")
            || HTTP1Syntax.equals(bytes, method, "DELETE") || HTTP1Syntax.equals(bytes, method, "OPTIONS")
        return true
    }

    private mutating func read(name: Range<Int>, value: Range<Int>, in bytes: UnsafeRawBufferPointer) {
        if framing.read(name: name, value: value, in: bytes) { return }
        switch name.count {
        case 4 where HTTP1Syntax.namesEqual(bytes, name, "host"):
            hostCount += 1
            host = value
        case 7 where HTTP1Syntax.namesEqual(bytes, name, "upgrade"):
            HTTP1Syntax.forEachToken(bytes, value) { token in
                if !HTTP1Syntax.namesEqual(bytes, token, "h2c") { asksForUpgrade = true }
            }
        case 6 where HTTP1Syntax.namesEqual(bytes, name, "expect"):
            expectsContinue = HTTP1Syntax.namesEqual(bytes, value, "100-continue")
        case 20 where HTTP1Syntax.namesEqual(bytes, name, ForwardingMark.headerName):
            forwardedBy = value
        case 5, 8, 13, 15, 17:
            conditionals.read(name: name, value: value, in: bytes)
        default:
            break
        }
    }
}

/// A response head from a service process, read like `RequestHead`.
struct ResponseHead {
    var length = 0
    var startLineEnd = 0
    var status = 0
    var isHTTP10 = false
    var framing = FramingFields()
    var contentLength: Int? { framing.contentLength }
    var connection: ConnectionOptions { framing.connection }

    /// Whether the process keeps the connection open after this response.
    var keepsAlive: Bool { connection.keepsAlive(isHTTP10: isHTTP10) }

    /// How its body is framed (RFC 9112 §6.3), for a request that was a HEAD or not; nil when its lengths disagree.
    func bodyFraming(forHEAD isHEAD: Bool) -> BodyFraming? {
        if isHEAD || status < 200 || status == 204 || status == 304 { return .length(0) }
        switch framing.transferCoding {
        case .chunked: return .chunked()
        case .other: return .untilClose
        case .none:
            if framing.hasConflictingLengths { return nil }
            return contentLength.map { .length($0) } ?? .untilClose
        }
    }

    /// Reads the head at the start of `buffer`.
    static func scan(_ buffer: ByteBuffer) -> HeadScan<ResponseHead> {
        buffer.withUnsafeReadableBytes { bytes in
            guard let length = HTTP1Syntax.headLength(bytes) else { return .incomplete }
            var head = ResponseHead()
            head.length = length
            // `HTTP/1.1 200 OK`: the version, a space, three digits, then a space and a reason, or nothing.
            guard let lineEnd = HTTP1Syntax.startLineEnd(bytes), lineEnd >= 12,
                let minor = HTTP1Syntax.httpVersionMinor(bytes, 0..<8), bytes[8] == UInt8(ascii: " "),
                let status = HTTP1Syntax.decimal(bytes, 9..<12), lineEnd == 12 || bytes[12] == UInt8(ascii: " ")
            else { return .invalid }
            head.startLineEnd = lineEnd
            head.isHTTP10 = minor == 0
            head.status = status
            let valid = HTTP1Syntax.forEachField(bytes, from: lineEnd + 2, to: length) { name, value, _ in
                _ = head.framing.read(name: name, value: value, in: bytes)
            }
            return valid ? .complete(head) : .invalid
        }
    }
}

/// A message's `Transfer-Encoding`, as far as framing goes.
enum TransferCoding {
    case none
    /// The last coding is `chunked`: the body is chunked.
    case chunked
    /// Codings that do not end in `chunked`.
    case other
}

/// The byte-level grammar of HTTP/1 heads (RFC 9112), on the raw bytes of a buffer; offsets count from its reader index.
enum HTTP1Syntax {
    private static let cr = UInt8(ascii: "\r")
    private static let lf = UInt8(ascii: "\n")

    /// The length of the head at the start of `bytes`, through its empty line; nil until that line has arrived.
    static func headLength(_ bytes: UnsafeRawBufferPointer) -> Int? {
        var index = 0
        while let newline = HTTP1Syntax.index(of: lf, in: bytes, from: index, to: bytes.count) {
            // The empty line: LF right after the previous line's LF, or CR LF.
            let next = newline + 1
            if next < bytes.count, bytes[next] == lf { return next + 1 }
            if next + 1 < bytes.count, bytes[next] == cr, bytes[next + 1] == lf { return next + 2 }
            if next + 1 >= bytes.count { return nil }
            index = next
        }
        return nil
    }

    /// Where the start line's CR is; nil when it ends in a bare LF.
    static func startLineEnd(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard let newline = index(of: lf, in: bytes, from: 0, to: bytes.count), newline > 0, bytes[newline - 1] == cr else { return nil }
        return newline - 1
    }

    /// Calls `body` with each field line's name, value (without the whitespace around it) and whole line (without
    /// CR LF), from `start` to the head's end; false when a line is not a valid field (bare LF, folded, bad name).
    static func forEachField(
        _ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int,
        _ body: (_ name: Range<Int>, _ value: Range<Int>, _ line: Range<Int>) -> Void
    ) -> Bool {
        var lineStart = start
        while lineStart < end {
            guard let newline = index(of: lf, in: bytes, from: lineStart, to: end), newline > lineStart, bytes[newline - 1] == cr else {
                return false
            }
            let lineEnd = newline - 1
            if lineEnd == lineStart { return newline + 1 == end }
            guard let colon = index(of: UInt8(ascii: ":"), in: bytes, from: lineStart, to: lineEnd), colon > lineStart else { return false }
            for index in lineStart..<colon where !isTokenCharacter(bytes[index]) { return false }
            var valueStart = colon + 1
            var valueEnd = lineEnd
            while valueStart < valueEnd, isWhitespace(bytes[valueStart]) { valueStart += 1 }
            while valueEnd > valueStart, isWhitespace(bytes[valueEnd - 1]) { valueEnd -= 1 }
            body(lineStart..<colon, valueStart..<valueEnd, lineStart..<lineEnd)
            lineStart = newline + 1
        }
        return false
    }

    /// The minor version of `HTTP/1.0` or `HTTP/1.1` in `range`; nil for anything else.
    static func httpVersionMinor(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int? {
        guard range.count == 8, equals(bytes, range.lowerBound..<range.lowerBound + 7, "HTTP/1.") else { return nil }
        switch bytes[range.lowerBound + 7] {
        case UInt8(ascii: "0"): return 0
        case UInt8(ascii: "1"): return 1
        default: return nil
        }
    }

    /// The decimal number in `range` (digits only, at most 18 of them).
    static func decimal(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int? {
        guard !range.isEmpty, range.count <= 18 else { return nil }
        var value = 0
        for index in range {
            let digit = Int(bytes[index]) - 48
            guard digit >= 0 && digit <= 9 else { return nil }
            value = value * 10 + digit
        }
        return value
    }

    /// Calls `body` with each comma-separated token of `range`, without the whitespace around it.
    static func forEachToken(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ body: (Range<Int>) -> Void) {
        var start = range.lowerBound
        while start < range.upperBound {
            let comma = index(of: UInt8(ascii: ","), in: bytes, from: start, to: range.upperBound) ?? range.upperBound
            var tokenStart = start
            var tokenEnd = comma
            while tokenStart < tokenEnd, isWhitespace(bytes[tokenStart]) { tokenStart += 1 }
            while tokenEnd > tokenStart, isWhitespace(bytes[tokenEnd - 1]) { tokenEnd -= 1 }
            if tokenEnd > tokenStart { body(tokenStart..<tokenEnd) }
            start = comma + 1
        }
    }

    /// Reads the tokens of a `Connection` value.
    static func readConnection(_ bytes: UnsafeRawBufferPointer, _ value: Range<Int>, into options: inout ConnectionOptions) {
        forEachToken(bytes, value) { token in
            if namesEqual(bytes, token, "close") {
                options.close = true
            } else if namesEqual(bytes, token, "keep-alive") {
                options.keepAlive = true
            } else if namesEqual(bytes, token, "upgrade") {
                options.upgrade = true
            } else {
                options.namesOtherHeaders = true
            }
        }
    }

    /// Whether the last coding of a `Transfer-Encoding` value is `chunked`.
    static func lastCodingIsChunked(_ bytes: UnsafeRawBufferPointer, _ value: Range<Int>) -> Bool {
        var last: Range<Int>?
        forEachToken(bytes, value) { last = $0 }
        return last.map { namesEqual(bytes, $0, "chunked") } ?? false
    }

    /// Whether `range` holds `lowercased`, ignoring the case of ASCII letters.
    static func namesEqual(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ lowercased: StaticString) -> Bool {
        guard range.count == lowercased.utf8CodeUnitCount else { return false }
        let expected = lowercased.utf8Start
        for offset in 0..<range.count where lowercase(bytes[range.lowerBound + offset]) != expected[offset] { return false }
        return true
    }

    /// Whether two ranges of `bytes` hold the same name, ignoring the case of ASCII letters.
    static func namesEqual(_ bytes: UnsafeRawBufferPointer, _ first: Range<Int>, _ second: Range<Int>) -> Bool {
        guard first.count == second.count else { return false }
        for offset in 0..<first.count where lowercase(bytes[first.lowerBound + offset]) != lowercase(bytes[second.lowerBound + offset]) {
            return false
        }
        return true
    }

    /// An ASCII letter in lower case; any other byte as it is.
    private static func lowercase(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }

    /// Whether `range` starts with `lowercased`, ignoring the case of ASCII letters.
    static func nameHasPrefix(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ lowercased: StaticString) -> Bool {
        let count = lowercased.utf8CodeUnitCount
        return range.count >= count && namesEqual(bytes, range.lowerBound..<range.lowerBound + count, lowercased)
    }

    /// Whether `range` holds exactly `text`.
    static func equals(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ text: StaticString) -> Bool {
        guard range.count == text.utf8CodeUnitCount else { return false }
        let expected = text.utf8Start
        for offset in 0..<range.count where bytes[range.lowerBound + offset] != expected[offset] { return false }
        return true
    }

    /// The first index of `byte` in `lower..<upper`.
    static func index(of byte: UInt8, in bytes: UnsafeRawBufferPointer, from lower: Int, to upper: Int) -> Int? {
        guard lower < upper, let base = bytes.baseAddress else { return nil }
        guard let found = memchr(base + lower, Int32(byte), upper - lower) else { return nil }
        return base.distance(to: UnsafeRawPointer(found))
    }

    /// `tchar` of RFC 9110 §5.6.2.
    static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
            UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
            UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }
}

/// The fields of a request that decide how a static file is answered, as offsets into the head. A field sent twice
/// makes the request one the edge's front leaves to the full HTTP server (`repeated`).
struct StaticConditionalFields {
    var ifNoneMatch: Range<Int>?
    var ifModifiedSince: Range<Int>?
    var range: Range<Int>?
    var ifRange: Range<Int>?
    var acceptEncoding: Range<Int>?
    var repeated = false

    /// Whether the request carries none of them: the common case, answered from a prepared head.
    var isEmpty: Bool { ifNoneMatch == nil && ifModifiedSince == nil && range == nil && ifRange == nil }

    mutating func read(name: Range<Int>, value: Range<Int>, in bytes: UnsafeRawBufferPointer) {
        func keep(_ field: inout Range<Int>?) {
            if field != nil { repeated = true }
            field = value
        }
        switch name.count {
        case 5 where HTTP1Syntax.namesEqual(bytes, name, "range"): keep(&range)
        case 8 where HTTP1Syntax.namesEqual(bytes, name, "if-range"): keep(&ifRange)
        case 13 where HTTP1Syntax.namesEqual(bytes, name, "if-none-match"): keep(&ifNoneMatch)
        case 15 where HTTP1Syntax.namesEqual(bytes, name, "accept-encoding"): keep(&acceptEncoding)
        case 17 where HTTP1Syntax.namesEqual(bytes, name, "if-modified-since"): keep(&ifModifiedSince)
        default: break
        }
    }
}
