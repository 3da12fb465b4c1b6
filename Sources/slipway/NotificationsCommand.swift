import ArgumentParser
import Foundation
import SlipwayClient

/// `slipway notifications list|add|rm|test|deliveries`: where the workspace's events are sent.
struct NotificationsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notifications",
        abstract: "Send deployment, service and certificate events to webhooks, Slack or Discord.",
        discussion: """
            A destination receives the events it names: deployment.queued, deployment.started, deployment.succeeded,
            deployment.failed, deployment.canceled, deployment.rollback, service.crashed, service.restarted,
            certificate.failing. A generic webhook gets a JSON body signed with its secret (X-Slipway-Signature:
            sha256=<hex HMAC-SHA256 of the body>); Slack and Discord incoming webhooks get a line of text. Deliveries
            happen in the background, retried with backoff. See docs/notifications.md.

            Examples:
              slipway notifications add webhook https://ci.example.com/hooks/slipway --events deployment.failed,deployment.succeeded --secret "$SECRET"
              slipway notifications add slack https://hooks.slack.com/services/T/B/X --events deployment.failed
              slipway notifications list
              slipway notifications test 3
              slipway notifications deliveries 3
              slipway notifications rm 3
            """,
        subcommands: [
            NotificationsListCommand.self, NotificationsAddCommand.self, NotificationsRemoveCommand.self, NotificationsTestCommand.self,
            NotificationsDeliveriesCommand.self,
        ]
    )
}

/// `slipway notifications list`.
struct NotificationsListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the workspace's notification destinations.")

    @Flag(help: "Print as JSON.") var json = false
    @OptionGroup var client: ClientOptions

    func run() async throws {
        let api = try client.makeClient()
        let destinations = try await reportingErrors { try await api.notificationDestinations() }
        if json { return try Output.json(destinations) }
        if destinations.isEmpty { return print("No notification destinations.") }
        Output.table(
            ["ID", "KIND", "URL", "EVENTS", "SIGNED", "CREATED"],
            destinations.map {
                [String($0.id), $0.kind, $0.url, $0.events.joined(separator: ","), $0.hasSecret ? "yes" : "no", $0.createdAt]
            })
    }
}

/// `slipway notifications add KIND URL --events E1,E2 [--secret S]`.
struct NotificationsAddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Add a notification destination.",
        discussion: """
            KIND is webhook, slack or discord. The URL must be public (http or https, no user info): the server refuses
            loopback and private addresses unless it runs with --allow-private-notification-targets.
            """)

    @Argument(help: "webhook, slack or discord.") var kind: String
    @Argument(help: "The URL to POST to.") var url: String
    @Option(help: "The events to send, comma-separated (e.g. deployment.failed,deployment.succeeded).") var events: String
    @Option(help: "The webhook's signing secret, 16 to 256 characters (webhook only).") var secret: String?
    @Flag(help: "Print the destination as JSON.") var json = false
    @OptionGroup var client: ClientOptions

    func run() async throws {
        let api = try client.makeClient()
        let names = events.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let added = try await reportingErrors { try await api.addNotificationDestination(kind: kind, url: url, events: names, secret: secret) }
        if json { return try Output.json(added) }
        print(Output.paint("✓ Added notification destination \(added.id) (\(added.kind), \(added.url))", code: "32"))
        print("  events: \(added.events.joined(separator: ", "))")
    }
}

/// `slipway notifications rm ID`.
struct NotificationsRemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove a notification destination and its delivery log.")

    @Argument(help: "The destination's id.") var id: Int64
    @OptionGroup var client: ClientOptions

    func run() async throws {
        let api = try client.makeClient()
        let result = try await reportingErrors { try await api.removeNotificationDestination(id) }
        print(Output.paint("✓ \(result.message)", code: "32"))
    }
}

/// `slipway notifications test ID`.
struct NotificationsTestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test", abstract: "Send a notification.test event to a destination; see how it went with 'deliveries'.")

    @Argument(help: "The destination's id.") var id: Int64
    @Flag(help: "Print the queued delivery as JSON.") var json = false
    @OptionGroup var client: ClientOptions

    func run() async throws {
        let api = try client.makeClient()
        let delivery = try await reportingErrors { try await api.testNotificationDestination(id) }
        if json { return try Output.json(delivery) }
        print(Output.paint("✓ Test queued as delivery \(delivery.id)", code: "32"))
    }
}

/// `slipway notifications deliveries ID [--limit N]`.
struct NotificationsDeliveriesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deliveries", abstract: "Show a destination's delivery log, newest first: status codes, errors, attempts.")

    @Argument(help: "The destination's id.") var id: Int64
    @Option(help: "How many deliveries, 1 to 100 (default 20).") var limit: Int = 20
    @Flag(help: "Print as JSON.") var json = false
    @OptionGroup var client: ClientOptions

    func run() async throws {
        let api = try client.makeClient()
        let deliveries = try await reportingErrors { try await api.notificationDeliveries(id, limit: limit) }
        if json { return try Output.json(deliveries) }
        if deliveries.isEmpty { return print("No deliveries yet.") }
        Output.table(
            ["ID", "EVENT", "DEPLOYMENT", "STATE", "ATTEMPTS", "STATUS", "LAST ATTEMPT", "NEXT ATTEMPT", "ERROR"],
            deliveries.map {
                [
                    String($0.id), $0.event, $0.deploymentId.map(String.init) ?? "-", $0.state, String($0.attempts),
                    $0.statusCode.map(String.init) ?? "-", $0.lastAttemptAt ?? "-", $0.nextAttemptAt ?? "-", $0.error ?? "-",
                ]
            })
    }
}
