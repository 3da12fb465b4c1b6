import Hummingbird

/// The `Content-Type` of a served file, from its extension.
enum ContentType {
    /// Text formats get `; charset=utf-8`; unknown extensions are `application/octet-stream`.
    static func forFile(named name: String) -> String {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex,
            let mediaType = MediaType.getMediaType(forExtension: name[name.index(after: dot)...].lowercased())
        else { return "application/octet-stream" }
        let essence = "\(mediaType.type)/\(mediaType.subType)"
        return isText(mediaType) ? essence + "; charset=utf-8" : essence
    }

    private static func isText(_ mediaType: MediaType) -> Bool {
        if mediaType.type == .text { return true }
        switch (mediaType.type, mediaType.subType) {
        case (.application, "json"), (.application, "javascript"), (.image, "svg+xml"): return true
        case (.application, let subType): return subType.hasSuffix("+json")
        default: return false
        }
    }
}
