import Foundation
import SlipwayCore

/// When the certificate work acts on a domain, as pure rules: which domains are due, how long to wait after a
/// failure, and the state each outcome records.
struct CertificateSchedule: Sendable {
    /// The first wait after a failure; it doubles with each failure in a row.
    var firstRetryDelay: Duration
    /// The longest wait after a failure.
    var longestRetryDelay: Duration

    /// Whether ACME looks after the domain at all: its name is proven (no certificate for a name that may be someone
    /// else's), its certificate is not uploaded and its name is not a wildcard (ACME issues wildcards only through
    /// DNS-01, which Slipway does not answer).
    static func isManaged(_ domain: Domain) -> Bool {
        domain.certificate.source == .acme && !domain.hostname.hasPrefix("*.") && domain.verifiedAt != nil
    }

    /// Whether an attempt for the domain is due at `now`: a new domain at once, a failed one at its retry time, an
    /// issued one at its renewal date (all recorded as `nextAttemptAt`).
    static func isDue(_ domain: Domain, at now: Date) -> Bool {
        guard isManaged(domain) else { return false }
        return domain.certificate.nextAttemptAt.map { $0 <= now } ?? true
    }

    /// The wait after `failures` failures in a row (1: the first): `firstRetryDelay` doubled each time, at most
    /// `longestRetryDelay`; never before the CA's `Retry-After`.
    func retryDelay(failures: Int, now: Date, retryAfter: Date?) -> TimeInterval {
        let first = Self.seconds(firstRetryDelay)
        let longest = Self.seconds(longestRetryDelay)
        let doubled = first * pow(2, Double(min(max(failures - 1, 0), 40)))
        let delay = min(doubled, longest)
        guard let retryAfter else { return delay }
        return max(delay, retryAfter.timeIntervalSince(now))
    }

    /// The state while an attempt runs: `renewing` when a certificate is served (it keeps serving), else `pending`;
    /// what the last attempt said stays until this one ends.
    static func attempting(_ state: CertificateState, hasCertificate: Bool) -> CertificateState {
        var attempting = state
        attempting.status = hasCertificate ? .renewing : .pending
        attempting.nextAttemptAt = nil
        return attempting
    }

    /// The state after a failed attempt: `failed` without a certificate (`renewing` while one is still served), the
    /// error's words, the next attempt's time, one more failed attempt in a row.
    static func failed(_ state: CertificateState, hasCertificate: Bool, error: String, nextAttemptAt: Date) -> CertificateState {
        var failed = state
        failed.status = hasCertificate ? .renewing : .failed
        failed.lastError = error
        failed.nextAttemptAt = nextAttemptAt
        failed.failedAttempts = state.failedAttempts + 1
        return failed
    }

    static func seconds(_ duration: Duration) -> TimeInterval {
        let (seconds, attoseconds) = duration.components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
