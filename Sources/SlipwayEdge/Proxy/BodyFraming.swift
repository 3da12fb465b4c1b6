import NIOCore

/// Where a message body ends on an HTTP/1 connection (RFC 9112 §6): after a number of bytes, after its last chunk,
/// or when the connection closes. The edge relays bodies as they arrive, chunks and all; it reads the framing only
/// to know where the next message starts.
struct BodyFraming {
    private enum Kind {
        case length(remaining: Int)
        case chunked(ChunkedBodyScanner)
        case untilClose
    }

    private var kind: Kind

    /// A body of `count` bytes (0: none).
    static func length(_ count: Int) -> BodyFraming { BodyFraming(kind: .length(remaining: count)) }
    /// A chunked body.
    static func chunked() -> BodyFraming { BodyFraming(kind: .chunked(ChunkedBodyScanner())) }
    /// A body that ends when the connection closes (a response without a length).
    static let untilClose = BodyFraming(kind: .untilClose)

    /// Whether the body has been read whole (never, for one that ends with its connection).
    var isComplete: Bool {
        switch kind {
        case .length(let remaining): return remaining == 0
        case .chunked(let scanner): return scanner.isComplete
        case .untilClose: return false
        }
    }

    /// Whether the body ends only when its connection closes.
    var endsWithConnection: Bool {
        if case .untilClose = kind { return true }
        return false
    }

    /// Whether the body is chunked.
    var isChunked: Bool {
        if case .chunked = kind { return true }
        return false
    }

    /// Takes the next bytes of the body off the front of `buffer` (as much as is there, up to the body's end) and
    /// returns them; nil when `buffer` is empty or the body is complete. Throws when chunks are malformed.
    mutating func take(from buffer: inout ByteBuffer) throws(MalformedChunks) -> ByteBuffer? {
        guard buffer.readableBytes > 0, !isComplete else { return nil }
        let count: Int
        switch kind {
        case .length(let remaining):
            count = min(remaining, buffer.readableBytes)
            kind = .length(remaining: remaining - count)
        case .chunked(var scanner):
            count = try buffer.withUnsafeReadableBytes { bytes throws(MalformedChunks) in try scanner.scan(bytes) }
            kind = .chunked(scanner)
        case .untilClose:
            count = buffer.readableBytes
        }
        return buffer.readSlice(length: count)
    }
}

/// A chunked body that does not follow RFC 9112 §7.1.
struct MalformedChunks: Error {}

/// Follows a chunked body byte by byte (sizes, extensions, data, trailers) to find its end, without copying it.
struct ChunkedBodyScanner {
    private enum State {
        case size(value: Int, digits: Int)
        case sizeExtension(value: Int)
        case sizeLineFeed(value: Int)
        case data(remaining: Int)
        case dataCarriageReturn
        case dataLineFeed
        case trailerLineStart
        case trailerLine
        case trailerLineFeed
        case lastLineFeed
        case complete
    }

    private var state = State.size(value: 0, digits: 0)

    /// Whether the last chunk and the trailers have been read.
    var isComplete: Bool {
        if case .complete = state { return true }
        return false
    }

    /// Reads on through `bytes`; returns how many belong to the body (all of them, unless it ends within them).
    mutating func scan(_ bytes: UnsafeRawBufferPointer) throws(MalformedChunks) -> Int {
        try scan(bytes, data: { _ in })
    }

    /// Reads on through `bytes` as `scan(_:)` does, telling `data` where each run of the chunks' data lies in them.
    @inline(__always)
    mutating func scan(_ bytes: UnsafeRawBufferPointer, data: (Range<Int>) -> Void) throws(MalformedChunks) -> Int {
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch state {
            case .size(let value, let digits):
                if let digit = Self.hexValue(byte) {
                    guard digits < 15 else { throw MalformedChunks() }
                    state = .size(value: value << 4 | digit, digits: digits + 1)
                } else if digits > 0 && (byte == UInt8(ascii: ";") || byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")) {
                    state = .sizeExtension(value: value)
                } else if digits > 0 && byte == UInt8(ascii: "\r") {
                    state = .sizeLineFeed(value: value)
                } else {
                    throw MalformedChunks()
                }
            case .sizeExtension(let value):
                if byte == UInt8(ascii: "\r") {
                    state = .sizeLineFeed(value: value)
                } else if byte == UInt8(ascii: "\n") {
                    throw MalformedChunks()
                }
            case .sizeLineFeed(let value):
                guard byte == UInt8(ascii: "\n") else { throw MalformedChunks() }
                state = value == 0 ? .trailerLineStart : .data(remaining: value)
            case .data(let remaining):
                let count = min(remaining, bytes.count - index)
                state = count == remaining ? .dataCarriageReturn : .data(remaining: remaining - count)
                data(index..<(index + count))
                index += count
                continue
            case .dataCarriageReturn:
                guard byte == UInt8(ascii: "\r") else { throw MalformedChunks() }
                state = .dataLineFeed
            case .dataLineFeed:
                guard byte == UInt8(ascii: "\n") else { throw MalformedChunks() }
                state = .size(value: 0, digits: 0)
            case .trailerLineStart:
                state = byte == UInt8(ascii: "\r") ? .lastLineFeed : .trailerLine
            case .trailerLine:
                if byte == UInt8(ascii: "\r") { state = .trailerLineFeed }
            case .trailerLineFeed:
                guard byte == UInt8(ascii: "\n") else { throw MalformedChunks() }
                state = .trailerLineStart
            case .lastLineFeed:
                guard byte == UInt8(ascii: "\n") else { throw MalformedChunks() }
                state = .complete
                return index + 1
            case .complete:
                return index
            }
            index += 1
        }
        return index
    }

    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return Int(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return Int(byte - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }
}
