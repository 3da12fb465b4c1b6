import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import NIOCore
import SlipwayCore

/// Renders the dashboard's pages from the mustache templates compiled into the binary, and serves its two assets
/// (one CSS file, one script) under names that carry a hash of their bytes, cached for a year.
struct DashboardRenderer: Sendable {
    /// One static file of the dashboard.
    struct Asset: Sendable {
        var bytes: [UInt8]
        var contentType: String
        /// The path it is served at: `/-/dashboard/dashboard.<hash>.css`.
        var path: String
        var etag: String

        init(bytes: [UInt8], name: String, extension pathExtension: String, contentType: String) {
            let hash = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined().prefix(12)
            self.bytes = bytes
            self.contentType = contentType
            self.path = "\(DashboardRenderer.assetPrefix)/\(name).\(hash).\(pathExtension)"
            self.etag = "\"\(hash)\""
        }
    }

    /// Where the assets live; no other route of the server starts with it.
    static let assetPrefix = "/-/dashboard"

    let library: MustacheLibrary
    let stylesheet: Asset
    let script: Asset
    /// The deployment page's log viewer (`dashboard-log.js`), loaded by that page only.
    let logScript: Asset

    init() {
        var library = MustacheLibrary()
        let templates: [(String, [UInt8])] = [
            ("layout", PackageResources.layout_mustache), ("login", PackageResources.login_mustache),
            ("projects", PackageResources.projects_mustache), ("project", PackageResources.project_mustache),
            ("deployment", PackageResources.deployment_mustache), ("problem", PackageResources.problem_mustache),
            ("settings", PackageResources.settings_mustache),
            ("queue", PackageResources.queue_mustache), ("tokens", PackageResources.tokens_mustache),
            ("members", PackageResources.members_mustache), ("invitation", PackageResources.invitation_mustache),
            ("admin", PackageResources.admin_mustache),
        ]
        for (name, bytes) in templates {
            // The templates are part of the binary and parsed by the tests: one that does not parse is a build defect.
            do {
                try library.register(String(decoding: bytes, as: UTF8.self), named: name)
            } catch {
                preconditionFailure("the dashboard template \(name).mustache does not parse: \(error)")
            }
        }
        self.library = library
        self.stylesheet = Asset(bytes: PackageResources.dashboard_css, name: "dashboard", extension: "css", contentType: "text/css; charset=utf-8")
        self.script = Asset(bytes: PackageResources.dashboard_js, name: "dashboard", extension: "js", contentType: "text/javascript; charset=utf-8")
        self.logScript = Asset(
            bytes: PackageResources.dashboard_log_js, name: "dashboard-log", extension: "js", contentType: "text/javascript; charset=utf-8")
    }

    /// A whole page: `template` rendered with `content`, inside the layout (header, workspace switcher, log out).
    func page(
        _ template: String, title: String, content: [String: Any], visitor: DashboardVisitor?, status: HTTPResponse.Status = .ok
    ) -> Response {
        let body = library.render(content, withTemplate: template) ?? ""
        var layout: [String: Any] = [
            "title": title, "body": body, "cssPath": stylesheet.path, "jsPath": script.path,
        ]
        if let visitor {
            let acting = visitor.identity?.workspace.id
            layout["visitor"] =
                [
                    "login": visitor.caller.user.login, "csrf": visitor.csrfToken,
                    "workspaces": visitor.memberships.map { membership -> [String: Any] in
                        [
                            "id": String(membership.workspace.id), "name": membership.workspace.name, "role": membership.role.rawValue,
                            "selected": membership.workspace.id == acting,
                        ]
                    },
                    "hasWorkspaces": !visitor.memberships.isEmpty,
                    // The sections the header links to, as far as the role (and a token's scopes) open them.
                    "inWorkspace": visitor.identity != nil, "canManageTokens": visitor.may(.admin),
                    "isInstallAdministrator": visitor.isInstallAdministrator, "tokenName": visitor.caller.token?.name ?? "",
                ] as [String: Any]
        }
        let html = library.render(layout, withTemplate: "layout") ?? ""
        return Self.html(html, status: status)
    }

    /// An HTML answer with the headers every page carries: no caching (pages show live state and CSRF tokens),
    /// a content security policy that allows only Slipway's own files, no framing, no sniffing.
    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers[.contentSecurityPolicy] =
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// A redirect after a form (`303 See Other`: the browser follows it with a GET).
    static func redirect(to location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }

    /// `GET /-/dashboard/<name>`: an asset by its hashed name, cached for a year; 304 for a matching `If-None-Match`.
    func asset(_ request: Request) -> Response {
        guard let asset = [stylesheet, script, logScript].first(where: { $0.path == request.uri.path }) else {
            return Response(
                status: .notFound, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: "not found")))
        }
        var headers = HTTPFields()
        headers[.contentType] = asset.contentType
        headers[.cacheControl] = "public, max-age=31536000, immutable"
        headers[.eTag] = asset.etag
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        if request.headers[.ifNoneMatch] == asset.etag { return Response(status: .notModified, headers: headers) }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: asset.bytes)))
    }
}
