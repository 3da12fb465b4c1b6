public import AsyncHTTPClient
public import Foundation
import NIOCore
public import NIOHTTP1

/// A typed client of Slipway's native API, for the CLI and the tests.
public struct SlipwayClient: Sendable {
    public let baseURL: String
    public let token: String
    /// The longest one request may take, from connecting to the last byte of the answer.
    public let timeout: Duration
    /// The workspace every request acts in, by id or name (sent as `X-Slipway-Workspace`); nil: the credential's
    /// default workspace. Naming one the caller is not a member of makes every request a 404.
    public var workspace: String?
    let httpClient: HTTPClient
    /// Sees every answer `raw` receives before it returns it; an error it throws is the call's error. The tests check
    /// each answer against the OpenAPI document with it.
    public var answerCheck: AnswerCheck?

    /// What an `answerCheck` sees of one exchange.
    public struct Exchange: Sendable {
        public var method: HTTPMethod
        /// The request's path with its query, as sent.
        public var path: String
        public var status: Int
        public var headers: HTTPHeaders
        public var body: Data
    }

    /// Checks one exchange; throws to fail the call.
    public typealias AnswerCheck = @Sendable (Exchange) throws -> Void

    /// The header that names the workspace a request acts in.
    public static let workspaceHeader = "X-Slipway-Workspace"

    public init(
        baseURL: String, token: String, workspace: String? = nil, timeout: Duration = .seconds(60), httpClient: HTTPClient = .shared,
        answerCheck: AnswerCheck? = nil
    ) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.token = token
        self.workspace = workspace
        self.timeout = timeout
        self.httpClient = httpClient
        self.answerCheck = answerCheck
    }

    /// An HTTP client for one-shot commands: a connection that cannot be made fails at once with its reason, instead
    /// of being tried again until the request's deadline (`.shared` retries). Never shut down: it lives as long as
    /// the process.
    public static let failingFastHTTPClient: HTTPClient = {
        var configuration = HTTPClient.Configuration.singletonConfiguration
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    public func me() async throws -> MeInfo { try await send(.GET, "/api/v1/me") }

    public func createProject(_ project: NewProjectRequest) async throws -> ProjectInfo {
        try await send(.POST, "/api/v1/projects", body: project)
    }

    /// Changes the settings given of a project (by id or name); answers the project as it is now.
    public func updateProject(_ reference: String, _ update: ProjectUpdateRequest) async throws -> ProjectInfo {
        try await send(.PATCH, "/api/v1/projects/\(escape(reference))", body: update)
    }

    /// A project by id or name.
    public func project(_ reference: String) async throws -> ProjectInfo {
        try await send(.GET, "/api/v1/projects/\(escape(reference))")
    }

    /// Queues deployments of the projects; `branch` and `commit` are optional.
    public func deploy(projectIDs: [Int64], branch: String? = nil, commit: String? = nil) async throws -> DeployResult {
        struct Body: Encodable {
            var projectIds: [Int64]
            var gitBranch: String?
            var commitId: String?
        }
        return try await send(.POST, "/api/v1/deployments", body: Body(projectIds: projectIDs, gitBranch: branch, commitId: commit))
    }

    public func deployment(_ id: Int64) async throws -> DeploymentInfo { try await send(.GET, "/api/v1/deployments/\(id)") }

    public func deployments(project: String, page: Int = 1, perPage: Int = 15) async throws -> PageInfo<DeploymentInfo> {
        try await send(.GET, "/api/v1/projects/\(escape(project))/deployments?page=\(page)&per_page=\(perPage)")
    }

    public func rerun(_ id: Int64) async throws -> ActionResult { try await send(.POST, "/api/v1/deployments/\(id)/rerun") }

    public func rollback(to id: Int64) async throws -> ActionResult { try await send(.POST, "/api/v1/deployments/\(id)/rollback") }

    public func rollbackCandidates(project: String) async throws -> [RollbackCandidate] {
        try await send(.GET, "/api/v1/projects/\(escape(project))/rollback-candidates")
    }

    public func projects(page: Int = 1, perPage: Int = 100) async throws -> PageInfo<ProjectInfo> {
        try await send(.GET, "/api/v1/projects?page=\(page)&per_page=\(perPage)")
    }

    /// Every project of the workspace, page after page.
    public func allProjects() async throws -> [ProjectInfo] {
        var all: [ProjectInfo] = []
        var page = 1
        while true {
            let result = try await projects(page: page)
            all += result.data
            if page >= result.totalPages { return all }
            page += 1
        }
    }

    public func deleteProject(_ reference: String) async throws -> ActionResult {
        try await send(.DELETE, "/api/v1/projects/\(escape(reference))")
    }

    /// Cancels (or, with `kill`, kills) a deployment and returns it once it has ended.
    public func cancel(_ id: Int64, reason: String? = nil, kill: Bool = false) async throws -> StopResult {
        try await send(.POST, "/api/v1/deployments/\(id)/\(kill ? "kill" : "cancel")", body: reason.map { ["reason": $0] })
    }

    public func deleteDeployment(_ id: Int64, force: Bool = false) async throws -> ActionResult {
        try await send(.DELETE, "/api/v1/deployments/\(id)" + (force ? "?force=true" : ""))
    }

    public func queue() async throws -> QueueInfo { try await send(.GET, "/api/v1/queue") }

    public func tokens() async throws -> [TokenInfo] {
        struct List: Decodable { var data: [TokenInfo] }
        let list: List = try await send(.GET, "/api/v1/tokens")
        return list.data
    }

    public func createToken(name: String, scopes: [String], expiresAt: String? = nil) async throws -> TokenInfo {
        struct Body: Encodable {
            var name: String
            var scopes: [String]
            var expiresAt: String?
        }
        return try await send(.POST, "/api/v1/tokens", body: Body(name: name, scopes: scopes, expiresAt: expiresAt))
    }

    public func revokeToken(_ id: Int64) async throws -> ActionResult { try await send(.DELETE, "/api/v1/tokens/\(id)") }

    /// Logs in with a login and password (this client's token is not sent): the answer's `token` is a session token,
    /// usable as the token of a client.
    public func logIn(login: String, password: String) async throws -> LoginInfo {
        struct Body: Encodable {
            var login: String
            var password: String
        }
        return try await SlipwayClient(baseURL: baseURL, token: "", timeout: timeout, httpClient: httpClient, answerCheck: answerCheck)
            .send(.POST, "/api/v1/sessions", body: Body(login: login, password: password))
    }

    /// The caller's active sessions.
    public func sessions() async throws -> [SessionInfo] {
        struct List: Decodable { var data: [SessionInfo] }
        let list: List = try await send(.GET, "/api/v1/sessions")
        return list.data
    }

    /// Ends one of the caller's sessions.
    public func revokeSession(_ id: Int64) async throws -> ActionResult { try await send(.DELETE, "/api/v1/sessions/\(id)") }

    /// Ends the session this client's token is.
    public func logOut() async throws -> ActionResult { try await send(.DELETE, "/api/v1/sessions/current") }

    /// Changes the caller's password; every other session of theirs ends.
    public func changePassword(current: String, new: String) async throws -> ActionResult {
        try await send(.PUT, "/api/v1/me/password", body: ["current_password": current, "new_password": new])
    }

    /// Every user of the install (install administrators only).
    public func users() async throws -> [UserInfo] {
        struct List: Decodable { var data: [UserInfo] }
        let list: List = try await send(.GET, "/api/v1/users")
        return list.data
    }

    /// Creates a user in the caller's workspace (install administrators only).
    public func createUser(login: String, password: String, email: String? = nil) async throws -> UserInfo {
        struct Body: Encodable {
            var login: String
            var password: String
            var email: String?
        }
        return try await send(.POST, "/api/v1/users", body: Body(login: login, password: password, email: email))
    }

    /// Sets a user's password (install administrators only); every session of that user ends.
    public func resetPassword(ofUser id: Int64, to password: String) async throws -> ActionResult {
        try await send(.PUT, "/api/v1/users/\(id)/password", body: ["password": password])
    }

    public func logs(_ id: Int64, after offset: Int64 = 0) async throws -> LogPageInfo {
        try await send(.GET, "/api/v1/deployments/\(id)/logs?after=\(offset)")
    }

    /// Polls until the deployment has ended, calling `onLog` with each new log line; returns its final record.
    public func waitForDeployment(
        _ id: Int64, timeout: Duration = .seconds(600), pollInterval: Duration = .milliseconds(50),
        onLog: (LogPageInfo.Line) -> Void = { _ in }
    ) async throws -> DeploymentInfo {
        let deadline = ContinuousClock.now + timeout
        var offset: Int64 = 0
        while true {
            let deployment = try await deployment(id)
            var page = try await logs(id, after: offset)
            while !page.data.isEmpty {
                page.data.forEach(onLog)
                offset = page.nextOffset
                page = try await logs(id, after: offset)
            }
            if deployment.isFinished { return deployment }
            guard ContinuousClock.now < deadline else { throw ClientError(status: 0, message: "deployment \(id) did not finish within \(timeout)") }
            try await Task.sleep(for: pollInterval)
        }
    }

    /// Sends a request and decodes the JSON answer; a non-2xx answer throws `ClientError` with the API's message.
    public func send<Response: Decodable>(_ method: HTTPMethod, _ path: String, body: (some Encodable)? = Optional<String>.none) async throws
        -> Response
    {
        let (status, data) = try await raw(method, path, body: body.map { try Self.encoder.encode($0) })
        return try answer(status: status, data: data, decoder: Self.decoder)
    }

    /// The API's answer decoded: a non-2xx answer of the API throws `ClientError` with its message; an answer that is
    /// not the API's JSON (an HTML page of another server, a proxy's error page) throws `ConnectionError`.
    func answer<Response: Decodable>(status: Int, data: Data, decoder: JSONDecoder) throws -> Response {
        guard (200..<300).contains(status) else {
            guard ClientError.isAPIError(data) else {
                throw ConnectionError(url: baseURL, reason: .notSlipway(status: status, answer: Self.kind(of: data)))
            }
            throw ClientError(status: status, data: data)
        }
        do {
            return try decoder.decode(Response.self, from: data)
        } catch {
            throw ConnectionError(url: baseURL, reason: .notSlipway(status: status, answer: Self.kind(of: data)))
        }
    }

    /// What an answer that is not the API's looks like, for a person: "an HTML page", "an empty body", ….
    static func kind(of data: Data) -> String {
        let text = String(decoding: data.prefix(512), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty { return "an empty body" }
        if text.hasPrefix("<") { return "an HTML page" }
        if (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) != nil { return "JSON this client does not understand" }
        return "text that is not JSON"
    }

    /// Sends a request and returns the status and body, whatever the status. A request that gets no answer throws
    /// `ConnectionError`.
    public func raw(_ method: HTTPMethod, _ path: String, body: Data? = nil, headers: [(String, String)] = []) async throws -> (Int, Data) {
        guard let components = URLComponents(string: baseURL), let scheme = components.scheme?.lowercased(), ["http", "https"].contains(scheme),
            let host = components.host, !host.isEmpty
        else {
            throw ConnectionError(url: baseURL, reason: .invalidURL("it must be http:// or https:// and a host, e.g. http://localhost:8080"))
        }
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        // An empty token sends no credentials: logging in.
        if !token.isEmpty { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.headers.add(name: "Accept", value: "application/json")
        if let workspace { request.headers.add(name: Self.workspaceHeader, value: workspace) }
        for (name, value) in headers { request.headers.replaceOrAdd(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let answer: (Int, Data)
        let headers: HTTPHeaders
        do {
            let response = try await httpClient.execute(request, deadline: .now() + TimeAmount(timeout))
            let buffer = try await response.body.collect(upTo: 64 << 20)
            answer = (Int(response.status.code), Data(buffer.readableBytesView))
            headers = response.headers
        } catch let error as CancellationError {
            throw error
        } catch {
            throw ConnectionError(url: baseURL, reason: ConnectionError.Reason(error, timeout: timeout))
        }
        try answerCheck?(Exchange(method: method, path: path, status: answer.0, headers: headers, body: answer.1))
        return answer
    }

    private func escape(_ component: String) -> String {
        component.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? component
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }()
}

/// A non-2xx answer of the API, with its message and per-field errors.
public struct ClientError: Error, CustomStringConvertible {
    public var status: Int
    public var message: String
    public var errors: [String: [String]]

    public init(status: Int, message: String, errors: [String: [String]] = [:]) {
        self.status = status
        self.message = message
        self.errors = errors
    }

    init(status: Int, data: Data) {
        struct Body: Decodable {
            var message: String?
            var errors: [String: [String]]?
        }
        let body = try? JSONDecoder().decode(Body.self, from: data)
        self.init(status: status, message: body?.message ?? String(decoding: data.prefix(500), as: UTF8.self), errors: body?.errors ?? [:])
    }

    /// Whether `data` is an error of Slipway's API: a JSON object with a `message`.
    static func isAPIError(_ data: Data) -> Bool {
        ((try? JSONSerialization.jsonObject(with: data)) as? [String: Any])?["message"] is String
    }

    public var description: String {
        let details = errors.sorted { $0.key < $1.key }.map { "  \($0.key): \($0.value.joined(separator: "; "))" }
        return ([message + " (HTTP \(status))"] + details).joined(separator: "\n")
    }
}
