/// The path of a request to a site, percent-decoded and split into segments that are safe to join under a root.
struct SitePath: Sendable, Equatable {
    /// Why a request path cannot name a file of the site.
    enum Problem: Error, Equatable {
        /// A `%` not followed by two hex digits, or bytes that are not UTF-8.
        case invalidEncoding
        /// A NUL byte, which no file name can hold.
        case nullByte
        /// A `..` segment, which would climb out of the root.
        case traversal
    }

    /// The non-empty segments, without `.`; never `..`, never containing `/` or NUL.
    var segments: [String]
    /// Whether the decoded path ends with `/` (always true for the root).
    var hasTrailingSlash: Bool

    init(segments: [String], hasTrailingSlash: Bool) {
        self.segments = segments
        self.hasTrailingSlash = hasTrailingSlash
    }

    /// Decodes the raw path of a URL (`/a%20b/./c/`). `%2F` decodes to a separator like `/`.
    init(decoding rawPath: String) throws(Problem) {
        let decoded = try Self.percentDecode(rawPath)
        guard !decoded.utf8.contains(0) else { throw .nullByte }
        var segments: [String] = []
        for segment in decoded.split(separator: "/", omittingEmptySubsequences: true) {
            switch segment {
            case ".": continue
            case "..": throw .traversal
            default: segments.append(String(segment))
            }
        }
        self.segments = segments
        self.hasTrailingSlash = segments.isEmpty || decoded.hasSuffix("/")
    }

    /// The path relative to a root, without a leading slash (`""` for the root itself).
    var relativePath: String { segments.joined(separator: "/") }

    /// The canonical URL path of this location as a directory: each segment percent-encoded, ending in `/`.
    var directoryURLPath: String {
        "/" + segments.map(Self.percentEncode).map { $0 + "/" }.joined()
    }

    static func percentDecode(_ raw: String) throws(Problem) -> String {
        guard raw.utf8.contains(UInt8(ascii: "%")) else { return raw }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(raw.utf8.count)
        var iterator = raw.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                throw .invalidEncoding
            }
            bytes.append(high << 4 | low)
        }
        guard let string = String(validating: bytes, as: UTF8.self) else { throw .invalidEncoding }
        return string
    }

    /// Percent-encodes one segment: everything but the RFC 3986 unreserved characters.
    static func percentEncode(_ segment: String) -> String {
        var encoded = ""
        for byte in segment.utf8 {
            if isUnreserved(byte) {
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                encoded += "%" + String(byte >> 4, radix: 16, uppercase: true) + String(byte & 0x0F, radix: 16, uppercase: true)
            }
        }
        return encoded
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"): true
        default: false
        }
    }
}
