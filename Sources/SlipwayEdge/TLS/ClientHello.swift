import NIOCore

/// What the edge reads of a TLS ClientHello before it chooses a certificate: the server name (SNI, RFC 6066 §3) and
/// the application protocols offered (ALPN, RFC 7301). Read from the connection's first bytes by `ClientHelloReader`,
/// with hard bounds: the hello may span several handshake records but no more than `maximumLength` bytes, and any
/// byte out of place makes it `invalid` (the connection then closes).
public struct ClientHello: Equatable, Sendable {
    /// The host name the client asks for, lower case, without a final dot; nil when it sent none.
    public var serverName: String?
    /// The protocols the client offers, in its order (`h2`, `http/1.1`, `acme-tls/1`, …); empty when it sent none.
    public var applicationProtocols: [String]

    /// A hello with these values (tests, sources).
    public init(serverName: String?, applicationProtocols: [String]) {
        self.serverName = serverName
        self.applicationProtocols = applicationProtocols
    }

    /// The result of reading the bytes received so far.
    enum Scan: Equatable {
        /// More bytes are needed.
        case incomplete
        /// Not a ClientHello the edge accepts: the connection closes.
        case invalid
        /// The whole hello has been read.
        case complete(ClientHello)
    }

    /// The longest ClientHello the edge reads (the handshake message, without record headers). Browsers send
    /// under 2 KiB, post-quantum key shares included; one record holds 16 KiB.
    static let maximumLength = 16 << 10

    private static let handshakeRecord: UInt8 = 22
    private static let clientHelloType: UInt8 = 1

    /// Reads the hello from the start of `buffer` (which is not consumed).
    static func scan(_ buffer: ByteBuffer) -> Scan {
        var records = buffer
        var message = ByteBuffer()
        // The handshake message, gathered from as many handshake records as it takes.
        while true {
            guard records.readableBytes >= 5 else { return .incomplete }
            guard let type = records.readInteger(as: UInt8.self), type == handshakeRecord,
                let major = records.readInteger(as: UInt8.self), major == 3,
                let _ = records.readInteger(as: UInt8.self),
                let length = records.readInteger(as: UInt16.self), length > 0, length <= 16384
            else { return .invalid }
            guard var fragment = records.readSlice(length: Int(length)) else {
                // The record is still coming: its message's header is judged already (an oversized hello waits for nothing).
                var partial = message
                partial.writeImmutableBuffer(records)
                return messageHeaderIsAcceptable(partial) == false ? .invalid : .incomplete
            }
            message.writeBuffer(&fragment)
            guard let acceptable = messageHeaderIsAcceptable(message) else { continue }
            guard acceptable else { return .invalid }
            let view = message.readableBytesView
            let bodyLength = Int(view[view.startIndex + 1]) << 16 | Int(view[view.startIndex + 2]) << 8 | Int(view[view.startIndex + 3])
            if message.readableBytes - 4 < bodyLength { continue }
            guard message.readableBytes - 4 == bodyLength, var body = message.getSlice(at: message.readerIndex + 4, length: bodyLength) else {
                // Another handshake message after the hello in the same flight: not what a client sends first.
                return .invalid
            }
            guard let hello = parseBody(&body) else { return .invalid }
            return .complete(hello)
        }
    }

    /// Whether the handshake message starting `message` is a ClientHello of at most `maximumLength` bytes; nil while
    /// its 4-byte header has not all come.
    private static func messageHeaderIsAcceptable(_ message: ByteBuffer) -> Bool? {
        guard message.readableBytes >= 4 else { return nil }
        let view = message.readableBytesView
        guard view[view.startIndex] == clientHelloType else { return false }
        let bodyLength = Int(view[view.startIndex + 1]) << 16 | Int(view[view.startIndex + 2]) << 8 | Int(view[view.startIndex + 3])
        return bodyLength <= maximumLength
    }

    /// The ClientHello's body (RFC 8446 §4.1.2): version, random, session id, cipher suites, compression methods,
    /// then the extensions, of which SNI and ALPN are kept.
    private static func parseBody(_ body: inout ByteBuffer) -> ClientHello? {
        guard body.readSlice(length: 2 + 32) != nil,
            let sessionIDLength = body.readInteger(as: UInt8.self), sessionIDLength <= 32, body.readSlice(length: Int(sessionIDLength)) != nil,
            let suitesLength = body.readInteger(as: UInt16.self), suitesLength >= 2, suitesLength % 2 == 0,
            body.readSlice(length: Int(suitesLength)) != nil,
            let compressionLength = body.readInteger(as: UInt8.self), compressionLength >= 1,
            body.readSlice(length: Int(compressionLength)) != nil
        else { return nil }
        var hello = ClientHello(serverName: nil, applicationProtocols: [])
        guard body.readableBytes > 0 else { return hello }
        guard let extensionsLength = body.readInteger(as: UInt16.self), var extensions = body.readSlice(length: Int(extensionsLength)),
            body.readableBytes == 0
        else { return nil }
        var seen = Set<UInt16>()
        while extensions.readableBytes > 0 {
            guard let type = extensions.readInteger(as: UInt16.self), let length = extensions.readInteger(as: UInt16.self),
                var data = extensions.readSlice(length: Int(length)), seen.insert(type).inserted
            else { return nil }
            switch type {
            case 0:
                guard let name = parseServerName(&data) else { return nil }
                hello.serverName = name
            case 16:
                guard let protocols = parseApplicationProtocols(&data) else { return nil }
                hello.applicationProtocols = protocols
            default:
                continue
            }
        }
        return hello
    }

    /// The `server_name` extension: a list holding one `host_name` (type 0) of letters, digits, `-`, `_` and `.`.
    private static func parseServerName(_ data: inout ByteBuffer) -> String?? {
        guard let listLength = data.readInteger(as: UInt16.self), var list = data.readSlice(length: Int(listLength)), data.readableBytes == 0
        else { return nil }
        var name: String?
        while list.readableBytes > 0 {
            guard let type = list.readInteger(as: UInt8.self), let length = list.readInteger(as: UInt16.self),
                let bytes = list.readBytes(length: Int(length))
            else { return nil }
            guard type == 0 else { continue }
            guard name == nil, !bytes.isEmpty, bytes.count <= 255, bytes.allSatisfy(isHostNameByte) else { return nil }
            var text = String(decoding: bytes, as: UTF8.self).lowercased()
            if text.hasSuffix(".") { text.removeLast() }
            name = text
        }
        return .some(name)
    }

    /// The `application_layer_protocol_negotiation` extension: a non-empty list of non-empty names.
    private static func parseApplicationProtocols(_ data: inout ByteBuffer) -> [String]? {
        guard let listLength = data.readInteger(as: UInt16.self), listLength >= 2, var list = data.readSlice(length: Int(listLength)),
            data.readableBytes == 0
        else { return nil }
        var protocols: [String] = []
        while list.readableBytes > 0 {
            guard let length = list.readInteger(as: UInt8.self), length > 0, let bytes = list.readBytes(length: Int(length)) else { return nil }
            protocols.append(String(decoding: bytes, as: UTF8.self))
        }
        return protocols
    }

    private static func isHostNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"):
            true
        default:
            false
        }
    }
}
