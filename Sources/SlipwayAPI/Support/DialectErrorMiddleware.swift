import HTTPTypes
import Hummingbird
import Logging
import SlipwayCore

/// What every dialect's error middleware does alike: catch the error of the rest of the chain, answer it with the
/// dialect's status and JSON body, log an unmapped one (a 500), ask for a bearer token on a 401 and say when to
/// retry. Each dialect only maps an error to its status and body (`answer(for:)`), in one place.
protocol DialectErrorMiddleware: RouterMiddleware where Context == SlipwayRequestContext {
    /// The JSON body of an error in this dialect.
    associatedtype ErrorBody: Encodable

    /// The status and body that answer `error`; one this dialect does not know is a 500.
    static func answer(for error: any Error) -> (HTTPResponse.Status, ErrorBody)

    /// Headers this dialect adds to an error answer of `status` (none by default).
    static func addHeaders(to response: inout Response, status: HTTPResponse.Status)
}

extension DialectErrorMiddleware {
    static func addHeaders(to response: inout Response, status: HTTPResponse.Status) {}

    /// Answers the error of `next` in this dialect's shape.
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            context.audit.failed(error)
            let (status, body) = Self.answer(for: error)
            if status == .internalServerError {
                context.logger.error("unhandled error on \(request.method) \(request.uri.path): \(String(reflecting: error))")
            }
            var response = try JSONBody.response(body, status: status)
            if status == .unauthorized { response.headers[.wwwAuthenticate] = "Bearer" }
            response.addRetryAfter(for: error)
            Self.addHeaders(to: &response, status: status)
            return response
        }
    }
}
