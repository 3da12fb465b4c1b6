import Foundation

/// One request to a project's git remote over smart HTTP (`/git/<project>.git/…`), after authentication.
public struct GitRemoteRequest: Sendable, Equatable {
    /// `GET` or `POST`.
    public var method: String
    /// The path inside the repository: `/info/refs`, `/git-upload-pack`, `/git-receive-pack`.
    public var pathInfo: String
    /// The query string without `?` (`service=git-receive-pack`).
    public var query: String
    /// The request headers the CGI program reads, by lower-case name (`content-type`, `content-encoding`,
    /// `content-length`, `git-protocol`).
    public var headers: [String: String]
    /// The authenticated user's name (git's `REMOTE_USER`).
    public var remoteUser: String

    /// Creates a request.
    public init(method: String, pathInfo: String, query: String, headers: [String: String], remoteUser: String) {
        self.method = method
        self.pathInfo = pathInfo
        self.query = query
        self.headers = headers
        self.remoteUser = remoteUser
    }

    /// Whether this request pushes (needs the `deploy` scope); everything else only reads.
    public var isPush: Bool { pathInfo == "/git-receive-pack" || query.contains("service=git-receive-pack") }
}

/// A running exchange with the git HTTP backend: the request body goes in, the response comes out.
public protocol GitRemoteExchange: Sendable {
    /// Writes request body bytes.
    func write(_ bytes: [UInt8]) async throws
    /// The request body has ended.
    func closeInput()
    /// The response status and headers (reads them from the backend's output on first call).
    func head() async throws -> (status: Int, headers: [(String, String)])
    /// The next response body bytes; nil at the end.
    func read() async throws -> [UInt8]?
    /// Waits for the backend to end; for a push, returns the branch and tag updates it made, with commit metadata.
    func finish() async throws -> [GitPush]
    /// Stops the backend (the client went away).
    func abort()
}

/// Serves projects' git remotes: creates their bare repositories and runs the git HTTP backend.
public protocol GitRemoteBackend: Sendable {
    /// The project's bare repository, created (with the production branch as HEAD) when missing.
    func prepareRepository(for project: Project) async throws -> String
    /// Starts serving one request against the project's repository.
    func start(_ request: GitRemoteRequest, project: Project) async throws -> any GitRemoteExchange
}

extension Project {
    /// The `repository` value that means "Slipway's own git remote of this project" (docs/git.md).
    public static let slipwayRemoteRepository = "slipway"

    /// Where the pipeline clones from: the project's repository, or its bare repository in the data directory when
    /// the repository is Slipway's own remote.
    public func cloneSource(layout: DataLayout) -> String {
        repository == Self.slipwayRemoteRepository ? layout.gitRepository(uid) : repository
    }
}
