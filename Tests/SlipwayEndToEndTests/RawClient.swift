import Foundation
import SlipwayTesting

#if canImport(Glibc)
    import Glibc
#endif

/// Blocking loopback sockets for what an HTTP client library does not do: a request from another loopback source
/// address (127.0.0.2), and many idle connections held open at once. Blocking calls run on threads of their own.
enum RawClient {
    /// A connected socket to `127.0.0.1:port`, from `source` (any port); the caller closes it.
    static func connect(port: Int, from source: String = "127.0.0.1", receiveTimeout: Int = 30) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RawClientError("socket() failed: \(String(cString: strerror(errno)))") }
        var timeout = timeval(tv_sec: receiveTimeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        local.sin_addr.s_addr = inet_addr(source)
        var remote = sockaddr_in()
        remote.sin_family = sa_family_t(AF_INET)
        remote.sin_port = in_port_t(UInt16(port).bigEndian)
        remote.sin_addr.s_addr = inet_addr("127.0.0.1")
        let size = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, size) } }
        let connected =
            bound == 0 && withUnsafePointer(to: &remote) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, size) } } == 0
        guard connected else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw RawClientError("connect to \(port) from \(source) failed: \(reason)")
        }
        return fd
    }

    /// Sends `text` on a new connection from `source` and reads the answer until the server closes the connection
    /// (send `Connection: close`).
    static func exchange(port: Int, from source: String = "127.0.0.1", _ text: String) async throws -> String {
        try await onOwnThread {
            let fd = try connect(port: port, from: source)
            defer { close(fd) }
            try send(fd, text)
            return try receiveUntilClosed(fd)
        }
    }

    static func send(_ fd: Int32, _ text: String) throws {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw RawClientError("send failed: \(String(cString: strerror(errno)))") }
            offset += sent
        }
    }

    static func receiveUntilClosed(_ fd: Int32) throws -> String {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count == 0 { return String(decoding: received, as: UTF8.self) }
            guard count > 0 else { throw RawClientError("no end of the answer after \(received.count) bytes") }
            received += chunk[0..<count]
        }
    }

    /// Reads one response with a `Content-Length` body (its head and body as text).
    static func receiveResponse(_ fd: Int32) throws -> String {
        var received: [UInt8] = []
        var byte: UInt8 = 0
        while !received.ends(with: Array("\r\n\r\n".utf8)) {
            guard recv(fd, &byte, 1, 0) == 1 else { throw RawClientError("the connection ended in a response head") }
            received.append(byte)
        }
        let head = String(decoding: received, as: UTF8.self)
        let length =
            head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
            .flatMap { Int($0.dropFirst(15).trimmingCharacters(in: .whitespaces)) } ?? 0
        var body = [UInt8](repeating: 0, count: length)
        var offset = 0
        while offset < length {
            let count = body[offset...].withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { throw RawClientError("the connection ended in a response body") }
            offset += count
        }
        return head + String(decoding: body, as: UTF8.self)
    }

    /// Whether the server has closed the connection (or reset it), without waiting.
    static func isClosedByPeer(_ fd: Int32) -> Bool {
        var byte: UInt8 = 0
        let count = recv(fd, &byte, 1, Int32(MSG_DONTWAIT) | Int32(MSG_PEEK))
        if count == 0 { return true }
        if count < 0 { return errno != EAGAIN && errno != EWOULDBLOCK }
        return false
    }

    /// Raises the soft limit of open files to the hard limit; answers the limit now in force.
    static func raiseOpenFileLimit() -> Int {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
            getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        return Int(clamping: limit.rlim_cur)
    }

}

struct RawClientError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension Array where Element == UInt8 {
    fileprivate func ends(with suffix: [UInt8]) -> Bool {
        count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix
    }
}
