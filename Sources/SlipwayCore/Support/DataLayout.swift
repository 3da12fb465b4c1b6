public import Foundation

/// Where everything lives under `--data-dir`. The one place that knows the layout.
public struct DataLayout: Sendable, Equatable {
    /// The data directory itself (absolute).
    public let root: String

    public init(root: String) {
        self.root = URL(fileURLWithPath: root).standardizedFileURL.path
    }

    /// The SQLite database file.
    public var database: String { root + "/slipway.sqlite" }
    /// The first admin token, written once with mode 0600.
    public var adminTokenFile: String { root + "/admin-token" }
    /// The install administrator's generated password, written once with mode 0600.
    public var adminPasswordFile: String { root + "/admin-password" }
    /// Immutable builds, one directory per build id.
    public var builds: String { root + "/builds" }
    /// One append-only log file per deployment.
    public var logs: String { root + "/logs" }
    /// Scratch work directories of running deployments.
    public var work: String { root + "/work" }
    /// The writable home directories of running service processes.
    public var runtime: String { root + "/runtime" }
    /// The home directory of one deployment's service process.
    public func runtimeDirectory(_ deploymentUID: UUID) -> String { runtime + "/" + deploymentUID.lowercased }

    /// The bare git repositories of Slipway's own git remotes, one per project (docs/git.md).
    public var gitRepositories: String { root + "/git" }
    /// The bare repository behind `http://HOST/git/<project>.git`, by project UUID (it survives a rename).
    public func gitRepository(_ projectUID: UUID) -> String { gitRepositories + "/" + projectUID.lowercased + ".git" }

    /// The directory of one build.
    public func buildDirectory(_ id: UUID) -> String { builds + "/" + id.lowercased }
    /// The edge's manifest of a static build's files, next to the build (never inside what it serves).
    public func buildManifest(_ id: UUID) -> String { buildDirectory(id) + ".manifest.json" }
    /// The compressed copies of a static build's text files, made when it is stored; next to the build.
    public func buildVariants(_ id: UUID) -> String { buildDirectory(id) + ".variants" }
    /// The log file of one deployment.
    public func logFile(_ deploymentUID: UUID) -> String { logs + "/" + deploymentUID.lowercased + ".log" }
    /// The index of a service's runtime log segments (where its output goes on once the log is full).
    public func logSegmentIndex(_ deploymentUID: UUID) -> String { logs + "/" + deploymentUID.lowercased + ".segments" }
    /// One runtime log segment, named by the log offset of its first byte.
    public func logSegment(_ deploymentUID: UUID, start: Int64) -> String {
        logs + "/" + deploymentUID.lowercased + ".runtime." + String(start) + ".log"
    }
    /// The work directory of one deployment.
    public func workDirectory(_ deploymentUID: UUID) -> String { work + "/" + deploymentUID.lowercased }
}
