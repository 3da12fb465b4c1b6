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
