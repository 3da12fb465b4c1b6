import Hummingbird
import SlipwayCore

/// Errors of the HTTP layer itself, beside the domain's `SlipwayError`.
public enum APIError: Error, Equatable {
    /// No token, or a token that matches nothing.
    case unauthenticated
    /// A login with a wrong login or a wrong password: the same answer for both, so that logins cannot be guessed.
    case wrongCredentials
    /// The body is not JSON, or not the JSON this endpoint takes.
    case malformedBody(String)
    /// The body is larger than the endpoint accepts.
    case bodyTooLarge(limit: Int)
    /// The client's address failed to authenticate too often lately (`AuthenticationFailureLimiter`): 429, with
    /// `Retry-After` in seconds.
    case tooManyAuthenticationFailures(retryAfter: Int)

    /// The sentence of `wrongCredentials`: it never says which of the two was wrong.
    static let wrongCredentialsMessage = "wrong login or password"
}
