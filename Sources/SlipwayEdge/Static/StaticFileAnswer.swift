import Hummingbird

/// How a found file answers a request, decided from the request's conditional, range and `Accept-Encoding` fields
/// alone: the form of the file (compressed or not), then 304 when the client's copy of that form is current, else
/// 200 with all of it, 206 with one range, or 416. Both ways of serving a static file (the edge's front,
/// `StaticFront`, and Hummingbird's, `StaticSiteServer`) answer through this one decision.
struct StaticFileAnswer: Sendable, Equatable {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    /// The form of the file the answer carries.
    var form: FileForm
    /// The bytes of that form the answer carries (before HEAD drops them); nil for none.
    var bytes: ClosedRange<Int>?

    static func decide(_ file: SiteFile, request: HTTPFields, cacheControl: String) -> StaticFileAnswer {
        let form = file.form(acceptEncoding: request[.acceptEncoding], asksForRange: request[.range] != nil)
        let conditions = ConditionalRequest(entityTag: form.entityTag, modificationSeconds: file.status.modificationSeconds)
        var headers = Self.validators(file, form, cacheControl: cacheControl)
        if conditions.isNotModified(request) {
            return StaticFileAnswer(status: .notModified, headers: headers, form: form, bytes: nil)
        }
        headers[.contentType] = ContentType.forFile(named: file.name)
        if let coding = form.coding {
            headers[.contentEncoding] = coding.token
            headers[.contentLength] = String(form.size)
            return StaticFileAnswer(status: .ok, headers: headers, form: form, bytes: form.wholeRange)
        }
        headers[.acceptRanges] = "bytes"

        var selection = ByteRangeSelection(header: request[.range], size: form.size)
        if selection != .whole, !conditions.rangeIsApplicable(request) {
            selection = .whole
        }
        switch selection {
        case .whole:
            headers[.contentLength] = String(form.size)
            return StaticFileAnswer(status: .ok, headers: headers, form: form, bytes: form.wholeRange)
        case .partial(let range):
            headers[.contentLength] = String(range.count)
            headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(form.size)"
            return StaticFileAnswer(status: .partialContent, headers: headers, form: form, bytes: range)
        case .unsatisfiable:
            headers[.contentType] = nil
            headers[.contentRange] = "bytes */\(form.size)"
            return StaticFileAnswer(status: .rangeNotSatisfiable, headers: headers, form: form, bytes: nil)
        }
    }

    /// The fields every answer about `form` carries, 304 included: its entity tag, the file's date, the caching rule,
    /// and `Vary` when the file has compressed forms (a cache must not give one client's form to another).
    static func validators(_ file: SiteFile, _ form: FileForm, cacheControl: String) -> HTTPFields {
        var headers: HTTPFields = [
            .eTag: form.entityTag,
            .lastModified: file.status.lastModified,
            .cacheControl: cacheControl,
        ]
        if !file.compressed.isEmpty { headers[.vary] = "Accept-Encoding" }
        return headers
    }
}
