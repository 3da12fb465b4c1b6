public import AsyncHTTPClient
public import Foundation
import NIOCore
import NIOHTTP1
import SlipwayCertificates

#if canImport(Glibc)
    import Glibc
#endif

/// A real ACME server for tests: Debian's `pebble` with `pebble-challtestsrv` as its DNS (every name is 127.0.0.1),
/// both on free loopback ports, pebble's HTTPS certificate made here. It validates HTTP-01 and TLS-ALPN-01 on the
/// ports the test's own responders listen on. Stop it with `stop()` (or use `run`), which ends both by pid.
public final class PebbleServer: Sendable {
    /// What a test asks of pebble.
    public struct Configuration: Sendable {
        /// Where pebble connects for HTTP-01 (the test's HTTP responder on 127.0.0.1).
        public var httpChallengePort: Int
        /// Where pebble connects for TLS-ALPN-01 (the test's TLS responder on 127.0.0.1).
        public var tlsChallengePort: Int
        /// The lifetime of the certificates pebble issues, in seconds (pebble's default is five years).
        public var certificateValidity: Int?
        /// The percentage of good nonces pebble refuses with `badNonce` (`PEBBLE_WFE_NONCEREJECT`; 0 here, pebble's
        /// own default is 5).
        public var nonceRejectPercent: Int
        /// The percentage of valid authorizations pebble reuses for new orders (`PEBBLE_AUTHZREUSE`; 0 here, so that
        /// every order is validated again; pebble's own default is 50).
        public var authorizationReusePercent: Int
        /// Names pebble refuses to issue for (`rejectedIdentifier`).
        public var domainBlocklist: [String]

        /// A configuration from its parts.
        public init(
            httpChallengePort: Int, tlsChallengePort: Int, certificateValidity: Int? = nil, nonceRejectPercent: Int = 0,
            authorizationReusePercent: Int = 0, domainBlocklist: [String] = []
        ) {
            self.httpChallengePort = httpChallengePort
            self.tlsChallengePort = tlsChallengePort
            self.certificateValidity = certificateValidity
            self.nonceRejectPercent = nonceRejectPercent
            self.authorizationReusePercent = authorizationReusePercent
            self.domainBlocklist = domainBlocklist
        }
    }

    /// The ACME directory, `https://127.0.0.1:PORT/dir`.
    public let directoryURL: String
    /// Pebble's management API, `https://127.0.0.1:PORT` (`/roots/0` is the root that issues).
    public let managementURL: String
    /// The DNS server pebble asks (pebble-challtestsrv's): every name is 127.0.0.1; TXT records are set through
    /// `setTXT`.
    public let dnsPort: Int
    /// pebble-challtestsrv's management API, `http://127.0.0.1:PORT`.
    public let challengeManagementURL: String
    /// The certificate of pebble's own HTTPS listeners: what a client must trust to talk to it.
    public let httpsCertificatePEM: String
    /// The temporary directory with pebble's configuration, certificate and logs.
    public let directory: URL
    private let processes: [ProcessHandle]

    /// Whether `pebble` and `pebble-challtestsrv` are installed (Debian: `apt-get install pebble`).
    public static var isInstalled: Bool {
        FileManager.default.isExecutableFile(atPath: pebblePath) && FileManager.default.isExecutableFile(atPath: challengeTestServerPath)
    }

    static let pebblePath = "/usr/bin/pebble"
    static let challengeTestServerPath = "/usr/bin/pebble-challtestsrv"

    /// Starts challtestsrv and pebble, runs `body`, and stops both whatever happened.
    public static func run<T: Sendable>(_ configuration: Configuration, _ body: (PebbleServer) async throws -> T) async throws -> T {
        let pebble = try await start(configuration)
        do {
            let result = try await body(pebble)
            pebble.stop()
            return result
        } catch {
            pebble.stop()
            throw error
        }
    }

    /// Starts challtestsrv and pebble and waits until both listen. The caller must `stop()` it.
    public static func start(_ configuration: Configuration) async throws -> PebbleServer {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("slipway-pebble-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let ports = try (0..<4).map { _ in try LoopbackSocket.freePort() }
        let (dnsPort, challengeManagementPort, listenPort, managementPort) = (ports[0], ports[1], ports[2], ports[3])

        let https = try SelfSignedCertificate.make(names: ["localhost"], ipAddresses: ["127.0.0.1"])
        try https.certificatePEM.write(to: directory.appendingPathComponent("cert.pem"), atomically: true, encoding: .utf8)
        try https.privateKeyPEM.write(to: directory.appendingPathComponent("key.pem"), atomically: true, encoding: .utf8)
        var settings: [String: Any] = [
            "listenAddress": "127.0.0.1:\(listenPort)",
            "managementListenAddress": "127.0.0.1:\(managementPort)",
            "certificate": directory.appendingPathComponent("cert.pem").path,
            "privateKey": directory.appendingPathComponent("key.pem").path,
            "httpPort": configuration.httpChallengePort,
            "tlsPort": configuration.tlsChallengePort,
            "ocspResponderURL": "",
            "externalAccountBindingRequired": false,
            "domainBlocklist": configuration.domainBlocklist,
        ]
        if let validity = configuration.certificateValidity { settings["certificateValidityPeriod"] = validity }
        let configurationData = try JSONSerialization.data(withJSONObject: ["pebble": settings], options: [.sortedKeys])
        let configurationPath = directory.appendingPathComponent("pebble-config.json").path
        try configurationData.write(to: URL(fileURLWithPath: configurationPath))

        var started: [ProcessHandle] = []
        do {
            let dns = try ProcessHandle.launch(
                challengeTestServerPath,
                [
                    "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "", "-dns01", "127.0.0.1:\(dnsPort)", "-http01", "", "-https01", "",
                    "-tlsalpn01", "", "-management", "127.0.0.1:\(challengeManagementPort)",
                ],
                environment: [:], log: directory.appendingPathComponent("challtestsrv.log")
            )
            started.append(dns)
            try await waitUntilListening(port: challengeManagementPort, process: dns)
            let pebble = try ProcessHandle.launch(
                pebblePath, ["-config", configurationPath, "-dnsserver", "127.0.0.1:\(dnsPort)"],
                environment: [
                    "PEBBLE_VA_NOSLEEP": "1",
                    "PEBBLE_WFE_NONCEREJECT": "\(configuration.nonceRejectPercent)",
                    "PEBBLE_AUTHZREUSE": "\(configuration.authorizationReusePercent)",
                ],
                log: directory.appendingPathComponent("pebble.log")
            )
            started.append(pebble)
            try await waitUntilListening(port: listenPort, process: pebble)
            try await waitUntilListening(port: managementPort, process: pebble)
        } catch {
            for process in started.reversed() { process.stop() }
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
        return PebbleServer(
            directoryURL: "https://127.0.0.1:\(listenPort)/dir", managementURL: "https://127.0.0.1:\(managementPort)",
            dnsPort: dnsPort, challengeManagementURL: "http://127.0.0.1:\(challengeManagementPort)",
            httpsCertificatePEM: https.certificatePEM, directory: directory, processes: started
        )
    }

    private init(
        directoryURL: String, managementURL: String, dnsPort: Int, challengeManagementURL: String, httpsCertificatePEM: String,
        directory: URL, processes: [ProcessHandle]
    ) {
        self.directoryURL = directoryURL
        self.managementURL = managementURL
        self.dnsPort = dnsPort
        self.challengeManagementURL = challengeManagementURL
        self.httpsCertificatePEM = httpsCertificatePEM
        self.directory = directory
        self.processes = processes
    }

    /// An HTTP client that trusts pebble's HTTPS certificate (and nothing else); the caller shuts it down.
    public func makeHTTPClient() throws -> HTTPClient {
        try ACMEHTTPClient.make(trustedCertificatesPEM: httpsCertificatePEM)
    }

    /// The root certificate pebble issues under (PEM), from its management API (`/roots/0`).
    public func rootCertificatePEM(using client: HTTPClient) async throws -> String {
        let response = try await client.execute(HTTPClientRequest(url: "\(managementURL)/roots/0"), timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1024 * 1024)
        guard response.status == .ok else { throw TestSupportError("pebble's /roots/0 answered \(response.status)") }
        return String(buffer: body)
    }

    /// Makes pebble-challtestsrv's DNS answer `value` for the TXT records of `host` (`/set-txt`); `clearTXT` removes
    /// them.
    public func setTXT(_ host: String, _ value: String) async throws {
        try await challengeManagement("/set-txt", ["host": host.hasSuffix(".") ? host : host + ".", "value": value])
    }

    public func clearTXT(_ host: String) async throws {
        try await challengeManagement("/clear-txt", ["host": host.hasSuffix(".") ? host : host + "."])
    }

    private func challengeManagement(_ path: String, _ body: [String: String]) async throws {
        var request = HTTPClientRequest(url: challengeManagementURL + path)
        request.method = .POST
        request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        guard response.status == .ok else { throw TestSupportError("pebble-challtestsrv's \(path) answered \(response.status)") }
    }

    /// The pids of challtestsrv and pebble, in the order they started.
    public var processIdentifiers: [Int32] { processes.map(\.processIdentifier) }

    /// Pebble's output so far, for a failing test's message.
    public var log: String {
        (try? String(contentsOf: directory.appendingPathComponent("pebble.log"), encoding: .utf8)) ?? ""
    }

    /// Stops pebble and challtestsrv (SIGTERM to each pid, then waits for it) and removes the temporary directory.
    /// Safe to call more than once.
    public func stop() {
        for process in processes.reversed() { process.stop() }
        try? FileManager.default.removeItem(at: directory)
    }

    /// Waits until something accepts TCP connections on 127.0.0.1:`port`, or throws when `process` has exited or a
    /// minute has passed (a watchdog, not a measure).
    private static func waitUntilListening(port: Int, process: ProcessHandle) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if !process.isRunning { throw TestSupportError("\(process.executable) exited: \(process.output)") }
            if canConnect(port: port) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestSupportError("\(process.executable) did not listen on port \(port) within a minute: \(process.output)")
    }

    private static func canConnect(port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

/// One program PebbleServer started, with its output in a file; stopped by its pid.
private final class ProcessHandle: @unchecked Sendable {
    // @unchecked: `process` is only touched under `lock` after `launch` returns.
    let executable: String
    private let process: Process
    private let logURL: URL
    private let lock = NSLock()

    private init(executable: String, process: Process, logURL: URL) {
        self.executable = executable
        self.process = process
        self.logURL = logURL
    }

    static func launch(_ executable: String, _ arguments: [String], environment: [String: String], log: URL) throws -> ProcessHandle {
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let output = try FileHandle(forWritingTo: log)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try? output.close()
        return ProcessHandle(executable: executable, process: process, logURL: log)
    }

    var isRunning: Bool { lock.withLock { process.isRunning } }

    var processIdentifier: Int32 { lock.withLock { process.processIdentifier } }

    var output: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    /// SIGTERM to the pid, then waits for it to exit.
    func stop() {
        lock.withLock {
            guard process.isRunning else { return }
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }
    }
}
