import Foundation
public import NIOCore
import NIOPosix

/// A WebSocket client for tests (RFC 6455, client side): the opening handshake over HTTP/1.1 to 127.0.0.1, then the
/// server's frames one by one. It masks what it sends, as a client must, and does not answer pings by itself, so a
/// test sees every frame the server sent.
public final class WebSocketTestClient: Sendable {
    /// One frame from the server.
    public enum Frame: Sendable, Equatable {
        case text(String)
        case binary([UInt8])
        case ping([UInt8])
        case pong([UInt8])
        /// A close frame: its status code (nil when it has none) and reason.
        case close(code: UInt16?, reason: String)
    }

    /// The answer to the opening handshake.
    public struct Head: Sendable {
        public var status: Int
        /// Header names in lower case.
        public var headers: [String: String]
        /// The body of a refusal (with `Content-Length`), empty for a 101.
        public var body: String
    }

    /// The key sent in `Sec-WebSocket-Key`.
    public let key: String
    /// The answer to the handshake.
    public let head: Head
    private let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
    private let reader: Reader

    /// Opens `target` (path and query) on `127.0.0.1:port` with `headers` added to the handshake and `key` (16 random
    /// bytes in base64 unless given) as `Sec-WebSocket-Key`; returns once the answer's head (and, for a refusal, its
    /// body) has come. A refusal is not an error: `head.status` tells.
    public static func open(port: Int, target: String, headers: [(String, String)] = [], key: String? = nil) async throws -> WebSocketTestClient {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
        }
        let key = key ?? Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        var request = "GET \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        request += "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        request += "\r\n"
        try await channel.outbound.write(ByteBuffer(string: request))
        let reader = Reader(channel.inbound.makeAsyncIterator())
        let head = try await reader.readHead()
        return WebSocketTestClient(key: key, head: head, channel: channel, reader: reader)
    }

    private init(key: String, head: Head, channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>, reader: Reader) {
        self.key = key
        self.head = head
        self.channel = channel
        self.reader = reader
    }

    /// The next frame; nil once the server has closed the connection.
    public func next() async throws -> Frame? {
        try await reader.readFrame()
    }

    /// Sends a masked frame with `opcode` (0x8 close, 0x9 ping, 0x1 text) and `payload`.
    public func send(opcode: UInt8, payload: [UInt8]) async throws {
        precondition(payload.count < 126, "the test client sends short frames only")
        let mask = (0..<4).map { _ in UInt8.random(in: 0...255) }
        var frame = ByteBuffer()
        frame.writeInteger(0x80 | opcode)
        frame.writeInteger(0x80 | UInt8(payload.count))
        frame.writeBytes(mask)
        frame.writeBytes(payload.enumerated().map { $0.element ^ mask[$0.offset % 4] })
        try await channel.outbound.write(frame)
    }

    /// Closes the connection from this side.
    public func closeConnection() async {
        channel.outbound.finish()
        try? await channel.channel.close()
    }

    /// Reads the inbound bytes of one connection (used by one task at a time).
    private final class Reader: @unchecked Sendable {
        var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
        var buffer = ByteBuffer()

        init(_ iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator) {
            self.iterator = iterator
        }

        /// Reads more bytes; false at the end of the stream.
        func fill() async throws -> Bool {
            guard var more = try await iterator.next() else { return false }
            buffer.writeBuffer(&more)
            return true
        }

        func readHead() async throws -> Head {
            while true {
                let text = String(buffer: buffer)
                if let end = text.range(of: "\r\n\r\n") {
                    let headText = String(text[..<end.lowerBound])
                    buffer.moveReaderIndex(forwardBy: headText.utf8.count + 4)
                    var lines = headText.components(separatedBy: "\r\n")
                    let statusLine = lines.removeFirst().split(separator: " ")
                    var headers: [String: String] = [:]
                    for line in lines {
                        guard let colon = line.firstIndex(of: ":") else { continue }
                        headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                    }
                    let status = statusLine.count > 1 ? Int(statusLine[1]) ?? 0 : 0
                    var body = ""
                    if status != 101, let length = headers["content-length"].flatMap(Int.init) {
                        while buffer.readableBytes < length { guard try await fill() else { break } }
                        body = buffer.readString(length: min(length, buffer.readableBytes)) ?? ""
                    }
                    return Head(status: status, headers: headers, body: body)
                }
                guard try await fill() else { throw WebSocketTestError("the connection closed before the answer's head") }
            }
        }

        func readFrame() async throws -> Frame? {
            while true {
                if let frame = try takeFrame() { return frame }
                guard try await fill() else {
                    if buffer.readableBytes > 0 { throw WebSocketTestError("the connection closed inside a frame") }
                    return nil
                }
            }
        }

        private func takeFrame() throws -> Frame? {
            let start = buffer.readerIndex
            guard let first = buffer.getInteger(at: start, as: UInt8.self), let second = buffer.getInteger(at: start + 1, as: UInt8.self) else {
                return nil
            }
            guard second & 0x80 == 0 else { throw WebSocketTestError("a server must not mask its frames") }
            guard first & 0x80 != 0 else { throw WebSocketTestError("fragmented frames are not expected") }
            var length = Int(second & 0x7F)
            var offset = 2
            if length == 126 {
                guard let extended = buffer.getInteger(at: start + 2, as: UInt16.self) else { return nil }
                length = Int(extended)
                offset += 2
            } else if length == 127 {
                guard let extended = buffer.getInteger(at: start + 2, as: UInt64.self) else { return nil }
                length = Int(extended)
                offset += 8
            }
            guard let payload = buffer.getBytes(at: start + offset, length: length) else { return nil }
            buffer.moveReaderIndex(forwardBy: offset + length)
            switch first & 0x0F {
            case 0x1:
                guard let text = String(validating: payload, as: UTF8.self) else { throw WebSocketTestError("a text frame that is not UTF-8") }
                return .text(text)
            case 0x2: return .binary(payload)
            case 0x8:
                let code = payload.count >= 2 ? UInt16(payload[0]) << 8 | UInt16(payload[1]) : nil
                return .close(code: code, reason: String(decoding: payload.dropFirst(2), as: UTF8.self))
            case 0x9: return .ping(payload)
            case 0xA: return .pong(payload)
            default: throw WebSocketTestError("unknown opcode \(first & 0x0F)")
            }
        }
    }
}

/// A WebSocket conversation that did not go by the protocol.
public struct WebSocketTestError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
