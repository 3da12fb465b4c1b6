/// What a `Range` header asks of a file of a known size: all of it, one range of it, or something it does not have.
///
/// Only a single range is honoured; a malformed header or a list of ranges is ignored (the whole file is sent),
/// which RFC 9110 §14.2 allows.
enum ByteRangeSelection: Sendable, Equatable {
    case whole
    case partial(ClosedRange<Int>)
    case unsatisfiable

    init(header: String?, size: Int) {
        guard let header, let (first, last) = Self.parse(header) else {
            self = .whole
            return
        }
        switch (first, last) {
        case (nil, nil):
            self = .whole
        case (nil, let suffixLength?):
            // `bytes=-n`: the last n bytes.
            guard suffixLength > 0, size > 0 else {
                self = .unsatisfiable
                return
            }
            self = .partial(max(0, size - suffixLength)...(size - 1))
        case (let first?, let last):
            guard first < size else {
                self = .unsatisfiable
                return
            }
            self = .partial(first...min(last ?? Int.max, size - 1))
        }
    }

    /// `bytes=a-b` → (a, b); `bytes=a-` → (a, nil); `bytes=-n` → (nil, n). Nil when malformed, not bytes, or a list.
    private static func parse(_ header: String) -> (Int?, Int?)? {
        let trimmed = header.trimmingWhitespace
        guard let equals = trimmed.firstIndex(of: "="), trimmed[..<equals].trimmingWhitespace.lowercased() == "bytes" else { return nil }
        let spec = trimmed[trimmed.index(after: equals)...].trimmingWhitespace
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return nil }
        let firstText = spec[..<dash]
        let lastText = spec[spec.index(after: dash)...]
        switch (firstText.isEmpty, lastText.isEmpty) {
        case (true, true):
            return nil
        case (true, false):
            guard let suffix = saturatingInteger(lastText) else { return nil }
            return (nil, suffix)
        case (false, true):
            guard let first = saturatingInteger(firstText) else { return nil }
            return (first, nil)
        case (false, false):
            guard let first = saturatingInteger(firstText), let last = saturatingInteger(lastText), first <= last else { return nil }
            return (first, last)
        }
    }

    /// A run of decimal digits as an Int, `Int.max` when it is larger; nil for anything but digits.
    private static func saturatingInteger(_ text: Substring) -> Int? {
        var value = 0
        for byte in text.utf8 {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (timesTen, overflowA) = value.multipliedReportingOverflow(by: 10)
            let (next, overflowB) = timesTen.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
            value = overflowA || overflowB ? Int.max : next
        }
        return value
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs (HTTP's optional whitespace).
    var trimmingWhitespace: Substring {
        let isWhitespace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let start = firstIndex(where: { !isWhitespace($0) }), let end = lastIndex(where: { !isWhitespace($0) }) else {
            return Substring()
        }
        return Substring(self[start...end])
    }
}
