import Foundation
public import SlipwayCore

#if canImport(Glibc)
    import Glibc
#endif

/// One health check: `GET <path>` to `127.0.0.1:<port>` (in the service's network namespace) over HTTP/1.1, answered by the status code of the response.
/// Runs on a thread of its own (blocking sockets with timeouts), never on the task pool.
public enum HealthProbe {
    /// What one check saw.
    public enum Result: Sendable, Equatable, CustomStringConvertible {
        case status(Int)
        case failed(String)

        public var isHealthy: Bool {
            if case .status(let code) = self { return (200...299).contains(code) }
            return false
        }

        public var description: String {
            switch self {
            case .status(let code): "HTTP \(code)"
            case .failed(let reason): reason
            }
        }
    }

    /// Checks once, giving up after `timeout`.
    public static func check(port: Int, path: String, timeout: Duration = .seconds(2)) async -> Result {
        await check(ServiceAddress(port: port), path: path, timeout: timeout)
    }

    /// Checks `address` once, giving up after `timeout`.
    public static func check(_ address: ServiceAddress, path: String, timeout: Duration = .seconds(2)) async -> Result {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(returning: checkBlocking(address, path: path, timeout: timeout))
            }
        }
    }

    static func checkBlocking(_ address: ServiceAddress, path: String, timeout: Duration) -> Result {
        let port = address.port
        let fd = address.makeSocket()
        guard fd >= 0 else { return .failed("no socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var limit = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: Int(timeout.components.attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        let connected = LoopbackAddress.with(port: port) { connect(fd, $0, $1) }
        guard connected == 0 else { return .failed("connection to port \(port) failed: \(String(cString: strerror(errno)))") }
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUser-Agent: Slipway-HealthCheck\r\nConnection: close\r\n\r\n"
        let sent = request.utf8CString.withUnsafeBufferPointer { send(fd, $0.baseAddress, $0.count - 1, Int32(MSG_NOSIGNAL)) }
        guard sent > 0 else { return .failed("could not send the request: \(String(cString: strerror(errno)))") }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1024)
        while received.count < 8192, !received.contains(UInt8(ascii: "\n")) {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count < 0 && errno == EINTR { continue }
            if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return .failed("no answer within \(timeout)") }
            if count <= 0 { break }
            received += buffer[0..<count]
        }
        return statusCode(of: received).map(Result.status) ?? .failed("not an HTTP response")
    }

    /// The status code of an HTTP/1.x status line (`HTTP/1.1 200 OK`).
    static func statusCode(of bytes: [UInt8]) -> Int? {
        guard let end = bytes.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        let line = String(decoding: bytes[..<end], as: UTF8.self)
        let parts = line.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[1].count == 3, let code = Int(parts[1]) else { return nil }
        return code
    }
}
