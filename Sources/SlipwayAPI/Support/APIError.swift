import Hummingbird
import SlipwayCore

/// Errors of the HTTP layer itself, beside the domain's `SlipwayError`.
public enum APIError: Error, Equatable {
    /// No token, or a token that matches nothing.
    case unauthenticated
    /// The body is not JSON, or not the JSON this endpoint takes.
    case malformedBody(String)
    /// The body is larger than the endpoint accepts.
    case bodyTooLarge(limit: Int)
    /// The client's address failed to authenticate too often lately (`AuthenticationFailureLimiter`): 429, with
    /// `Retry-After` in seconds.
    case tooManyAuthenticationFailures(retryAfter: Int)
}
