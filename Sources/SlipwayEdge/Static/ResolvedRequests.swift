import Foundation
import Synchronization

/// What the front found for the requests it answered, so that the same request again (the same build, target,
/// `Accept-Encoding` and whether it asks for a range) goes straight to the file's form: no path decoding, manifest
/// lookup, entity tag or content type made again. Builds never change, so nothing here goes stale; at `capacity`
/// entries it starts again empty (cheap, and bounded whatever targets clients send).
final class ResolvedRequests: Sendable {
    struct Key: Hashable, Sendable {
        var build: UUID
        var target: String
        var acceptEncoding: String?
        var asksForRange: Bool
    }

    struct Resolved: Sendable {
        var file: SiteFile
        var form: FileForm
        /// The key of the form in `StaticFileCache`.
        var cacheKey: String
        var contentType: String
    }

    /// The longest target or `Accept-Encoding` remembered: longer ones are resolved every time.
    static let longestField = 512

    let capacity: Int
    private let entries = Mutex<[Key: Resolved]>([:])

    init(capacity: Int = 20_000) {
        self.capacity = max(1, capacity)
    }

    func resolved(_ key: Key) -> Resolved? {
        entries.withLock { $0[key] }
    }

    func remember(_ resolved: Resolved, for key: Key) {
        guard key.target.utf8.count <= Self.longestField, (key.acceptEncoding?.utf8.count ?? 0) <= Self.longestField else { return }
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = resolved
        }
    }
}
