import NIOCore
import Testing

@testable import SlipwayEdge

/// The edge's reading of a WebSocket client's frames after Hummingbird answered `101 Switching Protocols`
/// (RFC 6455 §5): masked frames, split anywhere, data frames read past, control frames returned unmasked.
@Suite struct WebSocketClientFramesTests {
    /// A client frame: final, masked with `mask`.
    static func frame(opcode: UInt8, payload: [UInt8], mask: [UInt8] = [0x37, 0xFA, 0x21, 0x3D], final: Bool = true) -> [UInt8] {
        var bytes: [UInt8] = [(final ? 0x80 : 0) | opcode]
        if payload.count < 126 {
            bytes.append(0x80 | UInt8(payload.count))
        } else {
            bytes.append(0x80 | 126)
            bytes += [UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        }
        bytes += mask
        bytes += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        return bytes
    }

    @Test func pingsAndTheCloseComeOutUnmaskedAcrossAnySplitAndDataFramesAreReadPast() throws {
        let text = Self.frame(opcode: 0x1, payload: Array(repeating: UInt8(ascii: "x"), count: 300))
        let ping = Self.frame(opcode: 0x9, payload: Array("hi".utf8))
        let pong = Self.frame(opcode: 0xA, payload: [])
        let close = Self.frame(opcode: 0x8, payload: [0x03, 0xE8] + Array("bye".utf8))
        let stream = text + ping + pong + close
        // Every split of the stream into two reads gives the same two control frames.
        for split in 0...stream.count {
            var frames = WebSocketClientFrames()
            var input = ByteBuffer(bytes: stream[..<split])
            var controls = try frames.take(from: &input)
            input.writeBytes(stream[split...])
            controls += try frames.take(from: &input)
            #expect(controls == [.ping(ByteBuffer(string: "hi")), .close(ByteBuffer(bytes: [0x03, 0xE8] + Array("bye".utf8)))], "split at \(split)")
            #expect(input.readableBytes == 0)
        }
    }

    @Test func whatAClientMayNotSendIsAViolation() {
        let unmasked: [UInt8] = [0x89, 0x00]
        let longPing = Self.frame(opcode: 0x9, payload: Array(repeating: 0, count: 126))
        let fragmentedClose = Self.frame(opcode: 0x8, payload: [], final: false)
        let unknownControl = Self.frame(opcode: 0xB, payload: [])
        for bytes in [unmasked, longPing, fragmentedClose, unknownControl] {
            var frames = WebSocketClientFrames()
            var input = ByteBuffer(bytes: bytes)
            #expect(throws: WebSocketClientFrames.ProtocolViolation.self) { try frames.take(from: &input) }
        }
    }

    @Test func theServersAnswerFramesAreUnmaskedAndFinal() {
        #expect(Array(buffer: WebSocketClientFrames.serverFrame(opcode: 0xA, payload: ByteBuffer(string: "hi"))) == [0x8A, 0x02, 0x68, 0x69])
        #expect(Array(buffer: WebSocketClientFrames.serverFrame(opcode: 0x8, payload: ByteBuffer(bytes: [0x03, 0xE8]))) == [0x88, 0x02, 0x03, 0xE8])
    }
}
