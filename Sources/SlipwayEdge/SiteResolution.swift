/// A file of a build chosen to answer a request.
struct SiteFile: Sendable, Equatable {
    /// The real path to open: no symbolic links, inside the build's real root.
    var path: String
    /// The name the URL asked for (`index.html`, `about.html`, a symlink's own name): its extension gives the type.
    var name: String
    var status: FileStatus
    /// The file compressed when its build was stored (none for small or binary files, or older builds).
    var compressed: [CompressedFile] = []

    /// The form of the file that answers a request with these `Accept-Encoding` and `Range` fields: a compressed one
    /// the client accepts, unless it asks for a range (ranges are served from the file as it is).
    func form(acceptEncoding: String?, asksForRange: Bool) -> FileForm {
        let identity = FileForm(coding: nil, path: path, size: status.size, entityTag: status.entityTag)
        guard !compressed.isEmpty, !asksForRange, acceptEncoding != nil,
            let coding = AcceptEncoding(acceptEncoding).preferred(among: compressed.map(\.coding)),
            let file = compressed.first(where: { $0.coding == coding })
        else { return identity }
        return FileForm(coding: coding, path: file.path, size: file.size, entityTag: Self.entityTag(status.entityTag, coding))
    }

    /// The entity tag of a compressed form: the file's, with the coding's suffix inside the quotes.
    static func entityTag(_ tag: String, _ coding: ContentCoding) -> String {
        String(tag.dropLast()) + coding.entityTagSuffix + "\""
    }
}

/// A compressed copy of a file, made when its build was stored.
struct CompressedFile: Sendable, Equatable {
    var coding: ContentCoding
    /// Where it is: next to the build, never inside what the build serves.
    var path: String
    var size: Int
}

/// One form of a file, as it goes out: as it is, or compressed, with its own length and entity tag.
struct FileForm: Sendable, Equatable {
    /// nil for the file as it is.
    var coding: ContentCoding?
    var path: String
    var size: Int
    var entityTag: String

    /// All of its bytes; nil when it is empty.
    var wholeRange: ClosedRange<Int>? { size > 0 ? 0...(size - 1) : nil }
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
