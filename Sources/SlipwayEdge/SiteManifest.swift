public import Foundation

/// Everything the edge needs to know about the files of one build, found once: when the build is stored
/// (`SiteManifestIndexer`), or on first use for a build stored before manifests existed. The edge answers from it
/// alone: no `stat`, `realpath` or directory walk per request. It is also the whitelist: a file that is not in it is
/// never served.
///
/// Keys are URL paths relative to the build's root, `/`-separated, as the request names them (`docs/index.html`);
/// a file reached through a link inside the build is listed under the link's name, with its target's real path.
public struct SiteManifest: Sendable, Equatable, Codable {
    /// One servable file.
    public struct Entry: Sendable, Equatable, Codable {
        /// The file to open, relative to the build's root: its real path, no link in it.
        public var path: String
        public var size: Int
        public var modificationSeconds: Int
        public var modificationNanoseconds: Int
        public var inode: UInt64

        var status: FileStatus {
            FileStatus(
                kind: .regularFile, size: size, modificationSeconds: modificationSeconds, modificationNanoseconds: modificationNanoseconds,
                inode: inode)
        }
    }

    /// The version of this format; a manifest of another version is made again.
    public static let formatVersion = 1

    public var version: Int
    /// Servable files by URL path.
    public var files: [String: Entry]
    /// Directories by URL path (`""` is the root).
    public var directories: Set<String>

    public init(files: [String: Entry], directories: Set<String>) {
        self.version = Self.formatVersion
        self.files = files
        self.directories = directories
    }

    /// Where the manifest of the build in `root` is kept: next to the build, never inside what it serves (the same
    /// place as `DataLayout.buildManifest`).
    public static func path(forBuildAt root: String) -> String { root + ".manifest.json" }

    /// Resolves a decoded request path: files as they are, directories to their `index.html` (after a redirect that
    /// adds the trailing slash), `/about` to `about.html` when there is no `about`, else the build's `404.html`.
    func resolve(_ sitePath: SitePath, root: String) -> SiteResolution {
        let key = sitePath.relativePath
        let name = sitePath.segments.last ?? ""
        func file(_ key: String, name: String) -> SiteFile? {
            files[key].map { SiteFile(path: root + "/" + $0.path, name: name, status: $0.status) }
        }
        let cleanURLFile = { () -> SiteFile? in
            guard !sitePath.segments.isEmpty, !sitePath.hasTrailingSlash else { return nil }
            return file(key + ".html", name: name + ".html")
        }
        if !sitePath.segments.isEmpty, let found = file(key, name: name) {
            return sitePath.hasTrailingSlash ? .notFound(page: notFoundPage(root: root)) : .file(found)
        }
        guard directories.contains(key) else {
            return cleanURLFile().map(SiteResolution.file) ?? .notFound(page: notFoundPage(root: root))
        }
        let index = file(key.isEmpty ? "index.html" : key + "/index.html", name: "index.html")
        if sitePath.hasTrailingSlash || sitePath.segments.isEmpty {
            return index.map(SiteResolution.file) ?? .notFound(page: notFoundPage(root: root))
        }
        // `/about` with an `about/` that has no index, next to an `about.html`: the page, not a dead end.
        if index == nil, let page = cleanURLFile() { return .file(page) }
        return .redirect(sitePath.directoryURLPath)
    }

    /// The build's own `/404.html`, if it has one.
    func notFoundPage(root: String) -> SiteFile? {
        files["404.html"].map { SiteFile(path: root + "/" + $0.path, name: "404.html", status: $0.status) }
    }
}
