import ArgumentParser
import SlipwayServer

/// The flags of `slipway serve` for notifications out (docs/notifications.md).
struct ServeNotificationOptions: ParsableArguments {
    @Flag(
        help: ArgumentHelp(
            "Let notification destinations and commit-status APIs be on loopback, private, link-local and other non-public "
                + "addresses (default off: destinations are tenant-chosen URLs; SLIPWAY_ALLOW_PRIVATE_NOTIFICATION_TARGETS=1)."))
    var allowPrivateNotificationTargets: Bool = false
    @Option(
        help: ArgumentHelp(
            "on or off: off queues and logs notifications but never sends one (default on; SLIPWAY_NOTIFICATION_DELIVERY).",
            valueName: "mode"))
    var notificationDelivery: String?

    /// Applies the flags, and their variables when a flag is not given, to the configuration.
    func apply(to configuration: inout SlipwayConfiguration, environment: [String: String]) throws {
        if allowPrivateNotificationTargets || environment["SLIPWAY_ALLOW_PRIVATE_NOTIFICATION_TARGETS"] == "1" {
            configuration.notifications.allowsPrivateTargets = true
        }
        if let mode = notificationDelivery ?? environment["SLIPWAY_NOTIFICATION_DELIVERY"] {
            switch mode {
            case "on": configuration.notifications.deliversNotifications = true
            case "off": configuration.notifications.deliversNotifications = false
            default: throw ValidationError("--notification-delivery must be on or off, got '\(mode)'")
            }
        }
    }
}
