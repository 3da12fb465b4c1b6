public import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization

/// A tiny HTTP server on 127.0.0.1 (a free port) that records every request it gets and answers as the test says:
/// a status, a redirect, or no answer at all until `release()` (a destination that hangs). For notification and
/// commit-status tests.
public final class RecordingHTTPServer: Sendable {
    /// One request as received.
    public struct Received: Sendable {
        public var method: String
        /// The path with its query.
        public var path: String
        /// Header names in lower case.
        public var headers: [String: String]
        public var body: Data
        /// When it arrived.
        public var receivedAt: Date
    }

    /// How to answer a request.
    public enum Answer: Sendable {
        case status(Int)
        /// 302 (or the given status) with a `Location`.
        case redirect(String, status: Int = 302)
        /// No answer until `release()`, then a 200.
        case hang
    }

    private struct State {
        var received: [Received] = []
        var released = false
        var hanging: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())
    private let answer: @Sendable (Received, Int) -> Answer
    /// The port it listens on, once `with` runs its body.
    public let port: Int

    private init(port: Int, answer: @escaping @Sendable (Received, Int) -> Answer) {
        self.port = port
        self.answer = answer
    }

    /// `http://127.0.0.1:<port>`.
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Every request so far, in order.
    public var received: [Received] { state.withLock { $0.received } }

    /// Lets every hanging request (and later ones that would hang) answer 200.
    public func release() {
        let waiting = state.withLock { state in
            state.released = true
            defer { state.hanging = [] }
            return state.hanging
        }
        for continuation in waiting { continuation.resume() }
    }

    /// Waits until at least `count` requests arrived (checking every 20 ms, failing after `limit`): the requests.
    public func waitForRequests(_ count: Int, within limit: Duration = .seconds(60)) async throws -> [Received] {
        let clock = ContinuousClock()
        let deadline = clock.now + limit
        while clock.now < deadline {
            let now = received
            if now.count >= count { return now }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw RecordingServerTimeout(expected: count, got: received.count)
    }

    /// Runs a server whose answer to the `n`th request (from 0) is `answer(request, n)`, runs `body`, then stops it.
    public static func with<T: Sendable>(
        answer: @escaping @Sendable (Received, Int) -> Answer = { _, _ in .status(200) },
        _ body: @Sendable (RecordingHTTPServer) async throws -> T
    ) async throws -> T {
        let port = try TestServer.freePort()
        let server = RecordingHTTPServer(port: port, answer: answer)
        let router = Router()
        router.on("**", method: .post) { request, _ in try await server.handle(request) }
        router.on("**", method: .get) { request, _ in try await server.handle(request) }
        router.on("**", method: .put) { request, _ in try await server.handle(request) }
        var logger = Logger(label: "recording-server")
        logger.logLevel = .error
        let ready = AsyncStream<Void>.makeStream()
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)),
            onServerRunning: { _ in ready.continuation.yield() }, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                defer { ready.continuation.finish() }
                try await group.run()
            }
            var iterator = ready.stream.makeAsyncIterator()
            guard await iterator.next() != nil else {
                try await tasks.waitForAll()
                throw RecordingServerTimeout(expected: 0, got: 0)
            }
            let result: Result<T, any Error>
            do {
                result = .success(try await body(server))
            } catch {
                result = .failure(error)
            }
            server.release()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return try result.get()
        }
    }

    private func handle(_ request: Request) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 1 << 20)
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        let received = Received(
            method: request.method.rawValue, path: request.uri.description, headers: headers, body: Data(body.readableBytesView),
            receivedAt: Date())
        let index = state.withLock { state in
            state.received.append(received)
            return state.received.count - 1
        }
        switch answer(received, index) {
        case .status(let code):
            return Response(status: .init(code: code))
        case .redirect(let location, let code):
            return Response(status: .init(code: code), headers: [.location: location])
        case .hang:
            await withCheckedContinuation { continuation in
                let releasedAlready = state.withLock { state in
                    if state.released { return true }
                    state.hanging.append(continuation)
                    return false
                }
                if releasedAlready { continuation.resume() }
            }
            return Response(status: .ok)
        }
    }
}

/// Fewer requests than expected arrived in time.
public struct RecordingServerTimeout: Error, CustomStringConvertible {
    public var expected: Int
    public var got: Int
    public var description: String { "expected \(expected) requests at the recording server, got \(got)" }
}
