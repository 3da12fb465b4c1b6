import NIOCore
import NIOPosix
import SlipwayCore

#if canImport(Glibc)
    import Glibc
#endif

/// Opens connections to service processes. A process on the host's loopback is dialled by NIO as usual; one in a
/// network namespace of its own (a sandboxed service) gets a socket made inside that namespace, connected on a thread
/// pool (a `setns` and a blocking connect must not run on an event loop), then handed to NIO: no user-mode network
/// stack between the edge and the service, and only new connections pay for it (the pool keeps them).
enum UpstreamDialer {
    /// The threads namespace connects block on: a pool of their own, wide. A connect usually takes microseconds, but
    /// one whose SYN the service's full accept queue dropped waits for the retransmission (1 s, then 3 s): on NIO's
    /// shared pool (two threads on two cores) a few such connects stalled every other connection, and a service that
    /// answers one connection per request (busybox httpd) fell to 29 requests/s behind the edge against 3,781 behind
    /// nginx (bench/container-proxy-vs-nginx.sh). Idle threads cost only their stacks.
    static let connectThreads: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 64)
        pool.start()
        return pool
    }()

    /// Connects `bootstrap` (its options and initializer set) to `address`.
    static func connect(_ bootstrap: ClientBootstrap, to address: ServiceAddress, on eventLoop: any EventLoop, timeout: TimeAmount)
        -> EventLoopFuture<any Channel>
    {
        guard address.namespace != nil else {
            return bootstrap.connectTimeout(timeout).connect(host: "127.0.0.1", port: address.port)
        }
        return connectThreads.runIfActive(eventLoop: eventLoop) {
            try connectedSocket(to: address, timeout: timeout)
        }.flatMap { descriptor in
            bootstrap.withConnectedSocket(descriptor)
        }
    }

    /// A socket made in `address`'s namespace and connected to its port there (blocking, at most `timeout`), then
    /// switched to non-blocking for NIO.
    static func connectedSocket(to address: ServiceAddress, timeout: TimeAmount) throws -> NIOBSDSocket.Handle {
        let descriptor = address.makeSocket()
        guard descriptor >= 0 else { throw UpstreamDialError("cannot make a socket for \(address): \(String(cString: strerror(errno)))") }
        let nanoseconds = max(timeout.nanoseconds, 1_000_000)
        var limit = timeval(tv_sec: Int(nanoseconds / 1_000_000_000), tv_usec: Int(nanoseconds % 1_000_000_000 / 1000))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var noDelay: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, socklen_t(MemoryLayout<Int32>.size))
        var socketAddress = sockaddr_in()
        socketAddress.sin_family = sa_family_t(AF_INET)
        socketAddress.sin_port = in_port_t(UInt16(address.port).bigEndian)
        socketAddress.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
        let result = withUnsafePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw UpstreamDialError("connection to \(address) failed: \(reason)")
        }
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
        return descriptor
    }
}

/// A service process that could not be reached in its namespace.
struct UpstreamDialError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}
