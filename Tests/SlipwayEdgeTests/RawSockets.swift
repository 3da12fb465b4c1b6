import Foundation
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
        try await onThread {
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
        try await Self.onThread { [fd] in try Self.sendAll(text, fd: fd) }
    }

    /// Reads until the bytes received end with `marker` (one byte at a time: nothing past it is consumed).
    func receive(until marker: String) async throws -> String {
        try await Self.onThread { [fd] in try Self.receive(fd: fd, until: marker) }
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

    static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
        }
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
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 4) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw RawSocketError("cannot listen") }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
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
