import Foundation
import SlipwayCore
import Synchronization
import Testing

@testable import SlipwayRuntime

@Suite struct RuntimePartsTests {
    @Test func restartsBackOffFromOneSecondToThirtyAndStartOverAfterAStableRun() {
        var backoff = RestartBackoff()
        let quickCrashes = (0..<7).map { _ in backoff.next(afterUptime: .milliseconds(200)) }
        #expect(quickCrashes == [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16), .seconds(30), .seconds(30)])
        #expect(backoff.next(afterUptime: .seconds(61)) == .seconds(1))
        #expect(backoff.next(afterUptime: .seconds(1)) == .seconds(2))
    }

    @Test func theStatusLineGivesTheHealthCheckItsCode() {
        #expect(HealthProbe.statusCode(of: Array("HTTP/1.1 204 No Content\r\n".utf8)) == 204)
        #expect(HealthProbe.statusCode(of: Array("HTTP/1.0 503 Service Unavailable\r\nX: y\r\n".utf8)) == 503)
        #expect(HealthProbe.statusCode(of: Array("SSH-2.0-OpenSSH\r\n".utf8)) == nil)
        #expect(HealthProbe.statusCode(of: Array("HTTP/1.1 2000 OK\r\n".utf8)) == nil)
        #expect(HealthProbe.statusCode(of: Array("HTTP/1.1 200 OK".utf8)) == nil)
        #expect(HealthProbe.Result.status(299).isHealthy)
        #expect(!HealthProbe.Result.status(302).isHealthy)
        #expect(!HealthProbe.Result.failed("refused").isHealthy)
    }

    @Test func aProbeOfAPortNobodyListensOnFailsWithTheReason() async throws {
        // A socket bound but not listening holds its port: nothing else can listen there, and a connection is refused.
        let (descriptor, port) = try boundLoopbackSocket(listening: false)
        defer { close(descriptor) }
        let result = await HealthProbe.check(port: port, path: "/", timeout: .seconds(1))
        #expect(result == .failed("connection to port \(port) failed: Connection refused"))
    }

    @Test func portsAreHandedOutOnceAndOnlyWhenFree() throws {
        // The allocator asks the test, not the machine, which ports something else holds: no port is assumed free.
        let held = Mutex<Set<Int>>([20001])
        let ports = PortAllocator(range: 20000...20003, portIsFree: { port in held.withLock { !$0.contains(port) } })
        let taken = try (0..<3).map { _ in try ports.allocate() }
        #expect(Set(taken) == [20000, 20002, 20003], "20001 is held by another process")
        #expect(try noPortLeft(ports) == "no free port left in 20000-20003")
        ports.release(20002)
        #expect(try ports.allocate() == 20002)
        held.withLock { $0 = [] }
        #expect(try ports.allocate() == 20001, "freed by the other process")
        #expect(try noPortLeft(ports) == "no free port left in 20000-20003")
    }

    @Test func aPortIsFreeOnlyWhileNothingListensOnIt() throws {
        let (descriptor, port) = try boundLoopbackSocket(listening: true)
        #expect(!PortAllocator.isFree(port))
        close(descriptor)
        #expect(PortAllocator.isFree(port))
    }

    /// The failure of allocating from `ports`, which must fail.
    private func noPortLeft(_ ports: PortAllocator) throws -> String {
        let failure = #expect(throws: ServiceFailure.self) { try ports.allocate() }
        return try #require(failure).description
    }

    /// A TCP socket on `127.0.0.1` at a port the kernel chose (port 0), listening or not, and its port.
    private func boundLoopbackSocket(listening: Bool) throws -> (Int32, Int) {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        try #require(descriptor >= 0)
        try #require(LoopbackAddress.with(port: 0) { bind(descriptor, $0, $1) } == 0)
        if listening { try #require(listen(descriptor, 1) == 0) }
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        try #require(named == 0)
        return (descriptor, Int(UInt16(bigEndian: address.sin_port)))
    }

    @Test func aStartCommandComesFromTheProjectOrTheProcfile() throws {
        let build = FileManager.default.temporaryDirectory.appendingPathComponent("procfile-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: build, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: build) }
        #expect(try ServiceSupervisor.startCommand(for: .init(startCommand: " node server.js "), buildDirectory: build) == "node server.js")
        let missing = #expect(throws: ServiceFailure.self) { try ServiceSupervisor.startCommand(for: .init(), buildDirectory: build) }
        #expect(missing?.description == "no start_command is set and the build has no Procfile")
        try "worker: ./work\nweb: bundle exec puma -p $PORT\n".write(toFile: build + "/Procfile", atomically: true, encoding: .utf8)
        #expect(try ServiceSupervisor.startCommand(for: .init(), buildDirectory: build) == "bundle exec puma -p $PORT")
    }
}
