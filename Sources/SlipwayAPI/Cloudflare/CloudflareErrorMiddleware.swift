import HTTPTypes
import Hummingbird
import Logging
import SlipwayCore

/// An error of the Cloudflare dialect with Cloudflare's own code (docs/cloudflare.md).
struct CloudflareError: Error {
    var status: HTTPResponse.Status
    var code: Int
    var message: String

    /// 404 for an `account_id` that is not the token's workspace.
    static func accountNotFound(_ text: String) -> CloudflareError {
        CloudflareError(status: .notFound, code: 7003, message: "Could not route to account '\(clipped(text))': no such account")
    }

    /// 404 for a project name the workspace does not have.
    static func projectNotFound(_ text: String) -> CloudflareError {
        CloudflareError(status: .notFound, code: 8_000_007, message: "Project not found: '\(clipped(text))'")
    }

    /// 404 for a deployment id the project does not have.
    static func deploymentNotFound(_ text: String) -> CloudflareError {
        CloudflareError(status: .notFound, code: 8_000_009, message: "Deployment not found: '\(clipped(text))'")
    }

    /// Cuts an echoed id to 80 characters.
    static func clipped(_ text: String) -> String { text.count > 80 ? String(text.prefix(80)) + "…" : text }
}

/// Turns every error of the Cloudflare dialect into the envelope `{success: false, errors: [{code, message}], …}`,
/// with the status codes of DESIGN.md §6. Every 4xx but 429 carries `x-should-retry: false`, so that Cloudflare's
/// clients do not retry a business-rule 409. An unmapped error is logged and answered 500.
struct CloudflareErrorMiddleware: DialectErrorMiddleware {
    typealias Context = SlipwayRequestContext

    /// The envelope `{success: false, errors: [entry], result: {}}` around the entry of one error.
    static func answer(for error: any Error) -> (HTTPResponse.Status, CloudflareEnvelope<CloudflareEmptyObject>) {
        let (status, message) = map(error)
        return (status, CloudflareEnvelope(success: false, errors: [message], result: CloudflareEmptyObject()))
    }

    /// Every 4xx but 429 says `x-should-retry: false`.
    static func addHeaders(to response: inout Response, status: HTTPResponse.Status) {
        if (400..<500).contains(status.code), status != .tooManyRequests {
            response.headers[HTTPField.Name("x-should-retry")!] = "false"
        }
    }

    /// The status and error entry of one error.
    static func map(_ error: any Error) -> (HTTPResponse.Status, CloudflareMessage) {
        switch error {
        case let error as CloudflareError:
            return (error.status, CloudflareMessage(code: error.code, message: error.message))
        case let error as SlipwayError:
            switch error {
            case .invalid(let problems):
                return (
                    .badRequest,
                    CloudflareMessage(
                        code: 8_000_000, message: error.message(naming: .snakeCase),
                        source: problems.first.map { .init(pointer: "/" + $0.field.rendered(.snakeCase)) })
                )
            case .notFound(let message): return (.notFound, CloudflareMessage(code: 8_000_009, message: message))
            case .conflict(let message): return (.conflict, CloudflareMessage(code: 8_000_034, message: message))
            case .forbidden(let message): return (.forbidden, CloudflareMessage(code: 9109, message: message))
            case .tooManyRequests(let message): return (.tooManyRequests, CloudflareMessage(code: 8_000_029, message: message))
            }
        case let error as APIError:
            switch error {
            case .unauthenticated:
                return (.unauthorized, CloudflareMessage(code: 10_000, message: "Authentication error: send 'Authorization: Bearer <token>'"))
            case .wrongCredentials: return (.unauthorized, CloudflareMessage(code: 10_000, message: APIError.wrongCredentialsMessage))
            case .malformedBody(let message): return (.badRequest, CloudflareMessage(code: 8_000_000, message: message, source: .init(pointer: "/")))
            case .bodyTooLarge(let limit):
                return (.contentTooLarge, CloudflareMessage(code: 8_000_001, message: "the request body is larger than \(limit) bytes"))
            case .tooManyAuthenticationFailures:
                // 971: Cloudflare's own code for "please wait and consider throttling your request speed".
                return (.tooManyRequests, CloudflareMessage(code: 971, message: error.tooManyFailuresMessage))
            }
        case let error as any HTTPResponseError:
            if error.status == .notFound { return (.notFound, CloudflareMessage(code: 7000, message: "No route for that URI")) }
            return (error.status, CloudflareMessage(code: 8_000_000, message: error.status.reasonPhrase))
        default:
            return (.internalServerError, CloudflareMessage(code: 8_000_002, message: "internal error"))
        }
    }
}
