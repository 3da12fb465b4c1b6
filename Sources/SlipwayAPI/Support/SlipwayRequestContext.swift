public import Hummingbird
public import NIOCore
public import SlipwayCore

/// The request context of every API route: Hummingbird's core storage, the client's address (the edge's proxy
/// sends it on in `X-Forwarded-For`) plus who is calling.
public struct SlipwayRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The address of the client's end of the connection.
    public let remoteAddress: SocketAddress?
    /// Who is calling, whatever the workspace; set by `BearerAuthenticator`, nil on public routes.
    public var caller: Caller?
    /// The caller acting in a workspace (`X-Slipway-Workspace`, else their default one); nil on public routes and
    /// for a user who belongs to no workspace.
    public var identity: Identity?
    /// What this request tells the audit trail (who, in which workspace, names, the error); one per request.
    public let audit: AuditNotes

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
        self.caller = nil
        self.identity = nil
        self.audit = AuditNotes()
    }

    /// The caller, on a route behind `BearerAuthenticator`, for what belongs to the user rather than a workspace
    /// (their sessions, password, invitations, install administration).
    public func requireCaller() throws -> Caller {
        guard let caller else { throw APIError.unauthenticated }
        return caller
    }

    /// The caller acting in a workspace, on a route behind `BearerAuthenticator`; 403 for a user who belongs to none.
    public func requireIdentity() throws -> Identity {
        guard let caller else { throw APIError.unauthenticated }
        guard let identity else {
            throw SlipwayError.forbidden("user '\(caller.user.login)' is not a member of any workspace yet: accept an invitation first")
        }
        return identity
    }

    /// The caller, when their token or session grants `scope` in the workspace they act in; 403 otherwise.
    public func require(_ scope: Scope) throws -> Identity {
        let identity = try requireIdentity()
        guard identity.grants(scope) else {
            let credential = identity.token == nil ? "session" : "token"
            throw SlipwayError.forbidden(
                "this \(credential) lacks the '\(scope.rawValue)' scope in workspace '\(identity.workspace.name)' (role: \(identity.role.rawValue))"
            )
        }
        return identity
    }
}
