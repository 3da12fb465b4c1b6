import CSlipwaySpawn
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The file an engine keeps a container's network namespace at (`/run/netns/netns-…`): a bind mount of the
/// namespace, which `statfs` reports as nsfs. See `ContainerClient.repairNetworkNamespace(of:)` for why it is not
/// always one.
enum NetworkNamespaceFile {
    /// `NSFS_MAGIC` of `<linux/magic.h>`.
    static let namespaceFileSystem: Int = 0x6e73_6673
    /// `PROC_SUPER_MAGIC`: a `/proc/<pid>/ns/net` path itself.
    static let procFileSystem: Int = 0x9fa0

    /// Whether `path` is a namespace (nsfs, or a path under /proc) as this process sees it; nil when it cannot be read.
    static func isNamespace(_ path: String) -> Bool? {
        let type = slipway_file_system_type(path)
        guard type != -1 else { return nil }
        return type == namespaceFileSystem || type == procFileSystem
    }

    /// Mounts the network namespace of `processID` on `path` when `path` exists and is not a namespace. Only paths
    /// under `/run/netns/` or `/var/run/netns/` (where engines keep them) are touched; returns whether it mounted.
    @discardableResult
    static func repair(path: String, processID: Int32) -> Bool {
        guard path.hasPrefix("/run/netns/") || path.hasPrefix("/var/run/netns/"), !path.contains("/../"),
            isNamespace(path) == false
        else { return false }
        return mount("/proc/\(processID)/ns/net", path, nil, UInt(MS_BIND), nil) == 0
    }
}

/// A container Podman reported it could not join the network namespace of, and the namespace file it tried
/// (`ContainerClient.repairNetworkNamespace(of:)`): "joining network namespace of container <id>: retrieving network
/// namespace at <path>: unknown FS magic …".
struct BrokenNetworkNamespace: Equatable {
    /// The container's full id.
    var container: String
    /// The namespace file.
    var path: String

    init(container: String, path: String) {
        self.container = container
        self.path = path
    }

    /// The first container the engine's standard error complains about, if any.
    init?(reportedIn output: ContainerOutput) {
        let text = output.standardError
        guard
            let containerMarker = text.range(of: "network namespace for container ", options: .caseInsensitive)
                ?? text.range(of: "network namespace of container ", options: .caseInsensitive)
        else { return nil }
        let id = text[containerMarker.upperBound...].prefix { $0.isHexDigit }
        guard id.count == 64, let pathMarker = text[containerMarker.upperBound...].range(of: "network namespace at ") else { return nil }
        let path = text[pathMarker.upperBound...].prefix { $0 != ":" && $0 != "\"" && !$0.isWhitespace }
        guard path.hasPrefix("/") else { return nil }
        self.init(container: String(id), path: String(path))
    }
}
