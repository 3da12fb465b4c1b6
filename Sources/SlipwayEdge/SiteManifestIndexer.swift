public import Foundation
public import SlipwayCore

/// Writes the manifest of a static build when it is stored, next to it (`SiteManifest.path(forBuildAt:)`), readable
/// by the server alone: the edge then answers from it without walking the build.
public struct SiteManifestIndexer: BuildIndexer {
    public init() {}

    public func index(buildDirectory: String) throws -> BuildIndexReport {
        guard let manifest = SiteManifestBuilder.build(root: buildDirectory) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: buildDirectory])
        }
        let path = SiteManifest.path(forBuildAt: buildDirectory)
        try JSONEncoder().encode(manifest).write(to: URL(fileURLWithPath: path), options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        var notes: [String] = []
        if manifest.files.count + manifest.directories.count >= SiteManifestBuilder.maximumEntries {
            notes.append("The build has more than \(SiteManifestBuilder.maximumEntries) files and directories: only the first are served")
        }
        return BuildIndexReport(files: manifest.files.count, notes: notes)
    }
}
