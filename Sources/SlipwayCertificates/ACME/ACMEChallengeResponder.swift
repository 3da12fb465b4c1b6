/// What must be served for the CA to validate one name, handed to an `ACMEChallengeResponder`.
public struct ACMEChallengeAnswer: Sendable, Hashable {
    /// The name being validated (the host the CA connects to).
    public var name: String
    /// What to serve.
    public var content: Content

    /// What to serve, by challenge type.
    public enum Content: Sendable, Hashable {
        /// Answer `GET /.well-known/acme-challenge/<token>` for host `name` on port 80 with `keyAuthorization`
        /// (as `text/plain` or `application/octet-stream`, the body exactly this string).
        case http01(token: String, keyAuthorization: String)
        /// Serve `certificate` on port 443 to a TLS client that sends SNI `name` and offers ALPN `acme-tls/1`,
        /// negotiating `acme-tls/1` (`TLSALPNChallengeCertificate.applicationProtocol`).
        case tlsALPN01(TLSALPNChallengeCertificate)
    }

    /// The challenge type this answer is for.
    public var type: ACMEChallengeType {
        switch content {
        case .http01: return .http01
        case .tlsALPN01: return .tlsALPN01
        }
    }
}

/// Serves challenge answers where the CA looks for them; implemented by the caller (the edge, or a test's server).
/// The client calls `present` before telling the CA to validate and `cleanUp` afterwards, whether it succeeded or not.
public protocol ACMEChallengeResponder: Sendable {
    /// Starts serving `answer`; returns once the CA can fetch it.
    func present(_ answer: ACMEChallengeAnswer) async throws
    /// Stops serving `answer`.
    func cleanUp(_ answer: ACMEChallengeAnswer) async throws
}
