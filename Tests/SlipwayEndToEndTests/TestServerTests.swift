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
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 1) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        try #require(listening)
        var configuration = SlipwayConfiguration()
        configuration.dataDirectory =
            FileManager.default.temporaryDirectory.appendingPathComponent("slipway-taken-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: configuration.dataDirectory) }
        configuration.port = Int(UInt16(bigEndian: address.sin_port))
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
                try await Task.sleep(for: .seconds(60))
                return nil
            }
            let first = try await group.next()!
            group.cancelAll()
            return first
        }
        #expect(bodyRan == false, "the server started on a taken port, or its start was still awaited after 60 s")
    }
}
