import CSlipwaySpawn
import Foundation
public import SlipwayCore

#if canImport(Glibc)
    import Glibc
#endif

/// The network namespace a sandboxed service runs in, held open by a descriptor (`/proc/<pid>/ns/net`) for as
/// long as something may connect to it. The edge and the health check reach the service on the namespace's own
/// loopback: a socket made while the calling thread is in the namespace stays in it (`makeSocket`), so no
/// user-mode network stack sits between the edge and the service.
public final class NetworkNamespace: SocketNamespace {
    /// The descriptor of the namespace file.
    public let descriptor: Int32
    /// The identity of the namespace (its inode), stable while it exists.
    public let inode: UInt64

    /// Takes ownership of `descriptor`, an open `/proc/<pid>/ns/net`.
    public init(descriptor: Int32) {
        self.descriptor = descriptor
        var status = stat()
        self.inode = fstat(descriptor, &status) == 0 ? UInt64(status.st_ino) : 0
    }

    /// Opens the network namespace of process `pid`.
    public static func of(processID pid: Int32) throws -> NetworkNamespace {
        let descriptor = open("/proc/\(pid)/ns/net", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw ServiceFailure("cannot open the network namespace of process \(pid): \(String(cString: strerror(errno)))")
        }
        return NetworkNamespace(descriptor: descriptor)
    }

    deinit { close(descriptor) }

    public var description: String { "net:[\(inode)]" }

    /// The namespace this process started in, to come back to after `makeSocket`.
    private static let host: Int32 = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)

    /// A new TCP socket of this namespace (`flags` as `socket(2)` takes them besides `SOCK_STREAM`), made on the
    /// calling thread, which enters the namespace for the call and returns to the host's at once. -1 with `errno`
    /// set when it fails.
    public func makeSocket(flags: Int32 = 0) -> Int32 {
        let host = Self.host
        guard host >= 0, slipway_enter_network_namespace(descriptor) == 0 else { return -1 }
        let socketDescriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | flags, 0)
        let socketError = errno
        if slipway_enter_network_namespace(host) != 0 {
            // The thread could not come back: it must not go on in the tenant's namespace.
            fatalError("cannot return to the host's network namespace: \(String(cString: strerror(errno)))")
        }
        errno = socketError
        return socketDescriptor
    }
}
