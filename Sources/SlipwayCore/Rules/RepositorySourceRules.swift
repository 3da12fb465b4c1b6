import Foundation

/// Where a project's repository may come from (DESIGN.md §11, docs/security-inputs.md): over the network by `https`,
/// `http`, `ssh` (also scp-like `user@host:path`) or `git`; from a local path or a `file://` URL only inside a
/// directory the operator allowed (`--allow-local-repositories`), and never from the data directory or anything in
/// it — except the project's own git remote (`repository: "slipway"`), which the server clones on its behalf.
/// Checked when a project is created or updated, and again when it is cloned.
public struct RepositorySourceRules: Sendable, Equatable {
    /// The protocols git may use for a repository that is not local (`GIT_ALLOW_PROTOCOL`).
    public static let networkProtocols = ["https", "http", "ssh", "git"]

    /// The directories local repositories may lie in, as real paths (links and `..` resolved).
    public let allowedLocalDirectories: [String]
    /// The data directory as a real path: never a source, nor anything inside it.
    public let dataDirectory: String
    /// Resolves links and `..` as the kernel would (the file system's, given by the server: Core does no IO).
    public let paths: any PathResolver

    /// Rules for an install whose data directory is `dataDirectory`, allowing local repositories under
    /// `allowedLocalDirectories` (both resolved to real paths here by `paths`).
    public init(allowedLocalDirectories: [String] = [], dataDirectory: String, paths: any PathResolver) {
        self.paths = paths
        self.allowedLocalDirectories = allowedLocalDirectories.map(paths.realPath)
        self.dataDirectory = paths.realPath(dataDirectory)
    }

    /// Rules are equal when they allow and refuse the same real paths.
    public static func == (left: RepositorySourceRules, right: RepositorySourceRules) -> Bool {
        left.allowedLocalDirectories == right.allowedLocalDirectories && left.dataDirectory == right.dataDirectory
    }

    /// What a `repository` value names.
    public enum Location: Sendable, Equatable {
        /// Slipway's own git remote of the project (`"slipway"`).
        case slipwayRemote
        /// A path on this machine: an absolute path, or the path of a `file://` URL.
        case local(path: String)
        /// A repository reached over the network by one of `networkProtocols`.
        case network
    }

    /// Where a repository value points, or why it is not a repository Slipway can clone at all.
    public static func location(of repository: String) -> Result<Location, RepositoryProblem> {
        if repository.trimmingCharacters(in: .whitespaces).isEmpty { return .failure(.init("must not be empty")) }
        if repository.contains(where: { $0.isNewline || $0 == "\0" }) { return .failure(.init("must be a single line")) }
        if repository.hasPrefix("-") { return .failure(.init("must not start with '-'")) }
        if repository == Project.slipwayRemoteRepository { return .success(.slipwayRemote) }
        if repository.hasPrefix("/") { return .success(.local(path: repository)) }
        if let schemeEnd = repository.range(of: "://") {
            let scheme = repository[..<schemeEnd.lowerBound].lowercased()
            let rest = repository[schemeEnd.upperBound...]
            if scheme == "file" { return fileURLPath(String(rest)).map { .local(path: $0) } }
            guard networkProtocols.contains(scheme) else {
                return .failure(.init("scheme '\(scheme)' is not allowed; use https, http, ssh or git (or an allowed local path)"))
            }
            if rest.isEmpty { return .failure(.init("is missing a host after '\(scheme)://'")) }
            if rest.hasPrefix("-") || rest.contains(where: \.isWhitespace) {
                return .failure(.init("must name a host after '\(scheme)://' (no leading '-', no spaces)"))
            }
            return .success(.network)
        }
        if repository.contains("::") {
            return .failure(.init("git's remote helpers ('ext::', 'fd::', …) are not allowed; use https, http, ssh or git"))
        }
        if repository.range(of: #"^[A-Za-z0-9._][A-Za-z0-9._-]*@[A-Za-z0-9.][A-Za-z0-9.-]*:[^\s]+$"#, options: .regularExpression) != nil {
            return .success(.network)
        }
        return .failure(.init("must be a git URL (https, http, ssh, git), an scp-like user@host:path, or an allowed local path"))
    }

    /// The path of a `file://` URL (after the scheme): `/path` or `localhost/path`, without `%` escapes.
    private static func fileURLPath(_ rest: String) -> Result<String, RepositoryProblem> {
        var path = rest
        if path.hasPrefix("localhost/") { path.removeFirst("localhost".count) }
        guard path.hasPrefix("/") else { return .failure(.init("a file:// URL must name an absolute path on this machine (file:///path)")) }
        if path.contains("%") { return .failure(.init("a file:// URL must not contain '%' escapes")) }
        return .success(path)
    }

    /// Why `repository` may not be a project's repository on this install; nil when it may.
    public func problem(_ repository: String) -> String? {
        switch Self.location(of: repository) {
        case .failure(let problem): problem.message
        case .success(.slipwayRemote), .success(.network): nil
        case .success(.local(let path)): localPathProblem(path)
        }
    }

    /// Why a local path may not be cloned: inside the data directory, or outside every allowed directory.
    public func localPathProblem(_ path: String) -> String? {
        let resolved = paths.realPath(path)
        if Self.path(resolved, isInside: dataDirectory) {
            return "'\(path)' is inside Slipway's data directory; local repositories may not be cloned from there"
        }
        guard allowedLocalDirectories.contains(where: { Self.path(resolved, isInside: $0) }) else {
            if allowedLocalDirectories.isEmpty {
                return "'\(path)' is a local path and this server allows no local repositories (slipway serve --allow-local-repositories DIR); "
                    + "use https, http, ssh or git"
            }
            return "'\(path)' is not inside a directory this server allows local repositories from ("
                + allowedLocalDirectories.joined(separator: ", ") + "); use https, http, ssh or git"
        }
        return nil
    }

    /// Where the clone stage fetches `project` from, checked again now (a row written past the API, a project made
    /// before these rules, a link changed since): the project's own remote in the data directory, an allowed local
    /// path as its real path (git may then use `file`), or a network URL. Throws the reason, naming `repository`,
    /// otherwise.
    public func cloneSource(for project: Project, layout: DataLayout) throws(SlipwayError) -> CloneSource {
        switch Self.location(of: project.repository) {
        case .failure(let problem):
            throw .invalid(.name("repository"), problem.message)
        case .success(.slipwayRemote):
            return CloneSource(url: project.cloneSource(layout: layout), allowsFileProtocol: true)
        case .success(.network):
            return CloneSource(url: project.repository, allowsFileProtocol: false)
        case .success(.local(let path)):
            if let message = localPathProblem(path) { throw .invalid(.name("repository"), message) }
            // The path as checked, links resolved: what git is given is what was judged.
            return CloneSource(url: paths.realPath(path), allowsFileProtocol: true)
        }
    }

    /// Whether `path` is `directory` or lies inside it (both real paths).
    public static func path(_ path: String, isInside directory: String) -> Bool {
        directory == "/" || path == directory || path.hasPrefix(directory.hasSuffix("/") ? directory : directory + "/")
    }
}

/// Turns a path into its real path: absolute, with every link and `..` resolved as the kernel would resolve them.
public protocol PathResolver: Sendable {
    /// The real path of `path`; the part that does not exist (yet) is kept as written, with `.` and `..` applied.
    func realPath(_ path: String) -> String
}

/// Where the clone stage fetches from, and whether git may use its `file` protocol for it.
public struct CloneSource: Sendable, Equatable {
    /// The repository as git is given it: a URL, or a local repository's real path (links resolved when checked).
    public var url: String
    /// True for Slipway's own remote and allowed local paths; false for network repositories.
    public var allowsFileProtocol: Bool

    public init(url: String, allowsFileProtocol: Bool) {
        self.url = url
        self.allowsFileProtocol = allowsFileProtocol
    }
}

/// Why a `repository` value is refused.
public struct RepositoryProblem: Error, Sendable, Equatable {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }
}
