public import Foundation
public import SlipwayCore
public import SlipwaySandbox

/// Immutable builds on disk: one directory per build id under the data directory.
public struct ArtifactStore: Sendable {
    public let layout: DataLayout

    public init(layout: DataLayout) {
        self.layout = layout
    }

    /// Moves a finished build's output into the store as build `id` (a rename: no copy), without `.git`.
    /// `src/<rootDir>/<outputDir>` of the work directory is reached without following a link (else the error names
    /// the field and the link); once stored, the build keeps only directories, regular files and links that
    /// resolve inside it (returned: what was left out). The work directory is on the data directory's file system.
    @discardableResult
    public func publish(workDirectory: String, rootDir: String, outputDir: String, as id: UUID) throws -> SandboxFiles.Removed {
        let destination = layout.buildDirectory(id)
        do {
            let output = try SandboxFiles.Directory.open(workDirectory)
                .directory("src", field: "the checkout").directory(rootDir, field: "root_dir").directory(outputDir, field: "output_dir")
            try output.move(to: destination)
        } catch let error as SandboxFiles.PathError {
            throw PipelineError(error.description)
        }
        try SandboxFiles.remove(destination + "/.git")
        return try SandboxFiles.keepOnlyFilesAndInsideLinks(in: destination)
    }

    /// Moves a directory the server made (files copied out of an image) into the store as build `id` (a rename), then
    /// applies the same checks as `publish(workDirectory:…)`: only directories, regular files and links that resolve
    /// inside the build stay (returned: what was left out). The directory is on the data directory's file system.
    @discardableResult
    public func publish(directory: String, as id: UUID) throws -> SandboxFiles.Removed {
        let destination = layout.buildDirectory(id)
        do {
            try SandboxFiles.Directory.open(directory).move(to: destination)
        } catch let error as SandboxFiles.PathError {
            throw PipelineError(error.description)
        }
        return try SandboxFiles.keepOnlyFilesAndInsideLinks(in: destination)
    }

    /// Deletes a build's files (never following a link in them), and the edge's manifest and compressed copies of them.
    public func remove(_ id: UUID) throws {
        try SandboxFiles.remove(layout.buildDirectory(id))
        try SandboxFiles.remove(layout.buildManifest(id))
        try SandboxFiles.remove(layout.buildVariants(id))
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
        try SandboxFiles.remove(layout.logFile(deploymentUID))
    }
}
