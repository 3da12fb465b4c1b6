import Foundation
import SlipwayTesting
import Testing

/// The `slipway` binary itself, run as a user would, against a live server.
@Suite struct CommandLineTests {
    /// The `slipway` executable SwiftPM built next to the test bundle.
    static var executable: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("slipway").path
    }

    /// Runs `slipway` with arguments and environment; returns exit status and combined output.
    static func slipway(_ arguments: [String], environment: [String: String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"].merging(environment) { $1 }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: executable)))
    func createAProjectAndDeployItFromTheCommandLine() async throws {
        let site = try TemporaryGitRepository()
        try site.write("web/build.sh", "mkdir -p out && echo '<p>from the cli</p>' > out/index.html && echo built it\n")
        try site.commit("site")
        try await TestServer.withServer { server in
            let environment = ["SLIPWAY_URL": server.baseURL, "SLIPWAY_TOKEN": server.adminToken]
            let (createStatus, createOutput) = try Self.slipway(
                [
                    "projects", "create", "cli-site", "--repository", site.path, "--root-dir", "web", "--build-command", "sh build.sh",
                    "--output-dir", "out",
                ],
                environment: environment
            )
            #expect(createStatus == 0, "\(createOutput)")
            #expect(createOutput.contains("Created project cli-site"))

            let (deployStatus, deployOutput) = try Self.slipway(["deploy", "cli-site", "--wait"], environment: environment)
            #expect(deployStatus == 0, "\(deployOutput)")
            #expect(deployOutput.contains("── build"))
            #expect(deployOutput.contains("│ built it"))
            #expect(deployOutput.contains("✓ Live at http://cli-site.localhost:\(server.port)"))
            #expect(try await server.edge("cli-site").body == "<p>from the cli</p>\n")

            try site.write("web/build.sh", "echo broken >&2; exit 3\n")
            try site.commit("break it")
            let (failStatus, failOutput) = try Self.slipway(["deploy", "cli-site", "--wait"], environment: environment)
            #expect(failStatus == 1)
            #expect(failOutput.contains("│ broken"))
            #expect(failOutput.contains("✗ Deployment 2 failed: the build command exited with status 3"))

            let (unknownStatus, unknownOutput) = try Self.slipway(["deploy", "no-such-project"], environment: environment)
            #expect(unknownStatus == 1)
            #expect(unknownOutput.contains("error: project 'no-such-project' not found (HTTP 404)"))

            let (badTokenStatus, badTokenOutput) = try Self.slipway(
                ["deploy", "cli-site"], environment: ["SLIPWAY_URL": server.baseURL, "SLIPWAY_TOKEN": "wrong"])
            #expect(badTokenStatus == 1)
            #expect(badTokenOutput.contains("HTTP 401"))
        }
    }
}
