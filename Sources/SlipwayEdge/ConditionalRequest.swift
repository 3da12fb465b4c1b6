import Hummingbird

/// How the conditional headers of a request (RFC 9110 §13) apply to a file with known validators.
struct ConditionalRequest: Sendable {
    /// The file's strong entity tag, quotes included.
    var entityTag: String
    /// The file's modification time, in seconds since 1970.
    var modificationSeconds: Int

    /// Whether the client's copy is current: `If-None-Match` matches (weak comparison, `*` matches any file),
    /// or, when there is no `If-None-Match`, the file has not changed since `If-Modified-Since`.
    func isNotModified(_ headers: HTTPFields) -> Bool {
        let noneMatch = headers[values: .ifNoneMatch]
        if !noneMatch.isEmpty {
            let opaqueTag = Self.opaqueTag(entityTag)
            return noneMatch.contains { value in
                Self.listMembers(value).contains { $0 == "*" || Self.opaqueTag($0) == opaqueTag }
            }
        }
        if let ifModifiedSince = headers[.ifModifiedSince], let since = HTTPDate.parse(ifModifiedSince) {
            return modificationSeconds <= since
        }
        return false
    }

    /// Whether a `Range` header may be honoured: there is no `If-Range`, or it names this file's entity tag
    /// (strong comparison) or its exact `Last-Modified` date.
    func rangeIsApplicable(_ headers: HTTPFields) -> Bool {
        guard let ifRange = headers[.ifRange]?.trimmingWhitespace else { return true }
        if ifRange.hasPrefix("\"") { return ifRange == entityTag }
        if ifRange.hasPrefix("W/") { return false }
        return HTTPDate.parse(String(ifRange)) == modificationSeconds
    }

    /// The opaque part of an entity tag: `W/"x"` and `"x"` both give `"x"` (weak comparison).
    private static func opaqueTag(_ tag: Substring) -> Substring {
        tag.hasPrefix("W/") ? tag.dropFirst(2) : tag
    }

    private static func opaqueTag(_ tag: String) -> Substring {
        opaqueTag(Substring(tag))
    }

    /// The members of an `If-None-Match` list: `*` or entity tags with their quotes (and `W/`). Commas inside
    /// quotes do not split; junk between members is skipped.
    private static func listMembers(_ value: String) -> [Substring] {
        var members: [Substring] = []
        var index = value.startIndex
        while index < value.endIndex {
            let character = value[index]
            if character == "*" {
                members.append(value[index...index])
                index = value.index(after: index)
            } else if character == "\"" || value[index...].hasPrefix("W/\"") {
                let open = character == "\"" ? index : value.index(index, offsetBy: 2)
                guard let close = value[value.index(after: open)...].firstIndex(of: "\"") else { break }
                members.append(value[index...close])
                index = value.index(after: close)
            } else if character == "," || character == " " || character == "\t" {
                index = value.index(after: index)
            } else {
                index = value[index...].firstIndex(of: ",") ?? value.endIndex
            }
        }
        return members
    }
}
