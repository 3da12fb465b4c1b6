import Foundation
public import SlipwayCore

/// Writes the manifest of a static build when it is stored, next to it (`SiteManifest.path(forBuildAt:)`), readable
/// by the server alone: the edge then answers from it without walking the build. Text files are compressed then too
/// (`SiteCompressor`).
public struct SiteManifestIndexer: BuildIndexer {
    public init() {}

    public func index(buildDirectory: String) throws -> BuildIndexReport {
        guard let walked = SiteManifestBuilder.build(root: buildDirectory) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: buildDirectory])
        }
        let (manifest, compression) = SiteCompressor().compress(walked, root: buildDirectory)
        let path = SiteManifest.path(forBuildAt: buildDirectory)
        try JSONEncoder().encode(manifest).write(to: URL(fileURLWithPath: path), options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        var notes = compression.lines
        // Cloudflare Pages' files: a bad line is reported with its number and skipped, as Pages does.
        if let redirects = manifest.redirectsFile {
            let (rules, problems) = RedirectRules.parse(Array(redirects))
            notes += problems.prefix(50).map { "_redirects \($0.description)" }
            notes.append("_redirects: \(rules.count) rule\(rules.count == 1 ? "" : "s")")
        }
        if let headers = manifest.headersFile {
            let (rules, problems) = HeaderRules.parse(Array(headers))
            notes += problems.prefix(50).map { "_headers \($0.description)" }
            notes.append("_headers: \(rules.count) rule\(rules.count == 1 ? "" : "s")")
        }
        if manifest.files.count + manifest.directories.count >= SiteManifestBuilder.maximumEntries {
            notes.append("The build has more than \(SiteManifestBuilder.maximumEntries) files and directories: only the first are served")
        }
        return BuildIndexReport(files: manifest.files.count, notes: notes)
    }
}
