import AsyncHTTPClient
import Foundation
import Hummingbird
public import Logging
import NIOCore
public import NIOHTTP1
import ServiceLifecycle
public import SlipwayClient
import SlipwayCore
public import SlipwayServer
import SlipwayStore
import Synchronization

/// A whole Slipway server on a free loopback port with a temporary data directory, for end-to-end tests.
/// The database is SQLite unless `SLIPWAY_TEST_DATABASE_URL` is set and the test asks for PostgreSQL.
public struct TestServer: Sendable {
    public let port: Int
    public let dataDirectory: String
    public let adminToken: String
    public let domain: String
    /// The port of the `--metrics-address` listener, when the configuration asks for one.
    public var metricsPort: Int? = nil

    /// The API's base URL.
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// A client of the native API with the admin token; every answer to a documented operation is checked against
    /// the OpenAPI document (a mismatch is the call's error).
    public var client: SlipwayClient { client(token: adminToken) }

    /// A client of the native API with `token`, checked against the OpenAPI document like `client`.
    public func client(token: String) -> SlipwayClient {
        SlipwayClient(baseURL: baseURL, token: token, answerCheck: APIDocument.checkAnswer)
    }

    /// Starts a server, runs `body` with it, then shuts it down and deletes its data directory.
    public static func withServer<T: Sendable>(
        configure: (inout SlipwayConfiguration) -> Void = { _ in },
        logger: Logger? = nil,
        _ body: @Sendable (TestServer) async throws -> T
    ) async throws -> T {
        let dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("slipway-test-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        var configuration = testConfiguration(dataDirectory: dataDirectory)
        configure(&configuration)
        return try await run(configuration, logger: logger, body)
    }

    /// The configuration `withServer` starts from: a free port, cheap password hashing, a known admin token, no
    /// local repositories but the temporary ones. For tests that `run` a server themselves (restarts on one data
    /// directory, fixed ports another program must know first).
    public static func testConfiguration(dataDirectory: String) -> SlipwayConfiguration {
        var configuration = SlipwayConfiguration()
        configuration.dataDirectory = dataDirectory
        configuration.port = 0
        configuration.workers = 2
        // scrypt at N = 2^10 (1 MiB): the tests hash hundreds of passwords at once on two cores, which at the
        // production cost queued logins for over a minute. Every hash carries its cost, so nothing else changes.
        configuration.passwordHashing = .init(logRounds: 10, blockSize: 8, parallelism: 1)
        configuration.adminToken = "slw_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        configuration.printsAdminToken = false
        // Local repositories only from the temporary repositories' directory (`run` allows it), not the checkout the
        // tests run in.
        configuration.allowsWorkingCheckout = false
        // One team per test server: domains are verified as they are added (the ownership tests turn TXT on).
        configuration.domainVerification = .off
        // Notification destinations served by the tests listen on 127.0.0.1 (the SSRF tests turn this off).
        configuration.notifications.allowsPrivateTargets = true
        return configuration
    }

    /// Runs a server with this configuration (its data directory is kept: restart tests reuse it), allowing local
    /// repositories from `TemporaryGitRepository.directory` as well. With port 0 it takes a free port, and another
    /// one if a test running beside it took that port first.
    /// `logger` replaces the default one (warnings and worse, to standard error).
    public static func run<T: Sendable>(
        _ configuration: SlipwayConfiguration, logger: Logger? = nil, _ body: @Sendable (TestServer) async throws -> T
    ) async throws -> T {
        var configuration = configuration
        try FileManager.default.createDirectory(atPath: TemporaryGitRepository.directory, withIntermediateDirectories: true)
        if !configuration.allowedLocalRepositories.contains(TemporaryGitRepository.directory) {
            configuration.allowedLocalRepositories.append(TemporaryGitRepository.directory)
        }
        guard configuration.port == 0 else { return try await runOnce(configuration, logger: logger, body) }
        var attempt = 1
        while true {
            var configuration = configuration
            configuration.port = try freePort()
            do {
                return try await runOnce(configuration, logger: logger, body)
            } catch let error as ServerDidNotStart where attempt < 3 && !(error.underlying is StartUpStepFailure) {
                // Another port is tried when this one was taken; a failed start-up step fails again anywhere.
                attempt += 1
            }
        }
    }

    /// The server stopped before it listened (its port was taken, say); `body` did not run.
    struct ServerDidNotStart: Error, CustomStringConvertible {
        var underlying: (any Error)?
        var description: String { "the server did not start: \(underlying.map { "\($0)" } ?? "it stopped")" }
    }

    private static func runOnce<T: Sendable>(
        _ configuration: SlipwayConfiguration, logger givenLogger: Logger?, _ body: @Sendable (TestServer) async throws -> T
    ) async throws -> T {
        var logger = Logger(label: "slipway-test")
        logger.logLevel = ProcessInfo.processInfo.environment["SLIPWAY_TEST_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .warning
        if let givenLogger { logger = givenLogger }
        let ready = AsyncStream<Int>.makeStream()
        let metricsReady = AsyncStream<Int>.makeStream()
        let app = try await buildApplication(
            configuration, logger: logger, onServerRunning: { port in ready.continuation.yield(port) },
            onMetricsServerRunning: { port in metricsReady.continuation.yield(port) })
        let frozen = configuration
        let serviceGroup = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                // A server that stops before it listens ends the wait for its port.
                defer {
                    ready.continuation.finish()
                    metricsReady.continuation.finish()
                }
                try await serviceGroup.run()
                return nil
            }
            var iterator = ready.stream.makeAsyncIterator()
            guard let port = await iterator.next() else {
                do {
                    try await group.waitForAll()
                    throw ServerDidNotStart()
                } catch let error as ServerDidNotStart {
                    throw error
                } catch {
                    throw ServerDidNotStart(underlying: error)
                }
            }
            // Written by the start-up work, which is done once the server listens.
            let token =
                try frozen.adminToken
                ?? String(contentsOfFile: frozen.dataDirectory + "/admin-token", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            var server = TestServer(port: port, dataDirectory: frozen.dataDirectory, adminToken: token, domain: frozen.domain)
            if frozen.metricsAddress != nil {
                var metricsPorts = metricsReady.stream.makeAsyncIterator()
                server.metricsPort = await metricsPorts.next()
            }
            let result: Result<T, any Error>
            do {
                result = .success(try await body(server))
            } catch {
                result = .failure(error)
            }
            await serviceGroup.triggerGracefulShutdown()
            try await group.waitForAll()
            return try result.get()
        }!
    }

    /// Fetches `path` from a deployment host such as `hello.localhost`, over real HTTP on loopback.
    public func edge(_ host: String, _ path: String = "/", headers: [(String, String)] = [], method: HTTPMethod = .GET) async throws -> EdgeResponse {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.headers.replaceOrAdd(name: "Host", value: "\(host).\(domain):\(port)")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 16 << 20)
        return EdgeResponse(status: Int(response.status.code), headers: response.headers, body: String(buffer: body))
    }

    /// Creates another workspace (with its own admin user and token) next to the running server; returns the token.
    public func createWorkspace(_ name: String) async throws -> String {
        let secret = APIToken.generateSecret()
        try await SQLStore.withStore(.sqlite(path: DataLayout(root: dataDirectory).database)) { store in
            _ = try await store.identities.bootstrap(workspaceName: name, userName: "\(name)-admin", tokenSecret: secret)
        }
        return secret
    }

    /// A loopback port nobody listens on right now.
    public static func freePort() throws -> Int { try LoopbackSocket.freePort() }
}

/// What the edge answered.
public struct EdgeResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: String
}
