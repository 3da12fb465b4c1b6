import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import SlipwayClient
import SlipwayTesting
import Testing

/// A flood of large unsigned webhook bodies at a real `slipway serve` (a child process, so that its memory is its
/// own): its resident memory stays bounded, because only a few unverified bodies are read at once.
@Suite struct WebhookFloodTests {
    /// The `slipway` executable SwiftPM built next to the test bundle.
    static var executable: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("slipway").path
    }

    /// Kilobytes of a `/proc/<pid>/status` field (`VmRSS`, `VmHWM`: the peak).
    static func memory(_ field: String, of pid: Int32) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix(field + ":") })
        return try #require(Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]))
    }

    static let bodies = 40
    static let bodySize = 20 << 20
    /// What the flood may add to the server's resident memory at its peak: 4 slots of 20 MB bodies are 80 MB; the rest
    /// is margin (read buffers of the waiting connections, the allocator's slack). Without the gate the same flood
    /// added 700–900 MB here.
    static let boundMB = 250

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: executable), "needs the slipway executable built next to the tests"))
    func fortyUnsigned20MBWebhooksAtOnceKeepTheServersMemoryBounded() async throws {
        let dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("slipway-flood-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        let port = try TestServer.freePort()
        let token = "slw_flood_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let server = Process()
        server.executableURL = URL(fileURLWithPath: Self.executable)
        // No limit of failed signatures: the gate alone must keep the memory bounded.
        server.arguments = ["serve", "--data-dir", dataDirectory, "--port", String(port), "--auth-failure-limit", "0"]
        server.environment = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "SLIPWAY_ADMIN_TOKEN": token, "LOG_LEVEL": "error",
        ]
        server.standardOutput = FileHandle.nullDevice
        try server.run()
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        let baseURL = "http://127.0.0.1:\(port)"
        let up = await ProcessTable.eventually(timeout: .seconds(60)) {
            let answer = try? await RawClient.exchange(port: port, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            return answer?.hasPrefix("HTTP/1.1 200") == true
        }
        try #require(up, "the server did not start")
        let project = try await SlipwayClient(baseURL: baseURL, token: token).createProject(
            NewProjectRequest(name: "flooded", repository: "https://example.com/flooded.git"))

        let client = HTTPClient(
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            configuration: .init(connectionPool: .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: Self.bodies)))
        // One buffer shared by every request: the test's own memory stays small.
        var body = ByteBuffer()
        body.writeRepeatingByte(UInt8(ascii: " "), count: Self.bodySize)
        let shared = body
        let before = try Self.memory("VmRSS", of: server.processIdentifier)

        let flood = try? await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<Self.bodies {
                group.addTask {
                    var request = HTTPClientRequest(url: "\(baseURL)/api/v1/hooks/git/\(project.uid)")
                    request.method = .POST
                    request.headers.add(name: "Content-Type", value: "application/json")
                    request.headers.add(name: "X-GitHub-Event", value: "push")
                    request.body = .bytes(shared)
                    let response = try await client.execute(request, timeout: .seconds(120))
                    _ = try await response.body.collect(upTo: 1 << 20)
                    return Int(response.status.code)
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        try await client.shutdown()
        let statuses = try #require(flood, "a webhook request failed")
        let peak = try Self.memory("VmHWM", of: server.processIdentifier)
        let addedMB = (peak - before) / 1024
        print("webhook flood: RSS before \(before / 1024) MB, peak \(peak / 1024) MB (+\(addedMB) MB); answers \(statuses.sorted())")
        // Every delivery was read and refused (401), or refused before its body when no slot freed up in time (503).
        #expect(statuses.count == Self.bodies)
        #expect(statuses.allSatisfy { $0 == 401 || $0 == 503 }, "\(statuses)")
        #expect(statuses.contains(401))
        #expect(addedMB < Self.boundMB, "the flood added \(addedMB) MB to the server's resident memory")
        let health = try await RawClient.exchange(port: port, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        #expect(health.hasPrefix("HTTP/1.1 200"))
    }

    @Test func aWebhookLargerThan25MBIs413BeforeItsBodyIsRead() async throws {
        try await TestServer.withServer { server in
            let project = try await server.client.createProject(NewProjectRequest(name: "big", repository: "https://example.com/big.git"))
            let answer = try await RawClient.exchange(
                port: server.port,
                "POST /api/v1/hooks/git/\(project.uid) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: \(25 << 20 + 1)\r\nConnection: close\r\n\r\n{")
            #expect(answer.hasPrefix("HTTP/1.1 413"))
            #expect(answer.contains("webhook payloads are limited to 25 MB"))
        }
    }
}
