import Foundation
import Logging
import ServiceLifecycle
import SlipwayCore
import Synchronization

/// Delivers queued notifications in the background (docs/notifications.md): claims due deliveries, at most
/// `concurrency` at once, sends each (`NotificationSender`, with its timeout), and records the outcome: delivered on a
/// 2xx, else another attempt after the backoff until the attempts run out. Nothing of a deployment waits for it: the
/// store queues deliveries as rows, and this service reads them. Woken when one is queued; polls slowly besides.
final class NotificationDeliveryService: Service {
    struct Configuration: Sendable {
        var sender = NotificationSender.Configuration()
        var backoff = NotificationBackoff()
        /// Deliveries in flight at once.
        var concurrency = 4
        /// How often due deliveries are looked for without a wake-up (retries that came due, other nodes' events).
        var pollInterval: Duration = .seconds(2)
        /// Off (`--notification-delivery off`): deliveries are queued and logged but never sent.
        var isEnabled = true
        /// The time now: tests may move it.
        var now: @Sendable () -> Date = { Date() }
    }

    private let repository: any NotificationRepository
    private let wakeUp: WakeUpSignal
    private let urls: PublicURLs
    private let configuration: Configuration
    private let sender: NotificationSender
    private let logger: Logger
    private let inFlight = Mutex(0)

    init(repository: any NotificationRepository, wakeUp: WakeUpSignal, urls: PublicURLs, configuration: Configuration, logger: Logger) {
        self.repository = repository
        self.wakeUp = wakeUp
        self.urls = urls
        self.configuration = configuration
        self.sender = NotificationSender(configuration: configuration.sender)
        self.logger = logger
    }

    func run() async throws {
        guard configuration.isEnabled else {
            logger.notice("notifications: delivery is off (--notification-delivery off); deliveries stay queued")
            try? await gracefulShutdown()
            return
        }
        // Cancelled on graceful shutdown: in-flight attempts end with the service; their leases run out and they are
        // attempted again after a restart.
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                while !Task.isCancelled {
                    let free = self.configuration.concurrency - self.inFlight.withLock { $0 }
                    if free > 0 {
                        for due in await self.claim(limit: free) {
                            self.inFlight.withLock { $0 += 1 }
                            group.addTask {
                                await self.deliver(due)
                                self.inFlight.withLock { $0 -= 1 }
                                self.wakeUp.signal()
                            }
                        }
                    }
                    await self.wakeUp.wait(timeout: self.configuration.pollInterval)
                }
            }
        }
    }

    private func claim(limit: Int) async -> [DueNotification] {
        let now = configuration.now()
        // The lease outlasts one attempt with its redirects, so it is never claimed twice while it runs.
        let lease = configuration.sender.timeout * (configuration.sender.maximumRedirects + 1) + .seconds(30)
        do {
            return try await repository.claimDue(at: now, limit: limit, leaseUntil: now.addingTimeInterval(lease.seconds))
        } catch {
            logger.error("notifications: cannot claim due deliveries: \(error)")
            return []
        }
    }

    /// One attempt of one delivery, recorded.
    func deliver(_ due: DueNotification) async {
        let outcome: NotificationAttemptOutcome
        do {
            let message = try NotificationMessage.make(due, urls: urls)
            let result = await sender.send(message, to: message.url)
            outcome = self.outcome(of: result, attempt: due.delivery.attempts)
        } catch {
            outcome = .failed(statusCode: nil, error: "cannot build the message: \(error)", retryAt: nil)
        }
        if case .failed(_, let error, let retryAt) = outcome {
            let ending = retryAt == nil ? "; giving up" : ""
            logger.info(
                "notifications: delivery \(due.delivery.id) to destination \(due.destination.id) failed (attempt \(due.delivery.attempts)): \(error)\(ending)"
            )
        }
        do {
            try await repository.record(outcome, deliveryID: due.delivery.id, at: configuration.now())
        } catch {
            logger.error("notifications: cannot record delivery \(due.delivery.id): \(error)")
        }
    }

    /// What a send's result means for the delivery after its `attempt`th attempt.
    func outcome(of result: NotificationSender.Result, attempt: Int) -> NotificationAttemptOutcome {
        let retryAt = configuration.backoff.delay(afterAttempt: attempt).map { configuration.now().addingTimeInterval($0.seconds) }
        switch result {
        case .answered(let status) where (200..<300).contains(status):
            return .delivered(statusCode: status)
        case .answered(let status) where status == 408 || status == 429 || status >= 500:
            return .failed(statusCode: status, error: "answered \(status)", retryAt: retryAt)
        case .answered(let status):
            // The destination says the request itself is wrong (gone, unauthorized): another attempt would be too.
            return .failed(statusCode: status, error: "answered \(status)", retryAt: nil)
        case .refused(let reason):
            return .failed(statusCode: nil, error: "refused: \(reason)", retryAt: nil)
        case .unreachable(let reason):
            return .failed(statusCode: nil, error: reason, retryAt: retryAt)
        }
    }
}

extension Duration {
    /// In seconds, with fractions.
    var seconds: TimeInterval { TimeInterval(components.seconds) + TimeInterval(components.attoseconds) / 1e18 }
}
