import Foundation
import SlipwayServer
import SlipwayTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The test harness itself: a server that cannot start must fail the test, not hang it.
@Suite struct TestServerTests {
    @Test func aServerWhosePortIsTakenFailsToStartInsteadOfWaitingForever() async throws {
        // Something else listens on the port.
        let (fd, port) = try LoopbackSocket.bind(listening: 1)
        defer { close(fd) }
        var configuration = SlipwayConfiguration()
        configuration.dataDirectory =
            FileManager.default.temporaryDirectory.appendingPathComponent("slipway-taken-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: configuration.dataDirectory) }
        configuration.port = port
        configuration.adminToken = "slw_test_taken_port_0123456789abcdef"
        configuration.printsAdminToken = false
        let taken = configuration

        let bodyRan = try await withThrowingTaskGroup(of: Bool?.self) { group in
            group.addTask {
                do {
                    try await TestServer.run(taken) { _ in }
                    return true
                } catch {
                    #expect("\(error)".contains("the server did not start"), "\(error)")
                    return false
                }
            }
            group.addTask {
                // A watchdog, not a measure: the start-up fails in seconds, but a loaded machine running every suite
                // at once has taken over a minute.
                try await Task.sleep(for: .seconds(300))
                return nil
            }
            let first = try await group.next()!
            group.cancelAll()
            return first
        }
        #expect(bodyRan == false, "the server started on a taken port, or its start was still awaited after 300 s")
    }
}
