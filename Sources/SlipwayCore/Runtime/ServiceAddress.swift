import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A network namespace that sockets can be made in (implemented by `SlipwaySandbox.NetworkNamespace`): the edge
/// and the health check reach a sandboxed service on the namespace's own loopback through it.
public protocol SocketNamespace: AnyObject, Sendable, CustomStringConvertible {
    /// A new TCP socket of the namespace (`flags` as `socket(2)` takes them besides `SOCK_STREAM`); -1 with `errno`
    /// set when it fails.
    func makeSocket(flags: Int32) -> Int32
}

/// Where a service process listens: a loopback port, in its own network namespace or (nil) the host's.
public struct ServiceAddress: Sendable, Hashable, CustomStringConvertible {
    public var port: Int
    public var namespace: (any SocketNamespace)?

    public init(port: Int, namespace: (any SocketNamespace)? = nil) {
        self.port = port
        self.namespace = namespace
    }

    public static func == (left: ServiceAddress, right: ServiceAddress) -> Bool {
        left.port == right.port && left.namespace === right.namespace
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(port)
        hasher.combine(namespace.map(ObjectIdentifier.init))
    }

    public var description: String { "127.0.0.1:\(port)" + (namespace.map { " in \($0)" } ?? "") }

    /// A TCP socket (blocking unless `flags` say otherwise) that reaches this address: made in the namespace when
    /// there is one. -1 with `errno` set when it fails.
    public func makeSocket(flags: Int32 = 0) -> Int32 {
        if let namespace { return namespace.makeSocket(flags: flags) }
        return socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | flags, 0)
    }
}
