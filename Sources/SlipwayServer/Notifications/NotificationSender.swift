import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import SlipwayCore

/// Sends one request to a tenant-chosen URL without letting it reach the machine's own network: the host is
/// resolved here, every address it resolves to must be public (`NetworkAddressRules`) unless private targets are
/// allowed, and the connection goes to the address that was checked (no second lookup a rebinding DNS server could
/// answer differently). Redirects are followed by hand, a few at most, each checked the same way.
struct NotificationSender: Sendable {
    struct Configuration: Sendable {
        /// `--allow-private-notification-targets`.
        var allowsPrivateTargets = false
        /// The longest one request may take, connection included.
        var timeout: Duration = .seconds(10)
        var maximumRedirects = 3
        /// Address literals let through as if they were public: only tests set it, so that a receiver on 127.0.0.1 can
        /// redirect to another loopback address and show that the redirect is checked.
        var exemptAddresses: Set<String> = []
    }

    /// How a send ended: an answer's status, or why there was none.
    enum Result: Equatable {
        case answered(status: Int)
        /// The address was refused: never worth a retry.
        case refused(String)
        /// No answer (lookup, connection, timeout): worth a retry.
        case unreachable(String)
    }

    let configuration: Configuration

    func send(_ message: NotificationMessage, to url: String) async -> Result {
        var current = url
        for _ in 0...configuration.maximumRedirects {
            let result = await sendOnce(message, to: current)
            switch result {
            case .redirect(let location):
                guard let next = URL(string: location, relativeTo: URL(string: current))?.absoluteURL.absoluteString else {
                    return .unreachable("a redirect to an unreadable location")
                }
                current = next
            case .done(let outcome):
                return outcome
            }
        }
        return .unreachable("more than \(configuration.maximumRedirects) redirects")
    }

    private enum Step {
        case redirect(String)
        case done(Result)
    }

    private func sendOnce(_ message: NotificationMessage, to url: String) async -> Step {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = components.host, !host.isEmpty, components.user == nil, components.password == nil
        else { return .done(.refused("\(url) is not an http(s) URL without user info")) }
        let port = components.port ?? (scheme == "https" ? 443 : 80)
        let address: String
        switch await checkedAddress(host: host, port: port) {
        case .success(let checked): address = checked
        case .failure(let refusal): return .done(refusal.result)
        }

        var client = HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5)))
        client.dnsOverride = [host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")): address]
        client.connectionPool = .init(idleTimeout: .seconds(1))
        let httpClient = HTTPClient(eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup.singleton), configuration: client)
        let step = await execute(message, url: url, on: httpClient)
        try? await httpClient.shutdown()
        return step
    }

    private func execute(_ message: NotificationMessage, url: String, on httpClient: HTTPClient) async -> Step {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for (name, value) in message.headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: message.body))
        do {
            let response = try await httpClient.execute(request, timeout: .milliseconds(configuration.timeout.milliseconds))
            // The answer's body is not needed: read at most a little, so the connection can close cleanly.
            _ = try? await response.body.collect(upTo: 64 * 1024)
            let status = Int(response.status.code)
            if (300..<400).contains(status), status != 304, let location = response.headers.first(name: "location") {
                return .redirect(location)
            }
            return .done(.answered(status: status))
        } catch {
            return .done(.unreachable(Self.describe(error)))
        }
    }

    private struct Refusal: Error {
        var result: Result
    }

    /// The address to connect to: the literal itself, or the first address `host` resolves to, once every address it
    /// resolves to passed the check.
    private func checkedAddress(host: String, port: Int) async -> Swift.Result<String, Refusal> {
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if configuration.exemptAddresses.contains(bare) { return .success(bare) }
        if !configuration.allowsPrivateTargets, let refusal = NetworkAddressRules.refusal(hostname: host) {
            return .failure(Refusal(result: .refused(refusal)))
        }
        if NetworkAddressRules.ipv4Bytes(bare) != nil || NetworkAddressRules.ipv6Bytes(bare) != nil { return .success(bare) }
        let addresses: [(text: String, bytes: [UInt8])]
        do {
            addresses = try await NIOThreadPool.singleton.runIfActive { try Self.resolve(bare) }
        } catch {
            return .failure(Refusal(result: .unreachable("cannot resolve \(host): \(error)")))
        }
        guard let first = addresses.first else { return .failure(Refusal(result: .unreachable("\(host) has no address"))) }
        if !configuration.allowsPrivateTargets {
            for address in addresses {
                if let refusal = NetworkAddressRules.refusal(address: address.bytes) {
                    return .failure(
                        Refusal(
                            result: .refused(
                                "\(host) resolves to \(address.text), which \(refusal.split(separator: " ").dropFirst().joined(separator: " "))")))
                }
            }
        }
        return .success(first.text)
    }

    private struct LookupError: Error, CustomStringConvertible {
        var description: String
    }

    /// Every IPv4 and IPv6 address of `host` (getaddrinfo; blocking, so run on the thread pool).
    private static func resolve(_ host: String) throws -> [(text: String, bytes: [UInt8])] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0 else { throw LookupError(description: String(cString: gai_strerror(status))) }
        defer { freeaddrinfo(list) }
        var found: [(text: String, bytes: [UInt8])] = []
        var cursor = list
        while let entry = cursor {
            if let address = entry.pointee.ai_addr {
                if entry.pointee.ai_family == AF_INET {
                    let bytes = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                        withUnsafeBytes(of: pointer.pointee.sin_addr) { Array($0) }
                    }
                    found.append((bytes.map(String.init).joined(separator: "."), bytes))
                } else if entry.pointee.ai_family == AF_INET6 {
                    let bytes = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                        withUnsafeBytes(of: pointer.pointee.sin6_addr) { Array($0) }
                    }
                    var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
                    _ = bytes.withUnsafeBytes { inet_ntop(AF_INET6, $0.baseAddress, &text, socklen_t(text.count)) }
                    found.append((String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self), bytes))
                }
            }
            cursor = entry.pointee.ai_next
        }
        return found
    }

    /// An error of the HTTP client in words.
    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout: return "no answer in time"
            default: return "\(error)"
            }
        }
        if let error = error as? IOError { return "connection failed: \(error.description)" }
        return String(describing: error)
    }
}

extension Duration {
    /// Whole milliseconds.
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
