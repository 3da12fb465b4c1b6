import Foundation
import SlipwayCore
public import SlipwaySandbox
import Synchronization

/// The git invocations of the clone stage, built as argument arrays. Pure: tested by their exact output.
public enum GitCommands {
    /// A shallow clone of one branch's head.
    public static func cloneBranch(repository: String, branch: String, into directory: String) -> [String] {
        [
            "git", "clone", "--quiet", "--depth", "1", "--branch", branch, "--single-branch", "--no-tags", "--",
            fetchURL(repository), directory,
        ]
    }

    /// A full clone of one branch, without checkout: for commits named by an abbreviated id.
    public static func cloneHistory(repository: String, branch: String, into directory: String) -> [String] {
        ["git", "clone", "--quiet", "--no-checkout", "--branch", branch, "--single-branch", "--no-tags", "--", fetchURL(repository), directory]
    }

    /// An empty repository to fetch one exact commit into.
    public static func initialize(_ directory: String) -> [String] {
        ["git", "init", "--quiet", directory]
    }

    /// Fetches exactly one commit (a full 40-digit id), without history.
    public static func fetchCommit(repository: String, commit: String, into directory: String) -> [String] {
        ["git", "-C", directory, "fetch", "--quiet", "--depth", "1", "--no-tags", "--", fetchURL(repository), commit]
    }

    /// Checks out a commit as a detached HEAD.
    public static func checkout(_ revision: String, in directory: String) -> [String] {
        ["git", "-C", directory, "-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", revision, "--"]
    }

    /// Prints the checked-out commit: full id, author, subject — one per line.
    public static func describeHead(in directory: String) -> [String] {
        ["git", "-C", directory, "log", "-1", "--format=%H%n%an <%ae>%n%s"]
    }

    /// The host path of a local repository (an absolute path or a `file://` URL), nil for a network URL.
    public static func localPath(of repository: String) -> String? {
        if repository.hasPrefix("/") { return repository }
        if repository.hasPrefix("file://") {
            let path = String(repository.dropFirst("file://".count))
            return path.removingPercentEncoding ?? path
        }
        return nil
    }

    /// The `~/.gitconfig` that lets git read a repository another uid owns (a local repository shown read-only to
    /// the sandbox user). git 2.39's upload-pack reads `safe.directory` from the global configuration only.
    public static let trustingRepositoryOwner = "[safe]\n\tdirectory = *\n"

    /// Absolute local paths become `file://` URLs, so that `--depth` applies to them as well.
    public static func fetchURL(_ repository: String) -> String {
        repository.hasPrefix("/") ? "file://" + repository : repository
    }

    /// The environment git runs with: no prompts, no user or system configuration, and only the network protocols
    /// (`protocolEnvironment`).
    public static func environment(home: String) -> [String: String] {
        [
            "PATH": Sandbox.defaultPath, "HOME": home, "GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_SSH_COMMAND": "ssh -o BatchMode=yes -o StrictHostKeyChecking=accept-new", "LANG": "C.UTF-8",
        ].merging(protocolEnvironment(allowsFileProtocol: false)) { $1 }
    }

    /// The protocols git may use, for the repository and for anything it leads to (submodules, redirects):
    /// `https`, `http`, `ssh` and `git`, plus `file` when the source is Slipway's own remote or an allowed local path
    /// (`RepositorySourceRules.cloneSource`). `GIT_ALLOW_PROTOCOL` overrides every `protocol.*.allow` setting, so
    /// `ext::`, `fd::` and other remote helpers are refused; `GIT_PROTOCOL_FROM_USER=0` refuses what is left to
    /// the user's say.
    public static func protocolEnvironment(allowsFileProtocol: Bool) -> [String: String] {
        let protocols = RepositorySourceRules.networkProtocols + (allowsFileProtocol ? ["file"] : [])
        return ["GIT_ALLOW_PROTOCOL": protocols.joined(separator: ":"), "GIT_PROTOCOL_FROM_USER": "0"]
    }
}

/// The commit a checkout ended on.
public struct CheckedOutCommit: Sendable, Equatable {
    public var id: String
    public var author: String
    public var message: String
}

/// Where git runs: a sandbox and what it sees. The default runs git as a plain process on the host's paths.
public struct GitSandbox: Sendable {
    public var sandbox: Sandbox
    /// The directories git sees (the work directory, and a local repository read-only).
    public var mounts: [SandboxMount]
    /// Where git starts, as it sees it.
    public var workingDirectory: String
    /// The directory git must not see (the data directory).
    public var hiddenDirectory: String
    /// The host identity git runs as, when the server runs as root.
    public var user: SandboxUser?

    public init(
        sandbox: Sandbox = Sandbox(isolation: .processGroup), mounts: [SandboxMount] = [], workingDirectory: String = "/",
        hiddenDirectory: String = "/nonexistent", user: SandboxUser? = nil
    ) {
        self.sandbox = sandbox
        self.mounts = mounts
        self.workingDirectory = workingDirectory
        self.hiddenDirectory = hiddenDirectory
        self.user = user
    }
}

/// Runs the clone stage: fetches the exact commit asked for (or the branch head) into a directory. Every git
/// command runs in the sandbox given (paths as the sandbox sees them): a hostile repository meets git there, not
/// on the host.
public struct GitCheckout: Sendable {
    public var home: String
    /// Added to git's environment (the deployment's marker, so that leftovers can be found).
    public var environment: [String: String]
    public var handle: ProcessHandle?
    public var timeout: Duration
    public var sandbox: GitSandbox

    public init(
        home: String, environment: [String: String] = [:], handle: ProcessHandle? = nil, timeout: Duration = .seconds(600),
        sandbox: GitSandbox = GitSandbox()
    ) {
        self.home = home
        self.environment = environment
        self.handle = handle
        self.timeout = timeout
        self.sandbox = sandbox
    }

    private var gitEnvironment: [String: String] { GitCommands.environment(home: home).merging(environment) { $1 } }

    /// Checks out `commit` (full or abbreviated id), or the head of `branch` when `commit` is nil. Every step runs
    /// in one sandbox (one start instead of four); a step that fails is named in the error.
    public func checkout(
        repository: String, branch: String, commit: String?, into directory: String,
        onLine: @escaping @Sendable (OutputLine) -> Void
    ) async throws -> CheckedOutCommit {
        var steps: [(arguments: [String], failure: String)] = []
        if let commit, commit.count == 40 {
            steps.append((GitCommands.initialize(directory), "git failed"))
            steps.append(
                (
                    GitCommands.fetchCommit(repository: repository, commit: commit, into: directory),
                    "commit \(commit) could not be fetched from \(repository)"
                ))
            steps.append((GitCommands.checkout("FETCH_HEAD", in: directory), "git failed"))
        } else if let commit {
            steps.append(
                (
                    GitCommands.cloneHistory(repository: repository, branch: branch, into: directory),
                    "branch '\(branch)' could not be cloned from \(repository)"
                ))
            steps.append((GitCommands.checkout(commit, in: directory), "commit \(commit) is not on branch '\(branch)'"))
        } else {
            steps.append(
                (
                    GitCommands.cloneBranch(repository: repository, branch: branch, into: directory),
                    "branch '\(branch)' could not be cloned from \(repository)"
                ))
        }
        steps.append((GitCommands.describeHead(in: directory), "git could not read the checked-out commit"))
        // What the script reports about itself starts with a marker nobody else can know; git's own lines go to the log.
        let marker = "slipway-" + UUID().uuidString.lowercased() + " "
        let reports = Mutex<[String]>([])
        let termination = try await run(GitCheckout.script(steps.map(\.arguments), marker: marker)) { line in
            if line.text.hasPrefix(marker) {
                reports.withLock { $0.append(String(line.text.dropFirst(marker.count))) }
            } else {
                onLine(line)
            }
        }
        let reported = reports.withLock { $0 }
        if let failed = reported.first(where: { $0.hasPrefix("failed ") }) {
            let parts = failed.split(separator: " ")
            let step = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
            let status = parts.count > 2 ? String(parts[2]) : "?"
            throw PipelineError("\(steps[min(step, steps.count - 1)].failure): git exited with status \(status)")
        }
        let head = reported.filter { $0.hasPrefix("head ") }.map { String($0.dropFirst("head ".count)) }
        guard termination.succeeded, head.count >= 3 else {
            throw PipelineError("git could not check out the commit: git \(termination.summary)")
        }
        return CheckedOutCommit(id: head[0], author: head[1], message: head[2...].joined(separator: "\n"))
    }

    /// The shell script that runs `steps` in order: each one's arguments quoted, a failing one reported on stderr as
    /// `<marker>failed <index> <status>` (then the script ends); the last step's output (the head's description)
    /// printed as `<marker>head <line>`.
    static func script(_ steps: [[String]], marker: String) -> String {
        var lines = ["step() { index=$1; shift; \"$@\" || { status=$?; echo \"\(marker)failed $index $status\" >&2; exit $status; }; }"]
        for (index, arguments) in steps.enumerated() {
            if index == steps.count - 1 {
                lines.append("step \(index) " + ShellQuoting.join(arguments) + " > \"$HOME/.slipway-head\"")
                lines.append("sed " + ShellQuoting.quote("s/^/\(marker)head /") + " \"$HOME/.slipway-head\"; rm -f \"$HOME/.slipway-head\"")
            } else {
                lines.append("step \(index) " + ShellQuoting.join(arguments))
            }
        }
        return lines.joined(separator: "\n")
    }

    /// Runs a shell script in the sandbox.
    private func run(_ script: String, onLine: @escaping @Sendable (OutputLine) -> Void) async throws -> Termination {
        let spec = SandboxSpec(
            shellCommand: script, workingDirectory: sandbox.workingDirectory, mounts: sandbox.mounts,
            hiddenDirectory: sandbox.hiddenDirectory, environment: gitEnvironment, user: sandbox.user
        )
        return try await SandboxedProcess.run(spec, in: sandbox.sandbox, timeout: timeout, handle: handle, onLine: onLine)
    }
}

/// A failure of one deployment, with the message its `error` field and its log show.
public struct PipelineError: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
