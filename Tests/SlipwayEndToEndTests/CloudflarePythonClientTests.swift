import Foundation
import NIOHTTP1
import SlipwayClient
import SlipwayTesting
import Testing

/// Cloudflare's official Python client (`pip install cloudflare`) against a live Slipway: create, get, list with
/// auto-pagination, logs, retry, rollback and delete, through `Python/cloudflare_client.py`. It needs python3 with
/// venv and PyPI, so it runs only when `SLIPWAY_TEST_PYTHON_CLIENTS=1` (CI sets it; docs/cloudflare.md).
@Suite struct CloudflarePythonClientTests {
    /// The client release the test installs: 5.x is the first whose `list` takes `page`/`per_page` and pages on its own.
    static let clientVersion = "5.9.0"

    /// Whether the environment asks for the tests that install official clients from PyPI.
    static var enabled: Bool { ProcessInfo.processInfo.environment["SLIPWAY_TEST_PYTHON_CLIENTS"] == "1" }

    /// The script, found next to this file.
    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Python/cloudflare_client.py").path
    }

    /// Runs a program to its end on a thread of its own (blocking the cooperative pool would starve the in-process
    /// server); answers its exit status and combined output.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) async throws -> (Int32, String) {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(
                    with: Result {
                        let result = try CapturedProcess.run(
                            executable, arguments, environment: ProcessInfo.processInfo.environment.merging(environment) { $1 })
                        return (result.status, result.output)
                    })
            }
        }
    }

    /// A virtual environment in a temporary directory with the client installed; answers its python.
    static func makeVirtualEnvironment(in directory: String) async throws -> String {
        let (venvStatus, venvOutput) = try await run("/usr/bin/env", ["python3", "-m", "venv", directory])
        guard venvStatus == 0 else { throw TestSupportError("python3 -m venv failed: \(venvOutput)") }
        let (pipStatus, pipOutput) = try await run(
            directory + "/bin/pip", ["install", "--quiet", "--disable-pip-version-check", "cloudflare==\(clientVersion)"])
        guard pipStatus == 0 else { throw TestSupportError("pip install cloudflare==\(clientVersion) failed: \(pipOutput)") }
        return directory + "/bin/python"
    }

    @Test(
        "Cloudflare's Python client creates, gets, pages through, reads logs of, retries, rolls back and deletes deployments",
        .enabled(if: enabled, "SLIPWAY_TEST_PYTHON_CLIENTS is not 1: this test installs Cloudflare's Python client from PyPI"),
        .timeLimit(.minutes(10))
    )
    func officialPythonClientDrivesTheCloudflareDialect() async throws {
        let environmentDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("slipway-cloudflare-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: environmentDirectory) }
        let python = try await Self.makeVirtualEnvironment(in: environmentDirectory.path)

        let site = try TemporaryGitRepository()
        try site.write(
            "build.sh",
            """
            set -e
            echo "building $(cat message.txt)"
            if [ -f fail.txt ]; then echo "refusing to build" >&2; exit 3; fi
            mkdir -p dist
            echo "<p>$(cat message.txt)</p>" > dist/index.html
            """
        )
        try site.write("message.txt", "from python")
        _ = try site.commit("first")
        try await TestServer.withServer { server in
            _ = try await server.client.createProject(
                NewProjectRequest(name: "pysite", repository: site.path, buildCommand: "sh build.sh", outputDir: "dist"))
            let (envStatus, _) = try await server.client.raw(
                .PUT, "/api/v1/projects/pysite/env",
                body: Data(
                    #"{"production": {"API_TOKEN": {"value": "s3cret", "secret": true}, "API_URL": {"value": "https://api.example", "secret": false}}}"#
                        .utf8))
            #expect(envStatus == 200)
            let account = try await server.client.me().workspace?.cloudflareAccountId ?? ""

            let (status, output) = try await Self.run(
                python, [Self.script],
                environment: [
                    "SLIPWAY_BASE_URL": server.baseURL, "SLIPWAY_TOKEN": server.adminToken, "SLIPWAY_ACCOUNT_ID": account,
                    "SLIPWAY_PROJECT": "pysite", "SLIPWAY_REPOSITORY": site.path,
                ])
            #expect(status == 0, "\(output)")
            #expect(output.contains("cloudflare \(Self.clientVersion) against"), "\(output)")
            #expect(output.contains("ok: list: 7 deployments over 3 pages, each once, newest first"), "\(output)")
            #expect(output.contains("all checks passed"), "\(output)")
        }
    }
}
