import Hummingbird
import Logging
import SlipwayCore

/// Turns every error of the native API into its JSON shape:
/// `{"status": "error", "message": …, "errors": {field: [messages]}}` with the status code DESIGN.md §6 gives.
/// An error nobody mapped is logged and answered 500 — never a crash.
struct V1ErrorMiddleware: DialectErrorMiddleware {
    typealias Context = SlipwayRequestContext

    struct Body: Encodable {
        var status = "error"
        var message: String
        var errors: [String: [String]]?
    }

    static func answer(for error: any Error) -> (HTTPResponse.Status, Body) {
        switch error {
        case let error as SlipwayError:
            switch error {
            case .invalid(let problems):
                let errors = Dictionary(grouping: problems, by: { $0.field.rendered(.snakeCase) }).mapValues { $0.map(\.message) }
                return (.unprocessableContent, Body(message: error.message(naming: .snakeCase), errors: errors))
            case .notFound(let message): return (.notFound, Body(message: message))
            case .conflict(let message): return (.conflict, Body(message: message))
            case .forbidden(let message): return (.forbidden, Body(message: message))
            case .tooManyRequests(let message): return (.tooManyRequests, Body(message: message))
            }
        case let error as QueryError:
            return (.badRequest, Body(message: error.description, errors: [error.part: [error.message]]))
        case let error as APIError:
            switch error {
            case .unauthenticated: return (.unauthorized, Body(message: "Unauthenticated: send a valid API token as 'Authorization: Bearer <token>'"))
            case .wrongCredentials: return (.unauthorized, Body(message: APIError.wrongCredentialsMessage))
            case .malformedBody(let message): return (.badRequest, Body(message: message))
            case .bodyTooLarge(let limit): return (.contentTooLarge, Body(message: "the request body is larger than \(limit) bytes"))
            case .tooManyAuthenticationFailures: return (.tooManyRequests, Body(message: error.tooManyFailuresMessage))
            }
        case let error as any HTTPResponseError:
            let message = error.status == .notFound ? "no such endpoint" : error.status.reasonPhrase
            return (error.status, Body(message: message))
        default:
            return (.internalServerError, Body(message: "internal error"))
        }
    }
}
