#if canImport(Glibc)
    import Glibc
#endif

/// `127.0.0.1:<port>` as the socket calls take it.
enum LoopbackAddress {
    /// Calls `body` with the address of `port` on loopback and its length (for `bind` and `connect`).
    static func with<Result>(port: Int, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }
}
