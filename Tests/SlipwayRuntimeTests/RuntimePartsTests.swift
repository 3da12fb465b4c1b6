import Foundation
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
        let ports = PortAllocator(range: 40000...40999)
        let port = try ports.allocate()
        let result = await HealthProbe.check(port: port, path: "/", timeout: .seconds(1))
        #expect(result == .failed("connection to port \(port) failed: Connection refused"))
    }

    @Test func portsAreHandedOutOnceAndOnlyWhenFree() throws {
        let ports = PortAllocator(range: 41000...41002)
        let taken = try (0..<3).map { _ in try ports.allocate() }
        #expect(Set(taken) == [41000, 41001, 41002])
        #expect(throws: (any Error).self) { try ports.allocate() }
        ports.release(41001)
        #expect(try ports.allocate() == 41001)
    }

    @Test func aStartCommandComesFromTheProjectOrTheProcfile() throws {
        let build = FileManager.default.temporaryDirectory.appendingPathComponent("procfile-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: build, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: build) }
        #expect(try ServiceSupervisor.startCommand(for: .init(startCommand: " node server.js "), buildDirectory: build) == "node server.js")
        #expect(throws: (any Error).self) { try ServiceSupervisor.startCommand(for: .init(), buildDirectory: build) }
        try "worker: ./work\nweb: bundle exec puma -p $PORT\n".write(toFile: build + "/Procfile", atomically: true, encoding: .utf8)
        #expect(try ServiceSupervisor.startCommand(for: .init(), buildDirectory: build) == "bundle exec puma -p $PORT")
    }
}
