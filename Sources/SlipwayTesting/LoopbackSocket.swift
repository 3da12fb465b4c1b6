import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A TCP socket bound to a free port on 127.0.0.1, for tests that need a port of their own.
public enum LoopbackSocket {
    /// Binds a new socket to a free loopback port and, with a `backlog`, listens on it. The caller closes it.
    public static func bind(listening backlog: Int32? = nil) throws -> (descriptor: Int32, port: Int) {
        try bind(port: 0, listening: backlog)
    }

    /// A port on 127.0.0.1 that was free a moment ago, for a program started next to bind, chosen below the kernel's
    /// ephemeral range: a port the kernel hands out (port 0) can be taken again at once as the local end of any
    /// outgoing connection on the machine, so a server restarted later on it could find it in use.
    /// A port is handed out once per process: tests run side by side in one process, and two of them given the same
    /// free port (about one chance in five among a hundred servers of a full run) would both bind it, the second one
    /// late, after a restart ("Address already in use").
    public static func freePort() throws -> Int {
        let lowestEphemeral = ephemeralRangeStart()
        if lowestEphemeral > 11_000 {
            for _ in 0..<200 {
                let candidate = Int.random(in: 10_000..<lowestEphemeral)
                guard handedOut.withLock({ $0.insert(candidate).inserted }) else { continue }
                if let (fd, port) = try? bind(port: UInt16(candidate)) {
                    close(fd)
                    return port
                }
            }
        }
        let (fd, port) = try bind()
        close(fd)
        handedOut.withLock { _ = $0.insert(port) }
        return port
    }

    /// The ports `freePort()` has handed out in this process.
    private static let handedOut = Mutex<Set<Int>>([])

    /// The first port of `net.ipv4.ip_local_port_range` (32768 when it cannot be read).
    private static func ephemeralRangeStart() -> Int {
        let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
        return text.split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) } ?? 32_768
    }

    private static func bind(port: UInt16, listening backlog: Int32? = nil) throws -> (descriptor: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError("socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(fd, $0, length) == 0 && (backlog.map { listen(fd, $0) == 0 } ?? true) && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else {
            close(fd)
            throw TestSupportError("cannot bind a loopback port")
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }
}
