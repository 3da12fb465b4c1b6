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
        /// The sizes of the file's compressed copies (`variantsPath(forBuildAt:)`), when it has them: text of 1 KiB
        /// and more, compressed when the build was stored (`SiteCompressor`).
        public var gzipSize: Int?
        public var brotliSize: Int?

        /// The compressed copies of the file, in the build at `root`.
        func compressed(root: String) -> [CompressedFile] {
            guard gzipSize != nil || brotliSize != nil else { return [] }
            let base = SiteManifest.variantsPath(forBuildAt: root) + "/" + path
            var files: [CompressedFile] = []
            if let brotliSize { files.append(CompressedFile(coding: .brotli, path: base + ContentCoding.brotli.fileSuffix, size: brotliSize)) }
            if let gzipSize { files.append(CompressedFile(coding: .gzip, path: base + ContentCoding.gzip.fileSuffix, size: gzipSize)) }
            return files
        }

        /// The file as a request gets it, under `name`.
        func siteFile(root: String, name: String) -> SiteFile {
            SiteFile(path: root + "/" + path, name: name, status: status, compressed: compressed(root: root))
        }

        var status: FileStatus {
            FileStatus(
                kind: .regularFile, size: size, modificationSeconds: modificationSeconds, modificationNanoseconds: modificationNanoseconds,
                inode: inode)
        }
    }

    /// The version of this format; a manifest of another version is made again. (The compressed sizes came later
    /// without a new version: a manifest without them describes a build stored before compression, which has none.)
    public static let formatVersion = 3

    public var version: Int
    /// Servable files by URL path.
    public var files: [String: Entry]
    /// Directories by URL path (`""` is the root).
    public var directories: Set<String>
    /// Whether the build has a `404.html` anywhere: without one it is a single-page app (Cloudflare Pages' rule), and
    /// an unknown path serves the root `index.html` with 200.
    public var hasNotFoundPages: Bool
    /// The build's `_redirects` and `_headers` (Cloudflare Pages' files, in its root), as they were: never served.
    public var redirectsFile: Data?
    public var headersFile: Data?

    public init(files: [String: Entry], directories: Set<String>, redirectsFile: Data? = nil, headersFile: Data? = nil) {
        self.version = Self.formatVersion
        self.files = files
        self.directories = directories
        self.redirectsFile = redirectsFile
        self.headersFile = headersFile
        self.hasNotFoundPages = files.keys.contains { $0 == "404.html" || $0.hasSuffix("/404.html") }
    }

    /// Where the manifest of the build in `root` is kept: next to the build, never inside what it serves (the same
    /// place as `DataLayout.buildManifest`).
    public static func path(forBuildAt root: String) -> String { root + ".manifest.json" }

    /// Where the compressed copies of the build's files are kept, under their real paths plus `.gz` or `.br`: next to
    /// the build, never inside what it serves (the same place as `DataLayout.buildVariants`).
    public static func variantsPath(forBuildAt root: String) -> String { root + ".variants" }

    /// Resolves a decoded request path: files as they are, directories to their `index.html` (after a redirect that
    /// adds the trailing slash), `/about` to `about.html` when there is no `about`; else the nearest `404.html` up the
    /// path, or, in a build without any (a single-page app), the root `index.html`.
    func resolve(_ sitePath: SitePath, root: String) -> SiteResolution {
        let key = sitePath.relativePath
        let name = sitePath.segments.last ?? ""
        func file(_ key: String, name: String) -> SiteFile? {
            files[key].map { $0.siteFile(root: root, name: name) }
        }
        let cleanURLFile = { () -> SiteFile? in
            guard !sitePath.segments.isEmpty, !sitePath.hasTrailingSlash else { return nil }
            return file(key + ".html", name: name + ".html")
        }
        if !sitePath.segments.isEmpty, let found = file(key, name: name) {
            return sitePath.hasTrailingSlash ? notFound(sitePath, root: root) : .file(found)
        }
        guard directories.contains(key) else {
            return cleanURLFile().map(SiteResolution.file) ?? notFound(sitePath, root: root)
        }
        let index = file(key.isEmpty ? "index.html" : key + "/index.html", name: "index.html")
        if sitePath.hasTrailingSlash || sitePath.segments.isEmpty {
            return index.map(SiteResolution.file) ?? notFound(sitePath, root: root)
        }
        // `/about` with an `about/` that has no index, next to an `about.html`: the page, not a dead end.
        if index == nil, let page = cleanURLFile() { return .file(page) }
        return .redirect(sitePath.directoryURLPath)
    }

    /// What a path that names nothing answers: the nearest `404.html` up its directories, with 404; in a build with
    /// no `404.html` at all, the root `index.html` with 200 (a single-page app routes in the browser); else nothing.
    func notFound(_ sitePath: SitePath?, root: String) -> SiteResolution {
        if let page = notFoundPage(sitePath, root: root) { return .notFound(page: page) }
        if !hasNotFoundPages, let index = files["index.html"] {
            return .file(index.siteFile(root: root, name: "index.html"))
        }
        return .notFound(page: nil)
    }

    /// The nearest `404.html` up the directories of `sitePath` (the root's for a path that could not be read).
    func notFoundPage(_ sitePath: SitePath?, root: String) -> SiteFile? {
        guard hasNotFoundPages else { return nil }
        var directories = sitePath?.segments ?? []
        if let sitePath, !sitePath.hasTrailingSlash, !directories.isEmpty { directories.removeLast() }
        while true {
            let key = directories.isEmpty ? "404.html" : directories.joined(separator: "/") + "/404.html"
            if let page = files[key] { return page.siteFile(root: root, name: "404.html") }
            if directories.isEmpty { return nil }
            directories.removeLast()
        }
    }
}

/// A build as the edge serves it: its manifest and its `_redirects` and `_headers` rules, read once.
struct ServedSite: Sendable {
    let manifest: SiteManifest
    let redirects: RedirectRules
    let headers: HeaderRules

    init(_ manifest: SiteManifest) {
        self.manifest = manifest
        self.redirects = manifest.redirectsFile.map { RedirectRules.parse(Array($0)).rules } ?? .empty
        self.headers = manifest.headersFile.map { HeaderRules.parse(Array($0)).rules } ?? .empty
    }

    /// Whether a request may be answered without looking at the rules.
    var hasRules: Bool { redirects.count > 0 || headers.count > 0 }
}
