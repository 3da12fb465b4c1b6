import Hummingbird
import Logging
import SlipwayCore

/// Turns every error of the Dokploy dialect (`/api/deployment.*`) into Dokploy's (tRPC's) error shape,
/// `{"message": …, "code": "BAD_REQUEST", "field": …}`, with the status codes of DESIGN.md §6: 400 for invalid input,
/// 401, 403, 404, 409, 429. An unmapped error is logged and answered 500.
struct DokployErrorMiddleware: DialectErrorMiddleware {
    typealias Context = SlipwayRequestContext

    /// The error body.
    struct Body: Encodable {
        var message: String
        var code: String
        var field: String?
    }

    /// The status and body of one error.
    static func answer(for error: any Error) -> (HTTPResponse.Status, Body) {
        switch error {
        case let error as SlipwayError:
            switch error {
            case .invalid(let problems):
                return (
                    .badRequest,
                    Body(message: error.message(naming: .camelCase), code: "BAD_REQUEST", field: problems.first?.field.rendered(.camelCase))
                )
            case .notFound(let message): return (.notFound, Body(message: message, code: "NOT_FOUND"))
            case .conflict(let message): return (.conflict, Body(message: message, code: "CONFLICT"))
            case .forbidden(let message): return (.forbidden, Body(message: message, code: "FORBIDDEN"))
            case .tooManyRequests(let message): return (.tooManyRequests, Body(message: message, code: "TOO_MANY_REQUESTS"))
            }
        case let error as APIError:
            switch error {
            case .unauthenticated:
                return (
                    .unauthorized,
                    Body(message: "send a valid API token as 'x-api-key: <token>' or 'Authorization: Bearer <token>'", code: "UNAUTHORIZED")
                )
            case .wrongCredentials: return (.unauthorized, Body(message: APIError.wrongCredentialsMessage, code: "UNAUTHORIZED"))
            case .malformedBody(let message): return (.badRequest, Body(message: message, code: "BAD_REQUEST", field: "body"))
            case .bodyTooLarge(let limit):
                return (.contentTooLarge, Body(message: "the request body is larger than \(limit) bytes", code: "PAYLOAD_TOO_LARGE", field: "body"))
            case .tooManyAuthenticationFailures: return (.tooManyRequests, Body(message: error.tooManyFailuresMessage, code: "TOO_MANY_REQUESTS"))
            }
        case let error as any HTTPResponseError:
            let message = error.status == .notFound ? "no such endpoint" : error.status.reasonPhrase
            return (error.status, Body(message: message, code: error.status == .notFound ? "NOT_FOUND" : "HTTP_ERROR"))
        default:
            return (.internalServerError, Body(message: "internal error", code: "INTERNAL_SERVER_ERROR"))
        }
    }
}
