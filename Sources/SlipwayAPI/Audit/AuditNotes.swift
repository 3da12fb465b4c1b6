import Hummingbird
public import SlipwayCore
import Synchronization

/// What a request tells the audit trail while it runs: who authenticated, in which workspace, what the change was
/// made to, names worth keeping, and the error that refused it. One per request, shared by every copy of its
/// `SlipwayRequestContext` (a context is passed down by value, so `AuditMiddleware`, outside the authentication,
/// reads here what the inner layers learned).
///
/// Only names and ids go in: never a password, token secret, invitation code, env value or key.
public final class AuditNotes: Sendable {
    struct State {
        var user: User?
        var via: AuditEvent.Via = .none
        var tokenID: Int64?
        var workspaceID: Int64?
        var targetID: String?
        var targetName: String?
        var detail: [String: AuditDetailValue] = [:]
        var errorCode: String?
    }

    private let state = Mutex(State())

    init() {}

    var snapshot: State { state.withLock { $0 } }

    /// The caller authenticated, acting in `identity`'s workspace (nil: in none).
    public func authenticated(_ caller: Caller, acting identity: Identity?) {
        state.withLock {
            $0.user = caller.user
            $0.tokenID = caller.token?.id
            $0.via = caller.token == nil ? .session : .token
            $0.workspaceID = identity?.workspace.id
        }
    }

    /// A login that failed named this existing user (the text of a login that names nobody is never kept: it may be
    /// a password typed in the wrong field).
    public func attempted(by user: User) {
        state.withLock { $0.user = user }
    }

    /// The workspace the change belongs to, when it is not the one the caller acts in (an accepted invitation's).
    func workspace(_ id: Int64) {
        state.withLock { $0.workspaceID = id }
    }

    /// What the change was made to, when the path does not name it (a new project's id and name).
    public func target(id: String?, name: String? = nil) {
        state.withLock {
            if let id { $0.targetID = id }
            if let name { $0.targetName = name }
        }
    }

    /// A name worth keeping about the change: `detail("names", .names(["API_KEY"]))`.
    public func detail(_ key: String, _ value: AuditDetailValue) {
        state.withLock { $0.detail[key] = value }
    }

    /// The error that refused the change, as a short code (`AuditNotes.code(for:)`).
    func failed(_ error: any Error) {
        let code = Self.code(for: error)
        state.withLock { $0.errorCode = code }
    }

    /// A short, stable code of an error, without its message (a message may quote what was sent).
    static func code(for error: any Error) -> String {
        switch error {
        case let error as SlipwayError:
            switch error {
            case .invalid: "invalid"
            case .notFound: "not_found"
            case .conflict: "conflict"
            case .forbidden: "forbidden"
            case .tooManyRequests: "too_many_requests"
            }
        case is QueryError: "bad_query"
        case let error as APIError:
            switch error {
            case .unauthenticated: "unauthenticated"
            case .wrongCredentials: "wrong_credentials"
            case .malformedBody: "malformed_body"
            case .bodyTooLarge: "body_too_large"
            case .tooManyAuthenticationFailures: "too_many_authentication_failures"
            }
        case let error as any HTTPResponseError: "http_\(error.status.code)"
        default: "internal"
        }
    }
}
