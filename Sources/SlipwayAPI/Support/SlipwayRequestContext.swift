public import Hummingbird
public import NIOCore
public import SlipwayCore

/// The request context of every API route: Hummingbird's core storage, the client's address (the edge's proxy
/// sends it on in `X-Forwarded-For`) plus who is calling.
public struct SlipwayRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The address of the client's end of the connection.
    public let remoteAddress: SocketAddress?
    /// Set by `BearerAuthenticator`; nil on public routes.
    public var identity: Identity?

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
        self.identity = nil
    }

    /// The caller, on a route behind `BearerAuthenticator`.
    public func requireIdentity() throws -> Identity {
        guard let identity else { throw APIError.unauthenticated }
        return identity
    }

    /// The caller, when their token or session grants `scope`; 403 otherwise.
    public func require(_ scope: Scope) throws -> Identity {
        let identity = try requireIdentity()
        guard identity.grants(scope) else {
            throw SlipwayError.forbidden("this \(identity.token == nil ? "session" : "token") lacks the '\(scope.rawValue)' scope")
        }
        return identity
    }
}
