import Foundation
import SlipwayServer
import SlipwayTesting
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The limits of client connections on a real server: idle connections closed at their deadlines while `/health`
/// keeps answering, and the cap of connections per client address.
@Suite struct ClientConnectionLimitLiveTests {
    /// Open sockets of the test, closed when it ends.
    final class Sockets: Sendable {
        private let descriptors = Mutex<[Int32]>([])

        func add(_ fd: Int32) { descriptors.withLock { $0.append(fd) } }
        var all: [Int32] { descriptors.withLock { $0 } }
        func closeAll() {
            descriptors.withLock {
                $0.forEach { close($0) }; $0 = []
            }
        }
    }

    @Test func twoThousandIdleConnectionsAreClosedAfterTheDeadlineWhileHealthKeepsAnswering() async throws {
        // 2,000 connections need 4,000 descriptors in this process (both ends); fewer when the limit cannot be raised.
        let limit = RawClient.raiseOpenFileLimit()
        let wanted = min(2000, (limit - 1000) / 2)
        #expect(wanted == 2000, "RLIMIT_NOFILE is \(limit): only \(wanted) idle connections")
        try await TestServer.withServer(configure: { configuration in
            configuration.requestHeadTimeout = .seconds(5)
            configuration.idleConnectionTimeout = .seconds(5)
            // No cap per address: the deadlines alone must close these connections.
            configuration.maxConnectionsPerAddress = 0
        }) { server in
            let sockets = Sockets()
            defer { sockets.closeAll() }
            // Half never send a byte (the head deadline); half send one request and keep the connection (the idle
            // deadline after the response).
            let opening = ContinuousClock.now
            try await onOwnThread {
                for index in 0..<wanted {
                    let fd = try RawClient.connect(port: server.port, receiveTimeout: 10)
                    sockets.add(fd)
                    if index % 2 == 1 {
                        try RawClient.send(fd, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                        let answer = try RawClient.receiveResponse(fd)
                        guard answer.hasPrefix("HTTP/1.1 200") else { throw RawClientError("health answered \(answer)") }
                    }
                }
            }
            #expect(sockets.all.count == wanted)
            // Right after, they are all still open: what closes them is their deadline, nothing else. (On a loaded
            // machine opening them may itself take longer than the deadline; then this cannot be seen.)
            if ContinuousClock.now - opening < .seconds(4) {
                #expect(sockets.all.filter(RawClient.isClosedByPeer).count < wanted / 10)
            }

            var healthChecks = 0
            let clock = ContinuousClock()
            let giveUp = clock.now + .seconds(60)
            while sockets.all.contains(where: { !RawClient.isClosedByPeer($0) }) {
                guard clock.now < giveUp else { break }
                let health = try await RawClient.exchange(port: server.port, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                #expect(health.hasPrefix("HTTP/1.1 200"))
                healthChecks += 1
                try await Task.sleep(for: .milliseconds(200))
            }
            let stillOpen = sockets.all.filter { !RawClient.isClosedByPeer($0) }.count
            #expect(stillOpen == 0, "\(stillOpen) of \(wanted) idle connections are still open")
            #expect(healthChecks > 0)
            let health = try await RawClient.exchange(port: server.port, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            #expect(health.hasPrefix("HTTP/1.1 200"))
        }
    }

    @Test func anAddressBeyondItsCapOfConnectionsIsClosedAtOnceAndAnotherAddressIsServed() async throws {
        try await TestServer.withServer(configure: { $0.maxConnectionsPerAddress = 20 }) { server in
            let sockets = Sockets()
            defer { sockets.closeAll() }
            try await onOwnThread {
                for _ in 0..<25 { sockets.add(try RawClient.connect(port: server.port)) }
            }
            // The server accepts all 25, and closes 5 at once (whichever its event loops counted last).
            let condition = await ProcessTable.eventually(timeout: .seconds(10)) {
                sockets.all.filter(RawClient.isClosedByPeer).count == 5
            }
            #expect(condition)
            #expect(sockets.all.filter { !RawClient.isClosedByPeer($0) }.count == 20)
            let elsewhere = try await RawClient.exchange(
                port: server.port, from: "127.0.0.2", "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            #expect(elsewhere.hasPrefix("HTTP/1.1 200"))
            // Once this address closes its connections, it is served again.
            sockets.closeAll()
            let served = await ProcessTable.eventually(timeout: .seconds(10)) {
                let answer = try? await RawClient.exchange(port: server.port, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                return answer?.hasPrefix("HTTP/1.1 200") == true
            }
            #expect(served)
        }
    }

    @Test func twoHostLinesAre400OnTheRealServer() async throws {
        try await TestServer.withServer { server in
            let answer = try await RawClient.exchange(
                port: server.port, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: web.localhost\r\nConnection: close\r\n\r\n")
            #expect(answer.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        }
    }
}
