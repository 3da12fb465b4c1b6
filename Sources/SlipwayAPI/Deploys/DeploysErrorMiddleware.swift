import Hummingbird
import Logging
import SlipwayCore

/// Turns every error of the Deploys dialect (`/api/deploys`) into its JSON shape,
/// `{"error": {"code": …, "message": …, "field": …}}`, with the status codes of DESIGN.md §6: 400 for any invalid
/// input (this dialect never answers 422), 401, 403, 404, 409, 429. An unmapped error is logged and answered 500.
struct DeploysErrorMiddleware: DialectErrorMiddleware {
    typealias Context = SlipwayRequestContext

    /// The error body.
    struct Body: Encodable {
        var error: Detail
    }

    /// What went wrong: a stable code, a sentence, and the offending field or parameter when there is one.
    struct Detail: Encodable {
        var code: String
        var message: String
        var field: String?
    }

    /// The status and body of one error.
    static func answer(for error: any Error) -> (HTTPResponse.Status, Body) {
        let (status, detail) = map(error)
        return (status, Body(error: detail))
    }

    /// The status and detail of one error.
    static func map(_ error: any Error) -> (HTTPResponse.Status, Detail) {
        switch error {
        case let error as QueryError:
            return (.badRequest, Detail(code: "invalid_query", message: error.description, field: error.part))
        case let error as SlipwayError:
            switch error {
            case .invalid(let problems):
                return (
                    .badRequest,
                    Detail(
                        code: "invalid_request", message: error.message(naming: .camelCase), field: problems.first?.field.rendered(.camelCase))
                )
            case .notFound(let message): return (.notFound, Detail(code: "not_found", message: message))
            case .conflict(let message): return (.conflict, Detail(code: "conflict", message: message))
            case .forbidden(let message): return (.forbidden, Detail(code: "forbidden", message: message))
            case .tooManyRequests(let message): return (.tooManyRequests, Detail(code: "queue_full", message: message))
            }
        case let error as APIError:
            switch error {
            case .unauthenticated:
                return (.unauthorized, Detail(code: "unauthenticated", message: "send a valid API token as 'Authorization: Bearer <token>'"))
            case .wrongCredentials: return (.unauthorized, Detail(code: "unauthenticated", message: APIError.wrongCredentialsMessage))
            case .malformedBody(let message): return (.badRequest, Detail(code: "invalid_request", message: message, field: "body"))
            case .bodyTooLarge(let limit):
                return (.contentTooLarge, Detail(code: "body_too_large", message: "the request body is larger than \(limit) bytes", field: "body"))
            case .tooManyAuthenticationFailures:
                return (.tooManyRequests, Detail(code: "too_many_failed_authentications", message: error.tooManyFailuresMessage))
            }
        case let error as any HTTPResponseError:
            let message = error.status == .notFound ? "no such endpoint" : error.status.reasonPhrase
            return (error.status, Detail(code: error.status == .notFound ? "not_found" : "http_error", message: message))
        default:
            return (.internalServerError, Detail(code: "internal_error", message: "internal error"))
        }
    }
}
