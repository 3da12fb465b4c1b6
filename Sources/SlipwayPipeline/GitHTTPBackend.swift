import Foundation
public import SlipwayCore
import SlipwaySandbox
import Synchronization

/// The git commands of Slipway's own git remotes, built as argument arrays.
public enum GitRemoteCommands {
    /// Creates a bare repository whose HEAD names the production branch.
    public static func initBare(_ path: String, branch: String) -> [String] {
        ["git", "init", "--quiet", "--bare", "--initial-branch", branch, path]
    }

    /// Lists every branch and tag with the object it points at: `<sha> <ref>` per line.
    public static func listRefs(_ repository: String) -> [String] {
        ["git", "-C", repository, "for-each-ref", "--format=%(objectname) %(refname)", "refs/heads", "refs/tags"]
    }

    /// Prints a commit: full id, `author <email>`, then the whole message.
    public static func describeCommit(_ repository: String, _ sha: String) -> [String] {
        ["git", "-C", repository, "log", "-1", "--format=%H%n%an <%ae>%n%B", sha, "--"]
    }

    /// The paths that differ between two commits.
    public static func changedPaths(_ repository: String, from old: String, to new: String) -> [String] {
        ["git", "-C", repository, "diff", "--name-only", "--no-renames", old, new, "--"]
    }

    /// The paths one commit changed (for a branch that did not exist before the push).
    public static func pathsOfCommit(_ repository: String, _ sha: String) -> [String] {
        ["git", "-C", repository, "diff-tree", "-r", "--name-only", "--no-commit-id", "--root", sha, "--"]
    }

    /// `git http-backend`, the CGI program of git's smart HTTP protocol.
    public static let httpBackend = ["git", "http-backend"]
}

/// Serves each project's bare repository under `<data-dir>/git/` through `git http-backend` (a CGI child process,
/// streaming both ways), and reports what a push changed by comparing the refs before and after it.
public struct GitHTTPBackend: GitRemoteBackend {
    let layout: DataLayout
    /// Pushes to one repository run one at a time, so that each sees its own before and after.
    let pushLocks: KeyedLock

    /// Creates the backend for the data directory's repositories.
    public init(layout: DataLayout) {
        self.layout = layout
        self.pushLocks = KeyedLock()
    }

    /// The environment of every git command here: no system or user config, and `safe.directory` so that git serves
    /// repositories owned by another user than the server's (NOTES.md: "dubious ownership").
    func gitEnvironment() -> [String: String] {
        [
            "PATH": Sandbox.defaultPath, "HOME": layout.gitRepositories, "GIT_CONFIG_NOSYSTEM": "1", "LANG": "C.UTF-8",
            "GIT_CONFIG_COUNT": "2", "GIT_CONFIG_KEY_0": "safe.directory", "GIT_CONFIG_VALUE_0": "*",
            "GIT_CONFIG_KEY_1": "http.receivepack", "GIT_CONFIG_VALUE_1": "true",
        ]
    }

    public func prepareRepository(for project: Project) async throws -> String {
        let path = layout.gitRepository(project.uid)
        if FileManager.default.fileExists(atPath: path + "/HEAD") { return path }
        try FileManager.default.createDirectory(atPath: layout.gitRepositories, withIntermediateDirectories: true)
        _ = try await git(GitRemoteCommands.initBare(path, branch: project.productionBranch))
        return path
    }

    public func start(_ request: GitRemoteRequest, project: Project) async throws -> any GitRemoteExchange {
        let repository = try await prepareRepository(for: project)
        var release: (@Sendable () -> Void)?
        var before: [String: String] = [:]
        if request.isPush && request.method == "POST" {
            release = await pushLocks.acquire(repository)
            before = try await refs(repository)
        }
        var environment = gitEnvironment()
        environment["GIT_PROJECT_ROOT"] = layout.gitRepositories
        environment["GIT_HTTP_EXPORT_ALL"] = "1"
        environment["PATH_INFO"] = "/" + project.uid.lowercased + ".git" + request.pathInfo
        environment["REQUEST_METHOD"] = request.method
        environment["QUERY_STRING"] = request.query
        environment["REMOTE_USER"] = request.remoteUser
        environment["REMOTE_ADDR"] = "127.0.0.1"
        environment["SERVER_PROTOCOL"] = "HTTP/1.1"
        environment["GATEWAY_INTERFACE"] = "CGI/1.1"
        if let value = request.headers["content-type"] { environment["CONTENT_TYPE"] = value }
        if let value = request.headers["content-length"] { environment["CONTENT_LENGTH"] = value }
        if let value = request.headers["content-encoding"] { environment["HTTP_CONTENT_ENCODING"] = value }
        if let value = request.headers["git-protocol"] { environment["GIT_PROTOCOL"] = value }
        do {
            let process = try PipedProcess(Command(arguments: GitRemoteCommands.httpBackend, environment: environment))
            return GitHTTPExchange(backend: self, process: process, repository: repository, before: before, release: release)
        } catch {
            release?()
            throw error
        }
    }

    /// Every branch and tag of a repository, by full ref name.
    func refs(_ repository: String) async throws -> [String: String] {
        var refs: [String: String] = [:]
        for line in try await git(GitRemoteCommands.listRefs(repository)) {
            let parts = line.split(separator: " ", maxSplits: 1)
            if parts.count == 2 { refs[String(parts[1])] = String(parts[0]) }
        }
        return refs
    }

    /// The pushes that turn `before` into `after`, one per changed ref, with the new head commit described.
    func pushes(repository: String, before: [String: String], after: [String: String]) async throws -> [GitPush] {
        var pushes: [GitPush] = []
        for ref in Set(before.keys).union(after.keys).sorted() where before[ref] != after[ref] {
            let delivery = "slipway-push-" + UUID().uuidString.lowercased()
            guard let new = after[ref] else {
                pushes.append(GitPush(provider: "slipway", deliveryID: delivery, ref: ref, isDeletion: true, commitID: nil))
                continue
            }
            var push = GitPush(provider: "slipway", deliveryID: delivery, ref: ref, commitID: new)
            if ref.hasPrefix("refs/heads/") {
                let description = try await git(GitRemoteCommands.describeCommit(repository, new))
                if description.count >= 2 {
                    push.commitAuthor = description[1]
                    push.commitMessage = description.dropFirst(2).joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
                }
                let command =
                    before[ref].map { GitRemoteCommands.changedPaths(repository, from: $0, to: new) }
                    ?? GitRemoteCommands.pathsOfCommit(repository, new)
                push.changedPaths = try await git(command).filter { !$0.isEmpty }
            }
            pushes.append(push)
        }
        return pushes
    }

    /// Runs a short git command and returns its standard output lines; throws with its error output when it fails.
    func git(_ arguments: [String]) async throws -> [String] {
        let (termination, lines) = try await ChildProcess.capture(Command(arguments: arguments, environment: gitEnvironment()), timeout: .seconds(60))
        guard termination.succeeded else {
            let errors = lines.filter { $0.stream == .stderr }.map(\.text).joined(separator: "; ")
            throw PipelineError("\(arguments.prefix(4).joined(separator: " ")) \(termination.summary): \(errors)")
        }
        return lines.filter { $0.stream == .stdout }.map(\.text)
    }
}

/// One request served by `git http-backend`.
final class GitHTTPExchange: GitRemoteExchange {
    private struct State {
        var pending: [UInt8] = []
        var head: (status: Int, headers: [(String, String)])?
        var release: (@Sendable () -> Void)?
    }

    private let backend: GitHTTPBackend
    private let process: PipedProcess
    private let repository: String
    private let before: [String: String]
    private let isPush: Bool
    private let state: Mutex<State>

    init(backend: GitHTTPBackend, process: PipedProcess, repository: String, before: [String: String], release: (@Sendable () -> Void)?) {
        self.backend = backend
        self.process = process
        self.repository = repository
        self.before = before
        self.isPush = release != nil
        self.state = Mutex(State(release: release))
    }

    deinit {
        state.withLock { $0.release }?()
    }

    func write(_ bytes: [UInt8]) async throws { try await process.write(bytes) }

    func closeInput() { process.closeInput() }

    func head() async throws -> (status: Int, headers: [(String, String)]) {
        if let head = state.withLock({ $0.head }) { return head }
        var buffer: [UInt8] = []
        while true {
            if let (head, rest) = CGIResponseHead.parse(buffer) {
                state.withLock {
                    $0.head = head
                    $0.pending = rest
                }
                return head
            }
            guard let chunk = await process.read() else {
                let errors = process.standardError.joined(separator: "; ")
                throw PipelineError("git http-backend ended without a response\(errors.isEmpty ? "" : ": " + errors)")
            }
            buffer += chunk
        }
    }

    func read() async throws -> [UInt8]? {
        let pending = state.withLock { state -> [UInt8] in
            defer { state.pending = [] }
            return state.pending
        }
        if !pending.isEmpty { return pending }
        return await process.read()
    }

    func finish() async throws -> [GitPush] {
        defer {
            state.withLock { state -> (@Sendable () -> Void)? in
                defer { state.release = nil }
                return state.release
            }?()
        }
        _ = await process.wait()
        guard isPush else { return [] }
        let after = try await backend.refs(repository)
        return try await backend.pushes(repository: repository, before: before, after: after)
    }

    func abort() { process.kill() }
}

/// The header block a CGI program writes before its body.
public enum CGIResponseHead {
    /// Splits `bytes` after the blank line that ends the headers: the status (`Status:` header, else 200), the other
    /// headers, and the body bytes read so far. Nil while the blank line has not arrived.
    public static func parse(_ bytes: [UInt8]) -> (head: (status: Int, headers: [(String, String)]), rest: [UInt8])? {
        var end: Int?
        var separatorLength = 0
        for index in bytes.indices where bytes[index] == 10 {
            if index >= 1, bytes[index - 1] == 10 {
                end = index - 1
                separatorLength = 2
                break
            }
            if index >= 3, bytes[index - 1] == 13, bytes[index - 2] == 10, bytes[index - 3] == 13 {
                end = index - 3
                separatorLength = 4
                break
            }
        }
        guard let end else { return nil }
        var status = 200
        var headers: [(String, String)] = []
        for line in String(decoding: bytes[..<end], as: UTF8.self).split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            let line = line.trimmingCharacters(in: .whitespacesAndNewlines)
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if name.lowercased() == "status" {
                status = Int(value.prefix(3)) ?? 500
            } else {
                headers.append((name, value))
            }
        }
        return ((status, headers), Array(bytes[(end + separatorLength)...]))
    }
}

/// An async lock per key: one holder at a time for each key, waiters served in order.
final class KeyedLock: Sendable {
    private let state = Mutex<[String: [CheckedContinuation<Void, Never>]]>([:])

    /// Waits until `key` is free, takes it, and returns the function that frees it again.
    func acquire(_ key: String) async -> @Sendable () -> Void {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let free = state.withLock { table -> Bool in
                if table[key] == nil {
                    table[key] = []
                    return true
                }
                table[key]!.append(continuation)
                return false
            }
            if free { continuation.resume() }
        }
        let released = Mutex(false)
        return { [self] in
            guard
                released.withLock({ done in
                    defer { done = true }
                    return !done
                })
            else { return }
            let next = state.withLock { table -> CheckedContinuation<Void, Never>? in
                guard var waiters = table[key], !waiters.isEmpty else {
                    table[key] = nil
                    return nil
                }
                let first = waiters.removeFirst()
                table[key] = waiters
                return first
            }
            next?.resume()
        }
    }
}
