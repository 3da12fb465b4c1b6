import Foundation
import Hummingbird
import Logging
import SlipwayCore

/// Records every change a person or token makes, or tries to make, in the audit trail: router-wide and outermost, so
/// it sees every dialect's final answer (after its error mapping) and the git remote's. Which requests are changes,
/// and what each is called, is `AuditedRoutes`; who made it and what it was made to, the request's `AuditNotes`.
///
/// A read (GET, HEAD) passes straight through: no statement is added to it. A request nobody authenticated is not
/// recorded (anyone could fill the trail with them), except a login, which is. Writing the entry never fails the
/// request: an error is logged and the answer goes out.
struct AuditMiddleware: RouterMiddleware {
    typealias Context = SlipwayRequestContext
    let audit: any AuditRepository
    /// The current time (the tests may move it).
    let now: @Sendable () -> Date

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let (route, captured) = AuditedRoutes.route(request.method, path: request.uri.path) else {
            return try await next(request, context)
        }
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            context.audit.failed(error)
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            await record(route, captured: captured, status: status, context: context)
            throw error
        }
        await record(route, captured: captured, status: response.status.code, context: context)
        return response
    }

    private func record(_ route: AuditedRoute, captured: [String: String], status: Int, context: Context) async {
        let notes = context.audit.snapshot
        let isLogin = route.action == "session.create"
        guard notes.user != nil || (isLogin && status != 429) else { return }
        let succeeded = (200..<400).contains(status)
        let event = AuditEvent(
            workspaceID: route.level == .workspace ? notes.workspaceID : nil, actorUserID: notes.user?.id, actorLogin: notes.user?.login,
            tokenID: notes.tokenID, via: notes.via, address: context.remoteAddress?.ipAddress, createdAt: now(), action: route.action,
            targetType: route.targetType, targetID: notes.targetID ?? route.targetParameter.flatMap { captured[$0] },
            targetName: notes.targetName, detail: notes.detail, status: status, outcome: succeeded ? .succeeded : .failed,
            errorCode: succeeded ? nil : (notes.errorCode ?? "http_\(status)")
        )
        do {
            try await audit.record(event)
        } catch {
            context.logger.error("audit: could not record \(route.action) (status \(status)): \(String(reflecting: error))")
        }
    }
}
