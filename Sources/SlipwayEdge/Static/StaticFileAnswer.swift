import Hummingbird

/// How a found file answers a request, decided from the request's conditional and range fields alone: 304 when the
/// client's copy is current, else 200 with all of it, 206 with one range, or 416. Both ways of serving a static file
/// (the edge's front, `StaticFront`, and Hummingbird's, `StaticSiteServer`) answer through this one decision.
struct StaticFileAnswer: Sendable, Equatable {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    /// The bytes of the file the answer carries (before HEAD drops them); nil for none.
    var bytes: ClosedRange<Int>?

    static func decide(_ file: SiteFile, request: HTTPFields, cacheControl: String) -> StaticFileAnswer {
        let status = file.status
        let conditions = ConditionalRequest(entityTag: status.entityTag, modificationSeconds: status.modificationSeconds)
        var headers: HTTPFields = [
            .eTag: status.entityTag,
            .lastModified: status.lastModified,
            .cacheControl: cacheControl,
        ]
        if conditions.isNotModified(request) {
            return StaticFileAnswer(status: .notModified, headers: headers, bytes: nil)
        }
        headers[.contentType] = ContentType.forFile(named: file.name)
        headers[.acceptRanges] = "bytes"

        var selection = ByteRangeSelection(header: request[.range], size: status.size)
        if selection != .whole, !conditions.rangeIsApplicable(request) {
            selection = .whole
        }
        switch selection {
        case .whole:
            headers[.contentLength] = String(status.size)
            return StaticFileAnswer(status: .ok, headers: headers, bytes: status.size > 0 ? 0...(status.size - 1) : nil)
        case .partial(let range):
            headers[.contentLength] = String(range.count)
            headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(status.size)"
            return StaticFileAnswer(status: .partialContent, headers: headers, bytes: range)
        case .unsatisfiable:
            headers[.contentType] = nil
            headers[.contentRange] = "bytes */\(status.size)"
            return StaticFileAnswer(status: .rangeNotSatisfiable, headers: headers, bytes: nil)
        }
    }
}
