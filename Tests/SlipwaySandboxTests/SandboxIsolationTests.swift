import Foundation
import Testing

@testable import SlipwaySandbox

@Suite struct SandboxIsolationTests {
    /// Runs a command that lists the data directory and reads a secret in it, under each isolation this machine has.
    @Test(arguments: ["bwrap", "unshare"])
    func theDataDirectoryIsInvisibleExceptTheWorkDirectory(tool: String) async throws {
        guard let path = Sandbox.findExecutable(tool) else {
            print("skipped: \(tool) is not installed here")
            return
        }
        let isolation: Isolation = tool == "bwrap" ? .bubblewrap(executable: path) : .unshare(executable: path)
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("slipway-sandbox-\(UUID().uuidString)").path
        let work = data + "/work/d1"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: data) }
        try "top secret".write(toFile: data + "/admin-token", atomically: true, encoding: .utf8)
        try "mine\n".write(toFile: work + "/input.txt", atomically: true, encoding: .utf8)

        let spec = SandboxSpec(
            shellCommand: "cat \(data)/admin-token; cat input.txt; echo built > output.txt; ls \(data)",
            workingDirectory: work, writableDirectories: [work], hiddenDirectory: data,
            environment: ["PATH": Sandbox.defaultPath]
        )
        let (termination, lines) = try await ChildProcess.capture(Sandbox(isolation: isolation).command(for: spec))
        let text = lines.map(\.text)
        #expect(!text.contains("top secret"))
        #expect(text.contains("mine"))
        #expect(text.contains("work"))
        #expect(!text.contains("admin-token"))
        #expect(termination.exitCode != nil)
        #expect(try String(contentsOfFile: work + "/output.txt", encoding: .utf8) == "built\n")
    }
}
