public import Foundation
public import Logging
public import ServiceLifecycle
public import SlipwayCore

/// Keeps the audit trail to `--audit-retention` days (docs/audit.md): deletes older entries once at start and then
/// every `interval`, until the server shuts down. The current time is injected, so a test can age the entries.
public struct AuditRetention: Service {
    public let audit: any AuditRepository
    /// How long an entry is kept.
    public let retention: Duration
    /// How often the trail is pruned.
    public let interval: Duration
    /// The current time.
    public let now: @Sendable () -> Date
    public let logger: Logger

    /// A retention of `days` days.
    public init(
        audit: any AuditRepository, days: Int, interval: Duration = .seconds(3600), now: @escaping @Sendable () -> Date = { Date() },
        logger: Logger
    ) {
        self.audit = audit
        self.retention = .seconds(Int64(days) * 24 * 3600)
        self.interval = interval
        self.now = now
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await prune()
                } catch {
                    logger.error("audit retention: \(error)")
                }
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// Deletes the entries older than the retention; answers how many.
    @discardableResult public func prune() async throws -> Int {
        let cutoff = now().addingTimeInterval(-TimeInterval(retention.components.seconds))
        let pruned = try await audit.prune(before: cutoff)
        if pruned > 0 { logger.info("audit retention: deleted \(pruned) entries older than \(Timestamp.format(cutoff))") }
        return pruned
    }
}
