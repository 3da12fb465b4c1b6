public import Foundation

/// How the client waits between polls of an authorization or order: as long as the CA's `Retry-After` asks (up to
/// `longestWait`), else `interval`; at most `maximumAttempts` polls.
public struct ACMEPollingPolicy: Sendable, Hashable {
    /// The most polls of one resource before giving up with `ACMEError.stillPending`.
    public var maximumAttempts: Int
    /// The wait when the CA gives no `Retry-After`.
    public var interval: Duration
    /// The longest wait honoured from a `Retry-After`.
    public var longestWait: Duration

    /// A policy from its parts; the defaults poll every second, 60 times at most, and wait up to 5 minutes when asked.
    public init(maximumAttempts: Int = 60, interval: Duration = .seconds(1), longestWait: Duration = .seconds(300)) {
        self.maximumAttempts = maximumAttempts
        self.interval = interval
        self.longestWait = longestWait
    }

    /// The wait before the next poll, given the response's `Retry-After` header (if any) and the time now.
    public func delay(retryAfterHeader: String?, now: Date) -> Duration {
        guard let header = retryAfterHeader, let date = RetryAfter.date(from: header, now: now) else { return interval }
        let seconds = max(0, date.timeIntervalSince(now))
        return min(.milliseconds(Int64((seconds * 1000).rounded())), longestWait)
    }
}
