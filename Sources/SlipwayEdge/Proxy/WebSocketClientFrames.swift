import NIOCore

/// The frames a WebSocket client sends on a connection whose upgrade Hummingbird answered itself (a `101 Switching
/// Protocols` whose body is the server's frames, e.g. Dokploy's `/listen-deployment`): the edge reads them so that a
/// ping gets its pong and a close frame ends the connection (RFC 6455 §5.5). Data frames are read past: such an
/// endpoint only sends.
struct WebSocketClientFrames {
    /// A control frame the edge answers.
    enum Control: Equatable {
        /// A ping with its (unmasked) payload, for the pong.
        case ping(ByteBuffer)
        /// A close frame with its (unmasked) payload: the status code, if any, and a reason.
        case close(ByteBuffer)
    }

    /// Something the client may not send: the connection closes.
    struct ProtocolViolation: Error {}

    /// Bytes of a data frame's payload still to read past.
    private var skipping = 0

    /// The control frames whole in `input`, in order; what is left of a frame waits in `input` for more bytes.
    mutating func take(from input: inout ByteBuffer) throws(ProtocolViolation) -> [Control] {
        var controls: [Control] = []
        while true {
            if skipping > 0 {
                let skipped = min(skipping, input.readableBytes)
                input.moveReaderIndex(forwardBy: skipped)
                skipping -= skipped
                if skipping > 0 { return controls }
            }
            guard let frame = try Self.header(in: input) else { return controls }
            if frame.opcode >= 0x8 {
                guard input.readableBytes >= frame.headerLength + frame.payloadLength else { return controls }
                input.moveReaderIndex(forwardBy: frame.headerLength)
                var payload = input.readSlice(length: frame.payloadLength)!
                Self.unmask(&payload, key: frame.maskKey)
                switch frame.opcode {
                case 0x8: controls.append(.close(payload))
                case 0x9: controls.append(.ping(payload))
                case 0xA: break
                default: throw ProtocolViolation()
                }
            } else {
                input.moveReaderIndex(forwardBy: frame.headerLength)
                skipping = frame.payloadLength
            }
        }
    }

    /// A frame's header: its opcode, lengths and masking key; nil while incomplete.
    private static func header(in input: ByteBuffer) throws(ProtocolViolation) -> (
        opcode: UInt8, headerLength: Int, payloadLength: Int, maskKey: [UInt8]
    )? {
        guard let first = input.getInteger(at: input.readerIndex, as: UInt8.self),
            let second = input.getInteger(at: input.readerIndex + 1, as: UInt8.self)
        else { return nil }
        let opcode = first & 0x0F
        // §5.1: a client masks every frame; §5.5: control frames are final and at most 125 bytes long.
        guard second & 0x80 != 0 else { throw ProtocolViolation() }
        var length = Int(second & 0x7F)
        var headerLength = 2
        if length == 126 {
            guard let extended = input.getInteger(at: input.readerIndex + 2, as: UInt16.self) else { return nil }
            length = Int(extended)
            headerLength += 2
        } else if length == 127 {
            guard let extended = input.getInteger(at: input.readerIndex + 2, as: UInt64.self) else { return nil }
            guard extended <= UInt64(Int32.max) else { throw ProtocolViolation() }
            length = Int(extended)
            headerLength += 8
        }
        if opcode >= 0x8, length > 125 || first & 0x80 == 0 { throw ProtocolViolation() }
        guard let key = input.getBytes(at: input.readerIndex + headerLength, length: 4) else { return nil }
        return (opcode, headerLength + 4, length, key)
    }

    private static func unmask(_ payload: inout ByteBuffer, key: [UInt8]) {
        payload.withUnsafeMutableReadableBytes { bytes in
            for index in bytes.indices { bytes[index] ^= key[index % 4] }
        }
    }

    /// A server frame (unmasked, final) with `opcode` and `payload`: the pong to a ping, the close that answers a close.
    static func serverFrame(opcode: UInt8, payload: ByteBuffer) -> ByteBuffer {
        var frame = ByteBuffer()
        frame.writeInteger(0x80 | opcode)
        frame.writeInteger(UInt8(payload.readableBytes))
        var payload = payload
        frame.writeBuffer(&payload)
        return frame
    }
}
