import Logging
import SlipwayAPI
import SlipwayEdge

/// The limits on client connections, failed authentications and unverified webhook bodies
/// (docs/security-connections.md): their environment variables, and the values the edge and the API take.
extension SlipwayConfiguration {
    /// Reads `SLIPWAY_REQUEST_HEAD_TIMEOUT`, `SLIPWAY_IDLE_TIMEOUT` and `SLIPWAY_AUTH_FAILURE_WINDOW` (seconds),
    /// `SLIPWAY_MAX_CONNECTIONS_PER_ADDRESS`, `SLIPWAY_AUTH_FAILURE_LIMIT` and `SLIPWAY_UNVERIFIED_WEBHOOK_BODIES`.
    mutating func readConnectionProtections(from environment: [String: String]) throws {
        func integer(_ name: String, minimum: Int) throws -> Int? {
            guard let value = environment[name], !value.isEmpty else { return nil }
            guard let number = Int(value), number >= minimum else {
                throw ConfigurationError("\(name) must be an integer of at least \(minimum), got '\(value)'")
            }
            return number
        }
        if let seconds = try integer("SLIPWAY_REQUEST_HEAD_TIMEOUT", minimum: 1) { requestHeadTimeout = .seconds(seconds) }
        if let seconds = try integer("SLIPWAY_IDLE_TIMEOUT", minimum: 1) { idleConnectionTimeout = .seconds(seconds) }
        if let count = try integer("SLIPWAY_MAX_CONNECTIONS_PER_ADDRESS", minimum: 0) { maxConnectionsPerAddress = count }
        if let count = try integer("SLIPWAY_AUTH_FAILURE_LIMIT", minimum: 0) { authFailureLimit = count }
        if let seconds = try integer("SLIPWAY_AUTH_FAILURE_WINDOW", minimum: 1) { authFailureWindow = .seconds(seconds) }
        if let count = try integer("SLIPWAY_UNVERIFIED_WEBHOOK_BODIES", minimum: 1) { unverifiedWebhookBodies = count }
    }

    /// The limits of every client connection, on the edge and the API alike.
    var clientConnectionLimits: ClientConnectionLimits {
        ClientConnectionLimits(
            requestHeadTimeout: requestHeadTimeout, idleTimeout: idleConnectionTimeout, maximumConnectionsPerAddress: maxConnectionsPerAddress)
    }

    /// The budget of failed authentications per client address.
    var authenticationFailureLimits: AuthenticationFailureLimiter.Configuration {
        AuthenticationFailureLimiter.Configuration(maximumFailures: authFailureLimit, window: authFailureWindow)
    }

    /// The slots for unverified webhook bodies.
    var webhookBodyLimits: WebhookBodyGate.Configuration {
        WebhookBodyGate.Configuration(slots: unverifiedWebhookBodies)
    }
}

extension APIDependencies {
    /// These dependencies with the limiter of failed authentications and the webhook gate that `configuration` asks for.
    func withProtections(_ configuration: SlipwayConfiguration, logger: Logger) -> APIDependencies {
        var dependencies = self
        dependencies.authenticationFailures = AuthenticationFailureLimiter(configuration: configuration.authenticationFailureLimits, logger: logger)
        dependencies.webhookBodies = WebhookBodyGate(configuration: configuration.webhookBodyLimits)
        return dependencies
    }
}
