import Dispatch
public import Hummingbird

/// Serves the files of one build directory over HTTP: content types, `index.html`, clean URLs, `404.html`,
/// ETags and conditional requests, HEAD and single byte ranges; never a file outside the build.
public struct StaticSiteServer: Sendable {
    /// Settings of the static server, with the defaults the edge uses.
    public struct Configuration: Sendable {
        /// The `Cache-Control` of served files: browsers may keep them but must revalidate (cheap, thanks to ETags).
        public var cacheControl: String
        /// How many bytes of a file are read from disk and written at a time.
        public var chunkLength: Int

        /// Creates a configuration.
        public init(cacheControl: String = StaticSites.cacheControl, chunkLength: Int = 128 * 1024) {
            self.cacheControl = cacheControl
            self.chunkLength = chunkLength
        }
    }

    let configuration: Configuration
    let fileIO: FileIO
    /// The builds' manifests: what a request may be answered with, without touching the file system.
    let manifests: SiteManifests

    /// Creates a server that streams files with `fileIO`, sharing the manifests of `sites` (the edge's front reads
    /// the ones this server loads).
    public init(configuration: Configuration = .init(), fileIO: FileIO = FileIO(), sites: StaticSites? = nil) {
        self.configuration = configuration
        self.fileIO = fileIO
        self.manifests = sites?.manifests ?? SiteManifests()
    }

    /// Answers `request` from the files under `root` (a build directory). Any path gives a response, never an error
    /// that would become a 500.
    public func respond(to request: Request, root: String, context: some RequestContext) async throws -> Response {
        guard request.method == .get || request.method == .head else {
            return EdgePage.response(.methodNotAllowed, html: EdgePage.methodNotAllowed, for: request, headers: [.allow: "GET, HEAD"])
        }
        var site = manifests.cached(root)
        if site == nil {
            let manifests = self.manifests
            site = await Self.runBlocking { manifests.load(root) }
        }
        guard let site else { return EdgePage.response(.notFound, html: EdgePage.notFound, for: request) }
        var response = try await respond(to: request, site: site, root: root, context: context)
        if site.headers.count > 0 {
            Self.apply(site.headers.headers(for: request.uri.path, host: request.head.authority ?? request.headers[Self.hostField]), to: &response)
        }
        return response
    }

    /// The answer before `_headers`: a `_redirects` rule first (a redirect, or a rewrite to another path of the
    /// build), then the file the path names.
    private func respond(to request: Request, site: ServedSite, root: String, context: some RequestContext) async throws -> Response {
        var path = request.uri.path
        switch site.redirects.match(path: path, query: request.uri.query) {
        case .redirect(let status, let location):
            return Response(status: HTTPResponse.Status(code: status), headers: [.location: location, .contentLength: "0"])
        case .rewrite(let target):
            path = target
        case nil:
            break
        }
        let sitePath: SitePath?
        do {
            sitePath = try SitePath(decoding: path)
        } catch .traversal {
            sitePath = nil
        } catch {
            return EdgePage.response(.badRequest, html: EdgePage.badRequest, for: request)
        }
        let resolution = sitePath.map { site.manifest.resolve($0, root: root) } ?? site.manifest.notFound(nil, root: root)
        switch resolution {
        case .file(let file):
            return try await serve(file, for: request, context: context)
        case .redirect(let path):
            let location = request.uri.query.map { path + "?" + $0 } ?? path
            return Response.redirect(to: location, type: .permanent)
        case .notFound(let page?):
            return try await serveNotFoundPage(page, for: request, context: context)
        case .notFound(nil):
            return EdgePage.response(.notFound, html: EdgePage.notFound, for: request)
        }
    }

    /// The changes of `_headers`: each field named replaces the answer's, each removed one goes.
    static func apply(_ changes: HeaderChanges, to response: inout Response) {
        guard !changes.isEmpty else { return }
        for name in changes.removedNames {
            if let field = HTTPFields.Element.Name(name) { response.headers[values: field] = [] }
        }
        for field in changes.fields {
            guard let name = HTTPFields.Element.Name(field.name) else { continue }
            response.headers[values: name] = [field.value]
        }
    }

    /// `Host` (HTTPTypes hides `.host` in favour of `:authority`, but HTTP/1 requests carry the header).
    private static var hostField: HTTPFields.Element.Name { HTTPFields.Element.Name("Host")! }

    /// A found file: 304 when the client's copy is current, else 200, 206 or 416 depending on `Range`.
    private func serve(_ file: SiteFile, for request: Request, context: some RequestContext) async throws -> Response {
        let answer = StaticFileAnswer.decide(file, request: request.headers, cacheControl: configuration.cacheControl)
        guard let bytes = answer.bytes else {
            var response = Response(status: answer.status, headers: answer.headers)
            if answer.status == .notModified { response.headers[.contentLength] = nil }
            return response
        }
        return try await fileResponse(answer.status, path: answer.form.path, range: bytes, headers: answer.headers, for: request, context: context)
    }

    /// The build's `404.html`, with status 404 and no validators (a 404 is never revalidated).
    private func serveNotFoundPage(_ page: SiteFile, for request: Request, context: some RequestContext) async throws -> Response {
        let headers: HTTPFields = [
            .contentType: ContentType.forFile(named: page.name),
            .contentLength: String(page.status.size),
            .cacheControl: "no-store",
        ]
        return try await fileResponse(
            .notFound, path: page.path, range: page.status.size > 0 ? 0...(page.status.size - 1) : nil, headers: headers, for: request,
            context: context)
    }

    /// The response with the bytes `range` of the file at `path` streamed from disk, or just the headers for HEAD
    /// and an empty file.
    private func fileResponse(
        _ status: HTTPResponse.Status,
        path: String,
        range: ClosedRange<Int>?,
        headers: HTTPFields,
        for request: Request,
        context: some RequestContext
    ) async throws -> Response {
        guard request.method == .get, let range else {
            return Response(status: status, headers: headers)
        }
        let body: ResponseBody
        do {
            body = try await fileIO.loadFile(path: path, range: range, context: context, chunkLength: configuration.chunkLength)
        } catch {
            // The file went away between the lookup and the read.
            return EdgePage.response(.notFound, html: EdgePage.notFound, for: request)
        }
        var response = Response(status: status, headers: headers, body: body)
        // The body's own length is the truth if the file changed since the lookup.
        if let length = body.contentLength { response.headers[.contentLength] = String(length) }
        return response
    }

    /// Runs blocking file-system work (reading or making a manifest) off Swift's cooperative threads.
    private static func runBlocking<Result: Sendable>(_ work: @escaping @Sendable () -> Result) async -> Result {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: work()) }
        }
    }
}
