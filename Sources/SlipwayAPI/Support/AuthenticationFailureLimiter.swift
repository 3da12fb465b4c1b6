import Hummingbird
public import Logging
import Synchronization

/// Counts failed authentications per client address (a wrong bearer token or `x-api-key`, a wrong login password, a
/// wrong git password, a
/// webhook signature that does not match) and, once an address has failed `maximumFailures` times within `window`,
/// refuses every attempt of that address — right or wrong — until the window that began with its first failure
/// has passed: the API answers 429 with `Retry-After`. A request that brings no credentials at all (git asks
/// without them first) and a successful one use none of the budget. docs/security-connections.md.
public final class AuthenticationFailureLimiter: Sendable {
    /// How many failures an address may have, and over how long.
    public struct Configuration: Sendable {
        /// The failures allowed within `window`; 0 turns the limit off.
        public var maximumFailures: Int
        /// The window that starts with an address's first failure.
        public var window: Duration

        /// The defaults: 10 failures a minute.
        public init(maximumFailures: Int = 10, window: Duration = .seconds(60)) {
            self.maximumFailures = maximumFailures
            self.window = window
        }
    }

    /// What kind of secret was tried: each kind has a budget of its own per address.
    public enum Kind: String, Sendable {
        /// An API token or a session token, as a bearer token, Dokploy's `x-api-key` or git's Basic password.
        case token
        /// A password: a login (`POST /api/v1/sessions`) or the current password of a password change.
        case password
        /// A webhook signature (counted per address and project: a sender whose secret is wrong for one project
        /// still reaches the others).
        case webhookSignature = "webhook signature"
    }

    /// The failures of one address in its current window.
    private struct Record {
        var windowStart: Duration
        var failures: Int
        var warned = false
    }

    public let configuration: Configuration
    private let now: @Sendable () -> Duration
    private let records = Mutex<[String: Record]>([:])
    private let logger: Logger
    /// Above this many addresses, the ones whose window has passed are forgotten.
    private static let sweepThreshold = 10_000

    /// A limiter on `clock` (the tests pass a clock they move).
    public init<C: Clock>(configuration: Configuration = Configuration(), clock: C, logger: Logger = Logger(label: "slipway"))
    where C.Duration == Duration {
        let start = clock.now
        self.configuration = configuration
        self.now = { start.duration(to: clock.now) }
        self.logger = logger
    }

    /// A limiter on the continuous clock.
    public convenience init(configuration: Configuration = Configuration(), logger: Logger = Logger(label: "slipway")) {
        self.init(configuration: configuration, clock: ContinuousClock(), logger: logger)
    }

    /// A limiter that never refuses anyone.
    public static let off = AuthenticationFailureLimiter(configuration: Configuration(maximumFailures: 0))

    /// How long `address` must wait before it may try again, when it has used its budget; nil when it may try now.
    public func refusal(_ kind: Kind, address: String?, scope: String = "") -> Duration? {
        guard configuration.maximumFailures > 0, let address else { return nil }
        let key = Self.key(kind, address, scope)
        let now = now()
        return records.withLock { records -> Duration? in
            guard let record = records[key] else { return nil }
            let end = record.windowStart + configuration.window
            guard now < end else {
                records[key] = nil
                return nil
            }
            return record.failures >= configuration.maximumFailures ? end - now : nil
        }
    }

    /// Counts a failed attempt of `address`; logs a warning the first time the address runs out of budget.
    public func recordFailure(_ kind: Kind, address: String?, scope: String = "") {
        guard configuration.maximumFailures > 0, let address else { return }
        let key = Self.key(kind, address, scope)
        let now = now()
        let blockedFor = records.withLock { records -> Duration? in
            if records.count > Self.sweepThreshold {
                let window = configuration.window
                records = records.filter { now < $0.value.windowStart + window }
            }
            var record = records[key] ?? Record(windowStart: now, failures: 0)
            if now >= record.windowStart + configuration.window { record = Record(windowStart: now, failures: 0) }
            record.failures += 1
            var blockedFor: Duration?
            if record.failures >= configuration.maximumFailures, !record.warned {
                record.warned = true
                blockedFor = record.windowStart + configuration.window - now
            }
            records[key] = record
            return blockedFor
        }
        if let blockedFor {
            let scopeText = scope.isEmpty ? "" : " for \(scope)"
            logger.warning(
                "authentication: \(configuration.maximumFailures) failed \(kind.rawValue) attempts from \(address)\(scopeText) within \(configuration.window); answering 429 to it for \(Self.seconds(blockedFor)) s"
            )
        }
    }

    /// Whole seconds, rounded up (for `Retry-After`).
    public static func seconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int(seconds) + (attoseconds > 0 ? 1 : 0)
    }

    private static func key(_ kind: Kind, _ address: String, _ scope: String) -> String {
        kind.rawValue + " " + address + (scope.isEmpty ? "" : " " + scope)
    }
}

extension APIError {
    /// The sentence of a 429 for too many failed authentications.
    var tooManyFailuresMessage: String {
        guard case .tooManyAuthenticationFailures(let seconds) = self else { return "\(self)" }
        return "too many failed authentication attempts from this address; try again in \(seconds) seconds"
    }

    /// The 429 for an address that has to wait `duration`.
    static func tooManyAuthenticationFailures(after duration: Duration) -> APIError {
        .tooManyAuthenticationFailures(retryAfter: max(1, AuthenticationFailureLimiter.seconds(duration)))
    }
}

extension Response {
    /// Adds `Retry-After` to the answer to an error that says when to retry.
    mutating func addRetryAfter(for error: any Error) {
        if case .tooManyAuthenticationFailures(let seconds) = error as? APIError { headers[.retryAfter] = String(seconds) }
    }
}
