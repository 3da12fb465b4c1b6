public import NIOCore
import NIOPosix

/// Asks one DNS resolver for the TXT records of a name, over UDP (RFC 1035 §4.2.1): the install's resolver
/// (`--dns-resolver`, else the first `nameserver` of `/etc/resolv.conf`). Each attempt waits `timeout`; an answer
/// from another address, or to another query, is ignored.
public struct DNSTextLookup: Sendable {
    public let resolver: SocketAddress
    public var timeout: Duration
    public var attempts: Int

    public init(resolver: SocketAddress, timeout: Duration = .milliseconds(1500), attempts: Int = 2) {
        self.resolver = resolver
        self.timeout = timeout
        self.attempts = max(1, attempts)
    }

    /// The lookup through the system's resolver: the first `nameserver` line of `resolvConf`'s text.
    public static func system(resolvConf: String) -> DNSTextLookup? {
        for line in resolvConf.split(whereSeparator: \.isNewline) {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2, fields[0] == "nameserver" else { continue }
            if let address = try? SocketAddress(ipAddress: String(fields[1]), port: 53) { return DNSTextLookup(resolver: address) }
        }
        return nil
    }

    /// Why a lookup gave no answer.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The TXT records of `name`; empty when it has none.
    public func textRecords(_ name: String) async throws -> [String] {
        var lastProblem = "no answer from the DNS server \(resolver) within \(timeout)"
        for _ in 0..<attempts {
            let id = UInt16.random(in: 0...UInt16.max)
            let query = try DNSMessage.textQuery(id: id, name: name)
            guard let answer = try await exchange(query, id: id) else { continue }
            do {
                return try DNSMessage.textRecords(in: answer, id: id)
            } catch .serverFailure(let code) {
                lastProblem = DNSMessage.Problem.serverFailure(code: code).description
            } catch {
                throw Failure(description: error.description)
            }
        }
        throw Failure(description: lastProblem)
    }

    /// Sends `query` and returns the first datagram from the resolver that answers `id`; nil after `timeout`.
    private func exchange(_ query: [UInt8], id: UInt16) async throws -> [UInt8]? {
        let local = resolver.protocol == .inet6 ? "::" : "0.0.0.0"
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: local, port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>(wrappingChannelSynchronously: channel)
                }
            }
        let resolver = self.resolver
        let timeout = self.timeout
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(AddressedEnvelope(remoteAddress: resolver, data: ByteBuffer(bytes: query)))
            return try await withThrowingTaskGroup(of: [UInt8]?.self) { group in
                group.addTask {
                    for try await envelope in inbound where envelope.remoteAddress == resolver {
                        let bytes = Array(envelope.data.readableBytesView)
                        // The id is the first two bytes; anything else is someone else's.
                        if bytes.count >= 2, UInt16(bytes[0]) << 8 | UInt16(bytes[1]) == id { return bytes }
                    }
                    return nil
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                let first = try await group.next() ?? nil
                group.cancelAll()
                return first
            }
        }
    }
}
