/// The one way `_redirects` and `_headers` spell URL paths, so that a pattern written in a file and a path sent by a
/// client compare byte for byte: RFC 3986's syntax-based normalization (§6.2.2) plus the removal of dot segments.
///
/// - a byte a path may not hold raw (a space, a control byte, non-ASCII, `"`, `<`, `\`, …) is percent-encoded;
/// - an escape of an unreserved character (`%41`, `%2E`) is decoded, every other escape keeps its byte with upper-case
///   hex (`%2f` → `%2F`); a `%` not followed by two hex digits becomes `%25`;
/// - `.` and `..` segments are resolved (never above the root), as browsers and Cloudflare's URL parser do.
enum URLPathNormalization {
    /// The normalized form of a path; `path` without a leading `/` gets one.
    static func normalizedPath(_ path: some StringProtocol) -> String {
        if path.utf8.first == UInt8(ascii: "/"), isAlreadyNormal(path.utf8) { return String(path) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(path.utf8.count + 1)
        if path.utf8.first != UInt8(ascii: "/") { bytes.append(UInt8(ascii: "/")) }
        appendNormalizedEncoding(of: path.utf8, allowing: isAllowedInPath, to: &bytes)
        return String(decoding: removingDotSegments(bytes), as: UTF8.self)
    }

    /// A path of the site a rewrite may serve: normalized, with `%2F` read as the separator it stands for (the edge
    /// does so when it finds the file) before the dot segments go, and one leading slash (`//x` is `/x`).
    static func sitePath(_ path: some StringProtocol) -> String {
        var encoded: [UInt8] = path.utf8.first == UInt8(ascii: "/") ? [] : [UInt8(ascii: "/")]
        encoded.reserveCapacity(path.utf8.count + 1)
        appendNormalizedEncoding(of: path.utf8, allowing: isAllowedInPath, to: &encoded)
        var separated: [UInt8] = []
        separated.reserveCapacity(encoded.count)
        var index = 0
        while index < encoded.count {
            if encoded[index] == UInt8(ascii: "%"), index + 2 < encoded.count, encoded[index + 1] == UInt8(ascii: "2"),
                encoded[index + 2] == UInt8(ascii: "F")
            {
                separated.append(UInt8(ascii: "/"))
                index += 3
            } else {
                separated.append(encoded[index])
                index += 1
            }
        }
        return String(decoding: collapsingLeadingSlashes(removingDotSegments(separated)), as: UTF8.self)
    }

    /// A relative redirect target's path: normalized, and never starting with `//`, which a browser would read as
    /// another host (`/go/* /:splat` asked for `/go//evil.example` must stay on this site).
    static func redirectPath(_ path: some StringProtocol) -> String {
        var bytes: [UInt8] = path.utf8.first == UInt8(ascii: "/") ? [] : [UInt8(ascii: "/")]
        bytes.reserveCapacity(path.utf8.count + 1)
        appendNormalizedEncoding(of: path.utf8, allowing: isAllowedInPath, to: &bytes)
        return String(decoding: collapsingLeadingSlashes(removingDotSegments(bytes)), as: UTF8.self)
    }

    /// A query or fragment made safe for a `Location` header: bytes a URL may not hold raw are percent-encoded.
    static func encodedQueryOrFragment(_ text: some StringProtocol) -> String {
        guard !text.utf8.allSatisfy({ isAllowedInQuery($0) && $0 != UInt8(ascii: "%") }) else { return String(text) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        appendNormalizedEncoding(of: text.utf8, allowing: isAllowedInQuery, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A path of an absolute (`https://`) target: encoded like any path, dot segments left as written.
    static func encodedAbsolutePath(_ text: some StringProtocol) -> String {
        guard !text.utf8.allSatisfy({ isAllowedInPath($0) && $0 != UInt8(ascii: "%") }) else { return String(text) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        appendNormalizedEncoding(of: text.utf8, allowing: isAllowedInPath, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: - Encoding

    static func appendNormalizedEncoding(
        of input: some Collection<UInt8>, allowing isAllowed: (UInt8) -> Bool, to output: inout [UInt8]
    ) {
        var index = input.startIndex
        while index != input.endIndex {
            let byte = input[index]
            input.formIndex(after: &index)
            if byte == UInt8(ascii: "%") {
                var lookahead = index
                if lookahead != input.endIndex, let high = hexValue(input[lookahead]) {
                    input.formIndex(after: &lookahead)
                    if lookahead != input.endIndex, let low = hexValue(input[lookahead]) {
                        input.formIndex(after: &lookahead)
                        index = lookahead
                        let decoded = high << 4 | low
                        if isUnreserved(decoded) {
                            output.append(decoded)
                        } else {
                            appendEscape(of: decoded, to: &output)
                        }
                        continue
                    }
                }
                appendEscape(of: byte, to: &output)
            } else if isAllowed(byte) {
                output.append(byte)
            } else {
                appendEscape(of: byte, to: &output)
            }
        }
    }

    private static func appendEscape(of byte: UInt8, to output: inout [UInt8]) {
        let digits: StaticString = "0123456789ABCDEF"
        let table = digits.utf8Start
        output.append(UInt8(ascii: "%"))
        output.append(table[Int(byte >> 4)])
        output.append(table[Int(byte & 0x0F)])
    }

    /// Whether `path` needs no work: only bytes allowed raw, no `%` at all, and no segment starting with `.`.
    private static func isAlreadyNormal(_ path: some Collection<UInt8>) -> Bool {
        var previous: UInt8 = 0
        for byte in path {
            guard isAllowedInPath(byte), byte != UInt8(ascii: "%") else { return false }
            if byte == UInt8(ascii: "."), previous == UInt8(ascii: "/") { return false }
            previous = byte
        }
        return true
    }

    // MARK: - Dot segments

    /// RFC 3986 §5.2.4 for a path that starts with `/`: `.` segments vanish, `..` removes the segment before it (or
    /// nothing at the root); a path ending in `.` or `..` keeps a trailing slash. Linear: each `..` removes what it
    /// scans.
    static func removingDotSegments(_ path: [UInt8]) -> [UInt8] {
        guard path.contains(UInt8(ascii: ".")) else { return path }
        var output: [UInt8] = []
        output.reserveCapacity(path.count)
        var start = 1  // after the leading slash
        while start <= path.count {
            var end = start
            while end < path.count, path[end] != UInt8(ascii: "/") { end += 1 }
            let isLast = end >= path.count
            let length = end - start
            if length == 1, path[start] == UInt8(ascii: ".") {
                if isLast { output.append(UInt8(ascii: "/")) }
            } else if length == 2, path[start] == UInt8(ascii: "."), path[start + 1] == UInt8(ascii: ".") {
                if let lastSlash = output.lastIndex(of: UInt8(ascii: "/")) { output.removeSubrange(lastSlash...) }
                if isLast { output.append(UInt8(ascii: "/")) }
            } else {
                output.append(UInt8(ascii: "/"))
                output.append(contentsOf: path[start..<end])
            }
            start = end + 1
        }
        if output.isEmpty { output.append(UInt8(ascii: "/")) }
        return output
    }

    private static func collapsingLeadingSlashes(_ path: [UInt8]) -> [UInt8] {
        guard path.count > 1, path[1] == UInt8(ascii: "/") else { return path }
        var firstOther = 1
        while firstOther < path.count, path[firstOther] == UInt8(ascii: "/") { firstOther += 1 }
        return [UInt8(ascii: "/")] + path[firstOther...]
    }

    // MARK: - Character classes

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// RFC 3986 `unreserved`: letters, digits, `-`, `.`, `_`, `~`.
    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"): true
        default: false
        }
    }

    /// RFC 3986 `pchar` and `/`: unreserved, sub-delims, `:`, `@`, `/` (and `%`, checked by the caller).
    static func isAllowedInPath(_ byte: UInt8) -> Bool {
        if isUnreserved(byte) { return true }
        return switch byte {
        case UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"),
            UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "="), UInt8(ascii: ":"),
            UInt8(ascii: "@"), UInt8(ascii: "/"), UInt8(ascii: "%"):
            true
        default: false
        }
    }

    /// RFC 3986 `query` and `fragment`: what a path allows, and `?`.
    static func isAllowedInQuery(_ byte: UInt8) -> Bool {
        isAllowedInPath(byte) || byte == UInt8(ascii: "?")
    }
}
