public import SlipwayCore

/// How notifications are delivered (docs/notifications.md).
public struct NotificationSettings: Sendable {
    /// `--allow-private-notification-targets`: destinations may be on loopback, private, link-local and other
    /// non-public addresses (off by default: a destination is a tenant-chosen URL).
    public var allowsPrivateTargets = false
    /// `--notification-delivery on|off`: off queues and logs deliveries but never sends one (CI's fuzzing).
    public var deliversNotifications = true
    /// The longest one request to a destination may take.
    public var timeout: Duration = .seconds(10)
    /// The waits between attempts and how many attempts there are.
    public var backoff = NotificationBackoff()
    /// Deliveries in flight at once.
    public var concurrency = 4
    /// The most destinations a workspace may have.
    public var maximumDestinationsPerWorkspace = 20

    public init() {}

    /// The rules of new destinations.
    var rules: NotificationRules {
        NotificationRules(allowsPrivateTargets: allowsPrivateTargets, maximumDestinations: maximumDestinationsPerWorkspace)
    }

    /// The delivery service's configuration.
    var delivery: NotificationDeliveryService.Configuration {
        var configuration = NotificationDeliveryService.Configuration()
        configuration.sender = .init(allowsPrivateTargets: allowsPrivateTargets, timeout: timeout)
        configuration.backoff = backoff
        configuration.concurrency = max(concurrency, 1)
        configuration.isEnabled = deliversNotifications
        return configuration
    }
}
