import Foundation
import Hummingbird
import NIOCore
import SlipwayCore

/// The two `settings.*` endpoints Dokploy's clients call first (Dokploy's `settings` router): `settings.health`, public,
/// and `settings.getOpenApiDocument`, the document they build their commands from (docs/dokploy.md).
struct DokploySettingsController {
    /// A read of the store, as Dokploy's health check runs `SELECT 1`.
    let queries: any DeploymentQueryRepository

    /// Adds `settings.health` to `public` (the unauthenticated `/api` group) and `settings.getOpenApiDocument` to
    /// `authenticated`; both groups map errors to Dokploy's shape.
    func addRoutes(public: RouterGroup<SlipwayRequestContext>, authenticated: RouterGroup<SlipwayRequestContext>) {
        `public`.get("settings.health", use: health)
        authenticated.get("settings.getOpenApiDocument", use: openAPIDocument)
    }

    /// `GET /api/settings.health`: `{"status": "ok"}` once the store has answered a read.
    @Sendable func health(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        _ = try await queries.projectID(uid: UUID(), workspaceID: 0)
        return try JSONBody.response(["status": "ok"])
    }

    /// `GET /api/settings.getOpenApiDocument`: the Dokploy dialect's OpenAPI document (`DokployOpenAPIDocument`), its
    /// server the `/api` of the host and scheme the client used (`X-Forwarded-Proto`, as Dokploy reads it, else http).
    @Sendable func openAPIDocument(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        _ = try context.require(.read)
        let scheme = request.headers[.init("X-Forwarded-Proto")!].flatMap { $0 == "https" ? "https" : nil } ?? "http"
        let host = request.headers[.init("Host")!] ?? request.head.authority ?? "localhost"
        guard let document = DokployOpenAPIDocument.document(baseURL: "\(scheme)://\(host)/api") else {
            throw DokployDocumentUnavailable()
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: document)))
    }

    /// openapi.yaml could not be read: a defect of the build, answered 500.
    struct DokployDocumentUnavailable: Error {}
}
