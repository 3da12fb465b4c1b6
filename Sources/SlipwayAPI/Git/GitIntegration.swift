import Hummingbird
public import SlipwayCore

/// What the git routes need: the push service, the stored deliveries and pins, and the git remote backend.
public struct GitIntegration: Sendable {
    public var pushes: GitPushService
    public var sources: any GitSourceRepository
    public var remote: any GitRemoteBackend

    /// Creates the integration.
    public init(pushes: GitPushService, sources: any GitSourceRepository, remote: any GitRemoteBackend) {
        self.pushes = pushes
        self.sources = sources
        self.remote = remote
    }
}

extension HTTPFields {
    /// The headers by lower-case name (the last value wins when a name repeats).
    var lowercasedDictionary: [String: String] {
        var headers: [String: String] = [:]
        for field in self { headers[field.name.canonicalName] = field.value }
        return headers
    }
}
