public import Foundation

/// Everything the ACME client throws. A refusal by the CA carries its problem document and the time it asks the
/// client to wait (`Retry-After`), so a caller can record the CA's words and back off.
public enum ACMEError: Error, Sendable, CustomStringConvertible {
    /// The CA answered with a problem: an error response, or an authorization or order that became invalid.
    /// `retryAfter` is when the CA asks to be tried again (rate limits), when it said.
    case refused(ACMEProblem, retryAfter: Date?)
    /// The CA could not be reached at `url` (connection, TLS, timeout).
    case unreachable(url: String, reason: String)
    /// The CA answered something this client cannot read.
    case unexpectedResponse(url: String, reason: String)
    /// An authorization or order still had `status` after the allowed number of polls.
    case stillPending(url: String, status: String, attempts: Int)
    /// The CA offered none of the challenge types the caller accepts for `name`.
    case noAcceptableChallenge(name: String, offered: [String])
    /// The caller's challenge responder failed to present or clean up the answer for `name`.
    case challengeResponderFailed(name: String, reason: String)
    /// The account key could not be read.
    case invalidAccountKey(String)
    /// The certificate could not be requested: the key or the CSR could not be made.
    case certificateRequestFailed(String)
    /// The task was cancelled while waiting.
    case cancelled

    /// The CA's problem document, when the CA refused.
    public var problem: ACMEProblem? {
        if case .refused(let problem, _) = self { return problem }
        return nil
    }

    /// When the CA asks to be tried again, when it said.
    public var retryAfter: Date? {
        if case .refused(_, let retryAfter) = self { return retryAfter }
        return nil
    }

    /// Whether the CA refused because of a rate limit (`urn:ietf:params:acme:error:rateLimited`).
    public var isRateLimited: Bool { problem?.kind == .rateLimited }

    /// The error in words, for `last_error` and logs.
    public var description: String {
        switch self {
        case .refused(let problem, let retryAfter):
            let retry = retryAfter.map { " (retry after \($0.formatted(.iso8601)))" } ?? ""
            return "the CA refused: \(problem)\(retry)"
        case .unreachable(let url, let reason): return "cannot reach the CA at \(url): \(reason)"
        case .unexpectedResponse(let url, let reason): return "unexpected answer from the CA at \(url): \(reason)"
        case .stillPending(let url, let status, let attempts): return "\(url) was still \(status) after \(attempts) polls"
        case .noAcceptableChallenge(let name, let offered):
            return "the CA offered no acceptable challenge for \(name) (offered: \(offered.joined(separator: ", ")))"
        case .challengeResponderFailed(let name, let reason): return "the challenge answer for \(name) failed: \(reason)"
        case .invalidAccountKey(let reason): return reason
        case .certificateRequestFailed(let reason): return "cannot make the certificate request: \(reason)"
        case .cancelled: return "cancelled"
        }
    }
}
