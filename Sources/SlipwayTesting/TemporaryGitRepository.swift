import Foundation

/// A real git repository in a temporary directory, for tests: write files, commit, branch.
public final class TemporaryGitRepository: @unchecked Sendable {
    /// The repository's absolute path (also usable as its clone URL).
    public let path: String

    /// The directory every temporary repository is made in: the one directory test servers allow local repositories
    /// from (`SlipwayConfiguration.allowedLocalRepositories`).
    public static let directory = FileManager.default.temporaryDirectory.appendingPathComponent("slipway-test-repositories").path

    /// A path in `directory` where no repository is: a local repository the test servers allow, that cannot be cloned.
    public static func missingPath() -> String { directory + "/missing-\(UUID().uuidString.prefix(8))" }

    /// Creates an empty repository whose first branch is `branch`.
    public init(branch: String = "main") throws {
        path = Self.directory + "/slipway-repo-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try git("init", "--quiet", "--initial-branch", branch)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Writes a file (creating directories), relative to the repository root.
    public func write(_ relativePath: String, _ contents: String, executable: Bool = false) throws {
        let url = URL(fileURLWithPath: path).appendingPathComponent(relativePath)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(contents.utf8).write(to: url)
        if executable { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path) }
    }

    /// Commits everything and returns the new commit's full id.
    @discardableResult
    public func commit(_ message: String) throws -> String {
        try git("add", "--all")
        try git("commit", "--quiet", "--allow-empty", "-m", message)
        return try git("rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Creates and switches to a branch.
    public func checkoutNewBranch(_ name: String) throws {
        try git("checkout", "--quiet", "-b", name)
    }

    /// Switches to an existing branch.
    public func checkout(_ name: String) throws {
        try git("checkout", "--quiet", name)
    }

    /// Runs git in the repository and returns its standard output.
    @discardableResult
    public func git(_ arguments: String...) throws -> String {
        try Self.run(["git", "-C", path] + arguments)
    }

    static func run(_ arguments: [String]) throws -> String {
        var environment = ProcessInfo.processInfo.environment
        environment["GIT_AUTHOR_NAME"] = "Slipway Test"
        environment["GIT_AUTHOR_EMAIL"] = "test@slipway.invalid"
        environment["GIT_COMMITTER_NAME"] = "Slipway Test"
        environment["GIT_COMMITTER_EMAIL"] = "test@slipway.invalid"
        environment["GIT_CONFIG_NOSYSTEM"] = "1"
        let (status, output) = try CapturedProcess.run("/usr/bin/env", arguments, environment: environment, includeErrors: false)
        guard status == 0 else {
            throw TestSupportError("\(arguments.joined(separator: " ")) exited with status \(status)")
        }
        return output
    }
}

/// A failure inside the test support itself.
public struct TestSupportError: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
