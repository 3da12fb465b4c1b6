import NIOCore
public import SlipwayCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// What both ways of serving static builds share (docs/edge.md): the builds' manifests and the files held in memory.
/// The edge's front (`StaticFront`, in `EdgeConnectionHandler`) answers the common requests from them at the
/// connection level; Hummingbird's `StaticSiteServer` answers the rest with the same manifests.
public final class StaticSites: Sendable {
    /// Settings of static serving.
    public struct Configuration: Sendable {
        /// How many bytes of files the edge holds in memory (`--edge-cache`), least recently used out.
        public var cacheBytes: Int
        /// The largest file held in memory; larger ones are sent from disk with `sendfile`.
        public var largestCachedFile: Int
        /// The `Server` header of the answers.
        public var serverName: String

        /// The defaults: 256 MiB of files in memory, none larger than 1 MiB.
        public init(cacheBytes: Int = 256 << 20, largestCachedFile: Int = 1 << 20, serverName: String = "Slipway") {
            self.cacheBytes = max(0, cacheBytes)
            self.largestCachedFile = max(0, min(largestCachedFile, cacheBytes))
            self.serverName = serverName
        }
    }

    /// The `Cache-Control` of served files: browsers may keep them but must revalidate (cheap, thanks to ETags).
    public static let cacheControl = "public, max-age=0, must-revalidate"

    public let configuration: Configuration
    /// Where the builds are.
    public let layout: DataLayout
    let manifests: SiteManifests
    let files: StaticFileCache
    let resolved = ResolvedRequests()

    public init(layout: DataLayout, configuration: Configuration = Configuration()) {
        self.layout = layout
        self.configuration = configuration
        self.manifests = SiteManifests()
        self.files = StaticFileCache(budget: configuration.cacheBytes)
    }
}

/// The `Date` line of answers written at the connection level, made once a second.
enum DateLine {
    private static let cache = Mutex<(second: Int, line: String)>((-1, ""))

    /// `Date: <now>\r\n` for this second.
    static func now() -> String { current(secondsSince1970: time(nil)) }

    /// `Date: <now>\r\n`.
    static func current(secondsSince1970 now: Int) -> String {
        cache.withLock { cached in
            if cached.second != now { cached = (now, "Date: " + HTTPDate.format(secondsSince1970: now) + "\r\n") }
            return cached.line
        }
    }
}
