import Foundation
import SlipwayCore
import SlipwaySandbox
import Testing

@testable import SlipwayPipeline

/// git clones with the network protocols only (`GIT_ALLOW_PROTOCOL`), plus `file` when the source is allowed local.
@Suite struct GitProtocolTests {
    @Test func theProtocolEnvironmentListsTheNetworkProtocolsAndFileOnlyWhenAllowed() {
        #expect(
            GitCommands.protocolEnvironment(allowsFileProtocol: false) == [
                "GIT_ALLOW_PROTOCOL": "https:http:ssh:git", "GIT_PROTOCOL_FROM_USER": "0",
            ])
        #expect(
            GitCommands.protocolEnvironment(allowsFileProtocol: true) == [
                "GIT_ALLOW_PROTOCOL": "https:http:ssh:git:file", "GIT_PROTOCOL_FROM_USER": "0",
            ])
        #expect(GitCommands.environment(home: "/w/home")["GIT_ALLOW_PROTOCOL"] == "https:http:ssh:git")
    }

    /// A committed repository and an empty work area in a temporary directory.
    final class Scratch: @unchecked Sendable {
        let root: String
        var repository: String { root + "/repository" }
        var home: String { root + "/home" }

        init() throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("slipway-git-protocols-\(UUID().uuidString.prefix(8))").path
            try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: repository, withIntermediateDirectories: true)
            try Data("hello\n".utf8).write(to: URL(fileURLWithPath: repository + "/index.html"))
            for arguments in [
                ["init", "--quiet", "--initial-branch", "main"], ["add", "--all"],
                ["-c", "user.name=t", "-c", "user.email=t@slipway.invalid", "commit", "--quiet", "-m", "one"],
            ] {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                process.arguments = ["git", "-C", repository] + arguments
                process.environment = ["PATH": "/usr/bin:/bin", "HOME": home, "GIT_CONFIG_NOSYSTEM": "1"]
                try process.run()
                process.waitUntilExit()
                guard process.terminationStatus == 0 else { throw PipelineError("git \(arguments.first ?? "") failed") }
            }
        }

        deinit { try? FileManager.default.removeItem(atPath: root) }
    }

    private static func clone(_ repository: String, environment: [String: String], scratch: Scratch, into name: String) async throws
        -> (CheckedOutCommit?, [String])
    {
        let lines = LinesBox()
        let checkout = GitCheckout(home: scratch.home, environment: environment, timeout: .seconds(60))
        do {
            let commit = try await checkout.checkout(repository: repository, branch: "main", commit: nil, into: scratch.root + "/" + name) {
                lines.append($0.text)
            }
            return (commit, lines.all)
        } catch {
            return (nil, lines.all + ["\(error)"])
        }
    }

    @Test func aLocalRepositoryIsClonedOnlyWhenTheFileProtocolIsAllowed() async throws {
        let scratch = try Scratch()
        let (refused, refusedLines) = try await Self.clone(scratch.repository, environment: [:], scratch: scratch, into: "refused")
        #expect(refused == nil)
        #expect(refusedLines.contains { $0.contains("transport 'file' not allowed") }, "\(refusedLines)")
        let (allowed, allowedLines) = try await Self.clone(
            scratch.repository, environment: GitCommands.protocolEnvironment(allowsFileProtocol: true), scratch: scratch, into: "allowed")
        #expect(allowed?.message == "one", "\(allowedLines)")
    }

    @Test func gitsRemoteHelpersStayRefusedEvenWhenAConfigurationAllowsThem() async throws {
        let scratch = try Scratch()
        let marker = scratch.root + "/ext-ran"
        // As if a configuration git reads had switched `ext` on: GIT_ALLOW_PROTOCOL overrides it.
        let permissive = [
            "GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "protocol.ext.allow", "GIT_CONFIG_VALUE_0": "always",
        ]
        let (commit, lines) = try await Self.clone("ext::sh -c touch% \(marker)", environment: permissive, scratch: scratch, into: "ext")
        #expect(commit == nil)
        #expect(lines.contains { $0.contains("transport 'ext' not allowed") }, "\(lines)")
        #expect(!FileManager.default.fileExists(atPath: marker))
    }
}

/// Lines collected from git's output callback.
private final class LinesBox: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}
