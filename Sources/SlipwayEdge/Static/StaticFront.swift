import Foundation
import HTTPTypes
import NIOCore
import SlipwayCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Answers the common static requests at the connection level, before any HTTP decoding (docs/edge.md): a `GET` or
/// `HEAD` of a file the build's manifest lists, whole or with conditional and range fields. The head of a whole `200`
/// is prepared once per file and small files are held in memory (`StaticFileCache`); larger ones go out with
/// `sendfile`. Everything else (a manifest not yet read, a redirect, a 404, a malformed path) is left to Hummingbird's
/// `StaticSiteServer`, which answers it the same way it always has.
struct StaticFront {
    let sites: StaticSites

    /// What the answer carries after its head.
    enum Body {
        case none
        case bytes(ByteBuffer)
        /// A part of a file, sent from disk.
        case file(path: String, range: ClosedRange<Int>)
    }

    /// The answer: its head without `Date`, `Connection` and the empty line (the connection adds those), then its body.
    struct Answer {
        var head: ByteBuffer
        var body: Body
        /// The status code the head carries (for the edge's metrics).
        var status: Int = 200
    }

    /// The answer to `head` (whose bytes are `bytes`) for the build `buildID`; nil to leave the request to Hummingbird.
    func answer(_ head: RequestHead, _ bytes: ByteBuffer, buildID: UUID) -> Answer? {
        guard head.isGET || head.isHEAD, !head.conditionals.repeated else { return nil }
        var (target, acceptEncoding, fields) = bytes.withUnsafeReadableBytes { raw in
            (
                String(decoding: UnsafeRawBufferPointer(rebasing: raw[head.target]), as: UTF8.self),
                head.conditionals.acceptEncoding.map { String(decoding: UnsafeRawBufferPointer(rebasing: raw[$0]), as: UTF8.self) },
                Self.fields(head.conditionals, raw)
            )
        }
        let key = ResolvedRequests.Key(build: buildID, target: target, acceptEncoding: acceptEncoding, asksForRange: head.conditionals.range != nil)
        guard let resolved = sites.resolved.resolved(key) ?? resolve(key) else { return nil }
        let (file, form) = (resolved.file, resolved.form)
        guard let entry = sites.files.entry(resolved.cacheKey) ?? load(file, form, contentType: resolved.contentType, key: resolved.cacheKey)
        else { return nil }
        if fields.isEmpty {
            return Answer(head: entry.head, body: head.isHEAD ? .none : body(of: form, entry: entry, range: form.wholeRange))
        }
        if let acceptEncoding { fields[.acceptEncoding] = acceptEncoding }
        let decision = StaticFileAnswer.decide(file, request: fields, cacheControl: StaticSites.cacheControl)
        var answerHead = Self.head(decision.status, decision.headers, serverName: sites.configuration.serverName)
        if decision.bytes == nil, decision.status != .notModified { answerHead.writeStaticString("Content-Length: 0\r\n") }
        guard !head.isHEAD, let range = decision.bytes else { return Answer(head: answerHead, body: .none, status: Int(decision.status.code)) }
        return Answer(head: answerHead, body: body(of: decision.form, entry: entry, range: range), status: Int(decision.status.code))
    }

    /// The file a request names and the form it gets, found in the build's manifest (and remembered); nil when the
    /// front leaves the request to Hummingbird: a manifest not read yet, a site with `_redirects` or `_headers` rules
    /// (Hummingbird applies them), or a path that is not a file (a redirect, a 404, a malformed path).
    private func resolve(_ key: ResolvedRequests.Key) -> ResolvedRequests.Resolved? {
        let root = sites.layout.buildDirectory(key.build)
        guard let site = sites.manifests.cached(root), !site.hasRules, key.target.hasPrefix("/") else { return nil }
        let path = key.target.firstIndex(of: "?").map { String(key.target[..<$0]) } ?? key.target
        guard let sitePath = try? SitePath(decoding: path), case .file(let file) = site.manifest.resolve(sitePath, root: root) else {
            return nil
        }
        let form = file.form(acceptEncoding: key.acceptEncoding, asksForRange: key.asksForRange)
        let contentType = ContentType.forFile(named: file.name)
        let resolved = ResolvedRequests.Resolved(file: file, form: form, cacheKey: form.path + "\n" + contentType, contentType: contentType)
        sites.resolved.remember(resolved, for: key)
        return resolved
    }

    /// The bytes `range` of the form: from memory when it is held there, else from disk.
    private func body(of form: FileForm, entry: StaticFileCache.Entry, range: ClosedRange<Int>?) -> Body {
        guard let range else { return .none }
        if let bytes = entry.body {
            if range.count == bytes.readableBytes { return .bytes(bytes) }
            return bytes.getSlice(at: bytes.readerIndex + range.lowerBound, length: range.count).map(Body.bytes) ?? .none
        }
        return .file(path: form.path, range: range)
    }

    /// Prepares the entry of one form of the file (the head of its whole 200, and its bytes when small enough) and
    /// keeps it; nil when it cannot be read any more (the build was deleted): Hummingbird then answers.
    private func load(_ file: SiteFile, _ form: FileForm, contentType: String, key: String) -> StaticFileCache.Entry? {
        var fields = StaticFileAnswer.validators(file, form, cacheControl: StaticSites.cacheControl)
        fields[.contentType] = contentType
        fields[.contentLength] = String(form.size)
        if let coding = form.coding {
            fields[.contentEncoding] = coding.token
        } else {
            fields[.acceptRanges] = "bytes"
        }
        let head = Self.head(.ok, fields, serverName: sites.configuration.serverName)
        var body: ByteBuffer?
        if form.size <= sites.configuration.largestCachedFile {
            guard let bytes = Self.read(form.path, size: form.size) else { return nil }
            body = bytes
        } else if access(form.path, R_OK) != 0 {
            return nil
        }
        let entry = StaticFileCache.Entry(head: head, body: body)
        sites.files.insert(entry, for: key)
        return entry
    }

    /// The file at `path` opened for `sendfile`; nil when it is gone.
    static func open(_ path: String) -> NIOFileHandle? {
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else { return nil }
        return NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: descriptor)
    }

    /// A whole small file, read now; nil when it is gone or not the size the manifest says.
    static func read(_ path: String, size: Int) -> ByteBuffer? {
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else { return nil }
        defer { Glibc.close(descriptor) }
        var buffer = ByteBufferAllocator().buffer(capacity: size)
        var total = 0
        while total < size {
            let count = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size - total) { pointer in
                let result = Glibc.read(descriptor, pointer.baseAddress, size - total)
                return max(result, 0)
            }
            if count == 0 { break }
            total += count
        }
        return total == size ? buffer : nil
    }

    /// A status line and fields, then `Server`.
    static func head(_ status: HTTPResponse.Status, _ fields: HTTPFields, serverName: String) -> ByteBuffer {
        var head = ByteBuffer()
        head.writeString("HTTP/1.1 \(status.code) \(status.reasonPhrase)\r\n")
        for field in fields { head.writeString("\(field.name.rawName): \(field.value)\r\n") }
        head.writeString("Server: \(serverName)\r\n")
        return head
    }

    /// The conditional and range fields of the request, as `StaticFileAnswer` reads them (empty when it sent none).
    static func fields(_ conditionals: StaticConditionalFields, _ raw: UnsafeRawBufferPointer) -> HTTPFields {
        var fields = HTTPFields()
        guard !conditionals.isEmpty else { return fields }
        func value(_ range: Range<Int>) -> String { String(decoding: UnsafeRawBufferPointer(rebasing: raw[range]), as: UTF8.self) }
        if let range = conditionals.ifNoneMatch { fields[.ifNoneMatch] = value(range) }
        if let range = conditionals.ifModifiedSince { fields[.ifModifiedSince] = value(range) }
        if let range = conditionals.range { fields[.range] = value(range) }
        if let range = conditionals.ifRange { fields[.ifRange] = value(range) }
        return fields
    }
}
