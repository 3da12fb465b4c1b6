import Foundation
import SlipwayTesting
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A blocking TCP client on loopback for bytes no HTTP client sends (the far side of a protocol upgrade).
/// Every blocking call runs on a thread of its own, never on the task pool.
final class RawSocket: Sendable {
    let fd: Int32

    private init(fd: Int32) {
        self.fd = fd
    }

    static func connect(port: Int) async throws -> RawSocket {
        try await onOwnThread {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var timeout = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { throw RawSocketError("connect to \(port) failed") }
            return RawSocket(fd: fd)
        }
    }

    func send(_ text: String) async throws {
        try await onOwnThread { [fd] in try Self.sendAll(text, fd: fd) }
    }

    /// Reads until the bytes received end with `marker` (one byte at a time: nothing past it is consumed).
    func receive(until marker: String) async throws -> String {
        try await onOwnThread { [fd] in try Self.receive(fd: fd, until: marker) }
    }

    /// Reads exactly `count` bytes.
    func receive(count: Int) async throws -> String {
        try await onOwnThread { [fd] in
            var received = [UInt8](repeating: 0, count: count)
            var offset = 0
            while offset < count {
                let read = received[offset...].withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                guard read > 0 else { throw RawSocketError("connection ended after \(offset) of \(count) bytes") }
                offset += read
            }
            return String(decoding: received, as: UTF8.self)
        }
    }

    /// Reads one response, with a `Content-Length` or chunked (without trailers): its head and its body.
    func receiveResponse() async throws -> (head: String, body: String) {
        let head = try await receive(until: "\r\n\r\n")
        if head.lowercased().contains("\r\ntransfer-encoding: chunked\r\n") {
            var body = ""
            while true {
                let sizeLine = try await receive(until: "\r\n")
                guard let size = Int(sizeLine.trimmingCharacters(in: .whitespacesAndNewlines), radix: 16) else {
                    throw RawSocketError("bad chunk size \(sizeLine)")
                }
                if size == 0 {
                    _ = try await receive(count: 2)
                    return (head, body)
                }
                body += try await receive(count: size)
                _ = try await receive(count: 2)
            }
        }
        let length =
            head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
            .flatMap { Int($0.dropFirst(15).trimmingCharacters(in: .whitespaces)) } ?? 0
        return (head, try await receive(count: length))
    }

    /// Reads everything until the other side closes the connection.
    func receiveUntilClosed() async throws -> String {
        try await onOwnThread { [fd] in
            var received: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                let read = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if read == 0 { return String(decoding: received, as: UTF8.self) }
                guard read > 0 else { throw RawSocketError("no end of connection after \(received.count) bytes") }
                received += chunk[0..<read]
            }
        }
    }

    /// Whether the other side has closed the connection (waits up to the socket's timeout for it).
    func isClosedByPeer() async throws -> Bool {
        try await onOwnThread { [fd] in
            var byte: UInt8 = 0
            return recv(fd, &byte, 1, 0) == 0
        }
    }

    /// Closes the sending side only (the peer reads an end of input; answers can still come).
    func shutdownWrite() {
        shutdown(fd, Int32(SHUT_WR))
    }

    func close() {
        Glibc.close(fd)
    }

    static func sendAll(_ text: String, fd: Int32) throws {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw RawSocketError("send failed") }
            offset += sent
        }
    }

    static func receive(fd: Int32, until marker: String) throws -> String {
        var received: [UInt8] = []
        let end = Array(marker.utf8)
        var byte: UInt8 = 0
        while !(received.count >= end.count && Array(received.suffix(end.count)) == end) {
            guard recv(fd, &byte, 1, 0) == 1 else {
                throw RawSocketError("connection ended after \(String(decoding: received, as: UTF8.self).debugDescription)")
            }
            received.append(byte)
        }
        return String(decoding: received, as: UTF8.self)
    }

}

struct RawSocketError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// An upstream that accepts one connection, answers its request with `101 Switching Protocols` (echoing the
/// `Upgrade` it asked for) and then answers every line it gets with `echo: <line>` until the connection closes.
final class RawUpgradeUpstream: Sendable {
    let port: Int
    private let listener: Int32
    private let head = Mutex("")

    /// The request head it received.
    var requestHead: String { head.withLock { $0 } }

    init() throws {
        (listener, port) = try LoopbackSocket.bind(listening: 4)
        Thread.detachNewThread { [self] in serve() }
    }

    private func serve() {
        let fd = accept(listener, nil, nil)
        guard fd >= 0 else { return }
        defer { Glibc.close(fd) }
        guard let request = try? RawSocket.receive(fd: fd, until: "\r\n\r\n") else { return }
        head.withLock { $0 = request }
        let upgrade = request.split(separator: "\r\n").first { $0.lowercased().hasPrefix("upgrade:") }.map { $0.dropFirst(8) } ?? ""
        let answer = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: \(upgrade.trimmingCharacters(in: .whitespaces))\r\nConnection: Upgrade\r\n\r\n"
        guard (try? RawSocket.sendAll(answer, fd: fd)) != nil else { return }
        while let line = try? RawSocket.receive(fd: fd, until: "\n") {
            guard (try? RawSocket.sendAll("echo: " + line, fd: fd)) != nil else { return }
        }
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        Glibc.close(listener)
    }
}

/// An upstream that answers the first request of each connection (`HTTP/1.1 200`, body `connection <n>`, nothing
/// said about closing) and closes the connection, unanswered, when a second request comes on it: a process whose
/// keep-alive ran out just as the proxy reused its connection.
final class RawOneAnswerUpstream: Sendable {
    let port: Int
    private let listener: Int32
    private let accepted = Atomic<Int>(0)

    /// How many connections it has accepted.
    var connections: Int { accepted.load(ordering: .relaxed) }

    init() throws {
        (listener, port) = try LoopbackSocket.bind(listening: 16)
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    private func acceptLoop() {
        while true {
            let fd = accept(listener, nil, nil)
            guard fd >= 0 else { return }
            let number = accepted.add(1, ordering: .relaxed).newValue
            Thread.detachNewThread {
                defer { Glibc.close(fd) }
                guard (try? RawSocket.receive(fd: fd, until: "\r\n\r\n")) != nil else { return }
                let body = "connection \(number)"
                guard (try? RawSocket.sendAll("HTTP/1.1 200 OK\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)", fd: fd)) != nil else { return }
                _ = try? RawSocket.receive(fd: fd, until: "\r\n\r\n")
            }
        }
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        Glibc.close(listener)
    }
}

/// An upstream that answers every request head it reads with `answer` (raw bytes: whatever HTTP, or not, a test
/// needs), then closes the connection when `closes`, else reads the next request.
final class RawScriptedUpstream: Sendable {
    let port: Int
    private let listener: Int32

    init(answer: String, closes: Bool) throws {
        (listener, port) = try LoopbackSocket.bind(listening: 16)
        Thread.detachNewThread { [listener] in
            while true {
                let connection = accept(listener, nil, nil)
                guard connection >= 0 else { return }
                Thread.detachNewThread {
                    defer { Glibc.close(connection) }
                    while (try? RawSocket.receive(fd: connection, until: "\r\n\r\n")) != nil {
                        guard (try? RawSocket.sendAll(answer, fd: connection)) != nil, !closes else { return }
                    }
                }
            }
        }
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        Glibc.close(listener)
    }
}
