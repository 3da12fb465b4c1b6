import NIOCore

/// The mark the edge puts on every request it relays to a service, `Slipway-Forwarded-By: <token>`, with a token
/// drawn at random when the proxy is made (once per process). A request that arrives carrying the edge's own
/// token has gone around a loop (a service route whose port is the edge's own, or a service that relays back to
/// it) and is answered `508 Loop Detected` instead of being relayed once more, until the process runs out of file
/// descriptors. A client's own `Slipway-Forwarded-By` lines never reach a service: `ProxyHeaders` drops them, so
/// nobody can make the edge refuse requests by sending a mark it did not make, short of knowing its token.
struct ForwardingMark: Sendable {
    /// The header's name, lower case.
    static let headerName: StaticString = "slipway-forwarded-by"

    /// 32 hex digits (128 random bits).
    let token: String
    /// The whole header line as the edge writes it, `Slipway-Forwarded-By: <token>\r\n`.
    let line: ByteBuffer
    private let tokenBytes: [UInt8]

    /// A mark with a new random token.
    init() {
        var generator = SystemRandomNumberGenerator()
        self.init(token: (0..<4).map { _ in hex(generator.next() as UInt32) }.joined())
    }

    /// A mark with a given token (tests).
    init(token: String) {
        self.token = token
        self.tokenBytes = Array(token.utf8)
        self.line = ByteBuffer(string: "Slipway-Forwarded-By: \(token)\r\n")
    }

    /// Whether the value at `value` in `bytes` is this mark's token.
    func isOwn(_ bytes: UnsafeRawBufferPointer, _ value: Range<Int>) -> Bool {
        guard value.count == tokenBytes.count else { return false }
        for offset in 0..<value.count where bytes[value.lowerBound + offset] != tokenBytes[offset] { return false }
        return true
    }
}

/// Eight lower-case hex digits.
private func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 8 - digits.count) + digits
}
