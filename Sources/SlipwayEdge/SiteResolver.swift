/// A file of a build chosen to answer a request.
struct SiteFile: Sendable, Equatable {
    /// The real path to open: no symbolic links, inside the build's real root.
    var path: String
    /// The name the URL asked for (`index.html`, `about.html`, a symlink's own name): its extension gives the type.
    var name: String
    var status: FileStatus
}

/// What a request path resolves to in a build directory.
enum SiteResolution: Sendable, Equatable {
    /// Serve this file.
    case file(SiteFile)
    /// A directory asked for without its trailing slash: redirect to this path (percent-encoded, ending in `/`).
    case redirect(String)
    /// Nothing to serve; the build's `404.html` if it has one.
    case notFound(page: SiteFile?)
}

/// Maps request paths to files of one build directory, never to anything outside it.
///
/// Every candidate is resolved with `realpath(3)` and must lie inside the real path of the root, so neither `..`
/// nor a symbolic link can reach other files. It makes blocking file-system calls.
struct SiteResolver: Sendable {
    /// The real path of the build directory, or nil when the build is missing.
    let realRoot: String?

    init(root: String) {
        self.realRoot = FileStatus.realPath(root).flatMap { FileStatus.of($0)?.kind == .directory ? $0 : nil }
    }

    /// Resolves a decoded request path: files as they are, directories to their `index.html` (after a redirect
    /// that adds the trailing slash), and `/about` to `about.html` when there is no `about`.
    func resolve(_ sitePath: SitePath) -> SiteResolution {
        guard let realRoot else { return .notFound(page: nil) }
        let candidate = sitePath.segments.isEmpty ? realRoot : realRoot + "/" + sitePath.relativePath
        let name = sitePath.segments.last ?? ""
        let cleanURLFile = { () -> SiteFile? in
            guard !sitePath.segments.isEmpty, !sitePath.hasTrailingSlash else { return nil }
            return regularFile(at: candidate + ".html", name: name + ".html")
        }

        guard let status = FileStatus.of(candidate) else {
            return cleanURLFile().map(SiteResolution.file) ?? .notFound(page: notFoundPage())
        }
        guard let realCandidate = FileStatus.realPath(candidate), contains(realCandidate) else {
            return .notFound(page: notFoundPage())
        }
        switch status.kind {
        case .regularFile where !sitePath.hasTrailingSlash:
            guard FileStatus.isReadable(realCandidate) else { return .notFound(page: notFoundPage()) }
            return .file(SiteFile(path: realCandidate, name: name, status: status))
        case .directory:
            let index = regularFile(at: realCandidate + "/index.html", name: "index.html")
            if sitePath.hasTrailingSlash {
                return index.map(SiteResolution.file) ?? .notFound(page: notFoundPage())
            }
            // `/about` with an `about/` that has no index, next to an `about.html`: the page, not a dead end.
            if index == nil, let page = cleanURLFile() { return .file(page) }
            return .redirect(sitePath.directoryURLPath)
        case .regularFile, .other:
            return .notFound(page: notFoundPage())
        }
    }

    /// The build's own `/404.html`, if it has a readable one inside the root.
    func notFoundPage() -> SiteFile? {
        guard let realRoot else { return nil }
        return regularFile(at: realRoot + "/404.html", name: "404.html")
    }

    /// The regular, readable file at `path` if its real path is inside the root.
    private func regularFile(at path: String, name: String) -> SiteFile? {
        guard let status = FileStatus.of(path), status.kind == .regularFile,
            let realPath = FileStatus.realPath(path), contains(realPath), FileStatus.isReadable(realPath)
        else { return nil }
        return SiteFile(path: realPath, name: name, status: status)
    }

    /// Whether a real path is the root or below it.
    private func contains(_ realPath: String) -> Bool {
        guard let realRoot else { return false }
        if realRoot == "/" { return realPath.hasPrefix("/") }
        return realPath == realRoot || realPath.hasPrefix(realRoot + "/")
    }
}
