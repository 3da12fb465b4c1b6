import HTTPTypes
import Hummingbird
import Logging
import SlipwayAPI
import SlipwayCore

/// Answers every error of a dashboard route as a page: a visitor without a session goes to `/login?next=…`; the
/// domain's errors keep their status (404, 409, 422, 403), with the message on the page; a form without its CSRF
/// token is a 403; an error nobody mapped is logged and a 500 page — never a crash, never the API's JSON.
struct DashboardErrorMiddleware: RouterMiddleware {
    typealias Context = SlipwayRequestContext
    let renderer: DashboardRenderer
    let sessions: DashboardSessions

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch DashboardProblem.notLoggedIn(let next) {
            let local = DashboardSecurity.localPath(next)
            return DashboardRenderer.redirect(to: local == "/" ? "/login" : "/login?next=" + DashboardController.escapeQuery(local))
        } catch {
            let (status, message) = Self.answer(for: error)
            if status == .internalServerError {
                context.logger.error("unhandled error on \(request.method) \(request.uri.path): \(String(reflecting: error))")
            }
            let visitor = try? await sessions.visitor(of: request)
            return renderer.page(
                "problem", title: status.reasonPhrase, content: ["status": String(status.code), "reason": status.reasonPhrase, "message": message],
                visitor: visitor, status: status)
        }
    }

    /// The status and the sentence a page shows for `error`.
    static func answer(for error: any Error) -> (HTTPResponse.Status, String) {
        switch error {
        case DashboardProblem.csrfRefused:
            return (.forbidden, "This form was refused: its security token is missing or is not this session's. Reload the page and try again.")
        case let error as SlipwayError:
            switch error {
            case .invalid: return (.unprocessableContent, error.message(naming: .snakeCase))
            case .notFound(let message): return (.notFound, message)
            case .conflict(let message): return (.conflict, message)
            case .forbidden(let message): return (.forbidden, message)
            case .tooManyRequests(let message): return (.tooManyRequests, message)
            }
        case let error as QueryError:
            return (.badRequest, error.description)
        case let error as any HTTPResponseError:
            return (error.status, error.status == .notFound ? "There is no such page." : error.status.reasonPhrase)
        default:
            return (.internalServerError, "Something went wrong on the server; it has been logged.")
        }
    }
}
