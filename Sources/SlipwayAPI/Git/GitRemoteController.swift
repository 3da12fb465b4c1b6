import Foundation
import Hummingbird
import Logging
import NIOCore
import SlipwayCore

/// Slipway's own git remote of every project, over git's smart HTTP protocol: `http://HOST:PORT/git/<project>.git`.
/// HTTP Basic authentication with an API token or a session as the password (any user name): `read` to fetch,
/// `deploy` to push. The project is looked up in the caller's workspace, or the one `X-Slipway-Workspace` names
/// among theirs (`git -c http.extraHeader="X-Slipway-Workspace: acme" …`). Requests stream through
/// `git http-backend`; a push then deploys like a webhook would.
struct GitRemoteController {
    /// Workspaces, users and tokens.
    let identities: any IdentityRepository
    /// Where the caller acts.
    let tenancy: TenancyService
    /// Projects of the workspace.
    let projects: any ProjectRepository
    /// Failed authentications per client address.
    let authenticationFailures: AuthenticationFailureLimiter
    let git: GitIntegration

    /// Adds the three routes of the smart HTTP protocol to the router itself (they authenticate on their own).
    func addRoutes(to router: Router<SlipwayRequestContext>) {
        router.get("git/:repository/info/refs", use: { try await serve($0, $1, pathInfo: "/info/refs") })
        router.post("git/:repository/git-upload-pack", use: { try await serve($0, $1, pathInfo: "/git-upload-pack") })
        router.post("git/:repository/git-receive-pack", use: { try await serve($0, $1, pathInfo: "/git-receive-pack") })
    }

    /// The answer that makes git ask for (or send) credentials.
    static func challenge(_ message: String) throws -> Response {
        var response = try JSONBody.response(V1ErrorMiddleware.Body(message: message), status: .unauthorized)
        response.headers[.wwwAuthenticate] = "Basic realm=\"Slipway\""
        return response
    }

    /// The password of `Authorization: Basic base64(user:password)`, and the user name.
    static func basicCredentials(_ headers: HTTPFields) -> (user: String, password: String)? {
        guard let authorization = headers[.authorization] else { return nil }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "basic",
            let data = Data(base64Encoded: String(parts[1]).trimmingCharacters(in: .whitespaces)),
            let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":")
        else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }

    @Sendable func serve(_ request: Request, _ context: SlipwayRequestContext, pathInfo: String) async throws -> Response {
        // git asks without credentials first: only a wrong password counts as a failed authentication.
        guard let credentials = Self.basicCredentials(request.headers), !credentials.password.isEmpty else {
            return try Self.challenge("authenticate with an API token as the password (any user name)")
        }
        let address = context.remoteAddress?.ipAddress
        let failures = authenticationFailures
        if let wait = failures.refusal(.token, address: address) { throw APIError.tooManyAuthenticationFailures(after: wait) }
        guard let caller = try await identities.caller(secret: credentials.password, at: Date()) else {
            failures.recordFailure(.token, address: address)
            return try Self.challenge("authenticate with an API token as the password (any user name)")
        }
        let named = request.headers[BearerAuthenticator.workspaceHeader].map(WorkspaceSelector.init)
        guard let identity = try await tenancy.identity(of: caller, in: named) else {
            if let named { throw SlipwayError.notFound("workspace '\(named.description)' not found among yours") }
            throw SlipwayError.forbidden("user '\(caller.user.login)' is not a member of any workspace yet")
        }
        context.audit.authenticated(caller, acting: identity)
        var name = context.parameters.get("repository") ?? ""
        if name.hasSuffix(".git") { name.removeLast(4) }
        guard let project = try await projects.project(name: name, workspaceID: identity.workspace.id) else {
            throw SlipwayError.notFound("no project named '\(name)'")
        }
        context.audit.target(id: String(project.id), name: project.name)
        var headers = request.headers.lowercasedDictionary
        headers["content-length"] = request.headers[.contentLength]
        let gitRequest = GitRemoteRequest(
            method: request.method.rawValue, pathInfo: pathInfo, query: request.uri.query ?? "", headers: headers,
            remoteUser: identity.user.name
        )
        guard identity.grants(gitRequest.isPush ? .deploy : .read) else {
            let credential = identity.token == nil ? "session" : "token"
            throw SlipwayError.forbidden(
                "this \(credential) lacks the '\(gitRequest.isPush ? "deploy" : "read")' scope in workspace '\(identity.workspace.name)' (role: \(identity.role.rawValue))"
            )
        }
        let exchange = try await git.remote.start(gitRequest, project: project)
        let head: (status: Int, headers: [(String, String)])
        do {
            head = try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    // The request body goes in while the response head comes out; a backend that stops reading early
                    // (an error) ends the feeding, and its answer still reaches the client.
                    do {
                        for try await chunk in request.body { try await exchange.write(Array(chunk.readableBytesView)) }
                    } catch {}
                    exchange.closeInput()
                }
                let head = try await exchange.head()
                try await group.waitForAll()
                return head
            }
        } catch {
            exchange.abort()
            _ = try? await exchange.finish()
            throw error
        }
        var fields = HTTPFields()
        for (name, value) in head.headers {
            if let fieldName = HTTPFields.Element.Name(name) { fields.append(HTTPFields.Element(name: fieldName, value: value)) }
        }
        let pushes = git.pushes
        let logger = context.logger
        let userID = identity.user.id
        let lookup = projects
        return Response(
            status: HTTPResponse.Status(code: head.status), headers: fields,
            body: ResponseBody { writer in
                do {
                    while let chunk = try await exchange.read() { try await writer.write(ByteBuffer(bytes: chunk)) }
                    // After receive-pack: every updated branch deploys like a webhook push would, before the answer ends,
                    // so that the deployments exist when `git push` returns.
                    let current = try await lookup.project(id: project.id, workspaceID: project.workspaceID) ?? project
                    for push in try await exchange.finish() {
                        do {
                            let outcome = try await pushes.receive(push, project: current, initiatedBy: userID)
                            logger.info("git push to \(project.name) \(push.ref): \(outcome)")
                        } catch {
                            logger.error("git push to \(project.name) \(push.ref) could not deploy: \(error)")
                        }
                    }
                    try await writer.finish(nil)
                } catch {
                    exchange.abort()
                    _ = try? await exchange.finish()
                    throw error
                }
            }
        )
    }
}
