import Foundation
import Synchronization

/// The manifests of the builds the edge serves, kept in memory once read: from the file written when the build was
/// stored, or made by walking a build stored before manifests existed (kept in memory only). At most `capacity`
/// are kept; the one used longest ago goes first.
final class SiteManifests: Sendable {
    let capacity: Int
    private let state = Mutex(State())

    private struct State {
        var manifests: [String: ServedSite] = [:]
        /// Roots in the order of their last use, oldest first.
        var order: [String] = []
    }

    init(capacity: Int = 512) {
        self.capacity = max(1, capacity)
    }

    /// The manifest of the build at `root`, when it is in memory.
    func cached(_ root: String) -> ServedSite? {
        state.withLock { state in
            guard let manifest = state.manifests[root] else { return nil }
            if state.order.last != root, let position = state.order.firstIndex(of: root) {
                state.order.remove(at: position)
                state.order.append(root)
            }
            return manifest
        }
    }

    /// The manifest of the build at `root`, read or made now (blocking file-system work); nil when there is no build.
    func load(_ root: String) -> ServedSite? {
        if let site = cached(root) { return site }
        guard let manifest = Self.read(root) ?? SiteManifestBuilder.build(root: root) else { return nil }
        let site = ServedSite(manifest)
        state.withLock { state in
            if state.manifests.updateValue(site, forKey: root) == nil { state.order.append(root) }
            while state.order.count > capacity { state.manifests[state.order.removeFirst()] = nil }
        }
        return site
    }

    /// The manifest file written when the build was stored, if it is there and of this version.
    static func read(_ root: String) -> SiteManifest? {
        guard let data = FileManager.default.contents(atPath: SiteManifest.path(forBuildAt: root)),
            let manifest = try? JSONDecoder().decode(SiteManifest.self, from: data), manifest.version == SiteManifest.formatVersion
        else { return nil }
        return manifest
    }
}
