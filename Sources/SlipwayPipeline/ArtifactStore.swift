import Foundation
import SlipwayCore

/// Immutable builds on disk: one directory per build id under the data directory.
public struct ArtifactStore: Sendable {
    public let layout: DataLayout

    public init(layout: DataLayout) {
        self.layout = layout
    }

    /// Moves a finished output directory into the store as build `id` (a rename: no copy), without `.git`.
    /// The source must be on the same filesystem as the data directory (it is: work dirs live there too).
    public func publish(outputDirectory: String, as id: UUID) throws {
        let destination = layout.buildDirectory(id)
        try FileManager.default.moveItem(atPath: outputDirectory, toPath: destination)
        let git = destination + "/.git"
        if FileManager.default.fileExists(atPath: git) { try FileManager.default.removeItem(atPath: git) }
    }

    /// Deletes a build's files.
    public func remove(_ id: UUID) throws {
        let directory = layout.buildDirectory(id)
        if FileManager.default.fileExists(atPath: directory) { try FileManager.default.removeItem(atPath: directory) }
    }
}

/// The files of builds and logs under the data directory.
public struct DataDirectoryFiles: DeploymentFileStore {
    public let layout: DataLayout

    public init(layout: DataLayout) {
        self.layout = layout
    }

    public func removeBuild(_ id: UUID) throws {
        try ArtifactStore(layout: layout).remove(id)
    }

    public func removeLog(deploymentUID: UUID) throws {
        LogSegments.remove(layout: layout, deploymentUID: deploymentUID)
        let path = layout.logFile(deploymentUID)
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
    }
}
