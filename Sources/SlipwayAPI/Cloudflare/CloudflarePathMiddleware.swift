import Hummingbird

/// Answers every error under `/client/v4` in the Cloudflare envelope, also for the paths no route matches (an unknown
/// path or method is a 404 with Cloudflare's code 7000, "No route for that URI"), so that a Cloudflare client never
/// sees the native error shape. Router-wide, inside `V1ErrorMiddleware`.
struct CloudflarePathMiddleware: RouterMiddleware {
    typealias Context = SlipwayRequestContext

    /// Whether `path` belongs to the Cloudflare dialect.
    static func isCloudflarePath(_ path: String) -> Bool {
        path == "/client/v4" || path.hasPrefix("/client/v4/")
    }

    /// Hands Cloudflare paths to `CloudflareErrorMiddleware`, every other path straight to `next`.
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard Self.isCloudflarePath(request.uri.path) else { return try await next(request, context) }
        return try await CloudflareErrorMiddleware().handle(request, context: context, next: next)
    }
}
