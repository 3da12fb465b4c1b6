import ArgumentParser
import SlipwayServer

/// The flags of `slipway serve` that limit what one client may hold: connections, failed authentications and
/// unverified webhook bodies (docs/security-connections.md). Each has a `SLIPWAY_*` variable; a flag wins over it.
struct ServeLimitOptions: ParsableArguments {
    @Option(help: "Seconds a client may take to send a request head (default 30; SLIPWAY_REQUEST_HEAD_TIMEOUT).")
    var requestHeadTimeout: Int?
    @Option(help: "Seconds a kept-alive connection may wait for its next request (default 75; SLIPWAY_IDLE_TIMEOUT).")
    var idleTimeout: Int?
    @Option(help: "Open connections per client address, 0 for no cap (default 256; SLIPWAY_MAX_CONNECTIONS_PER_ADDRESS).")
    var maxConnectionsPerAddress: Int?
    @Option(help: "Failed authentications per client address within the window before 429, 0 for no limit (default 10; SLIPWAY_AUTH_FAILURE_LIMIT).")
    var authFailureLimit: Int?
    @Option(help: "The window of --auth-failure-limit, in seconds (default 60; SLIPWAY_AUTH_FAILURE_WINDOW).")
    var authFailureWindow: Int?
    @Option(help: "Large webhook bodies read at once before their signatures are checked (default 4; SLIPWAY_UNVERIFIED_WEBHOOK_BODIES).")
    var unverifiedWebhookBodies: Int?

    /// Sets what was given on the command line.
    func apply(to configuration: inout SlipwayConfiguration) throws {
        if let requestHeadTimeout {
            guard requestHeadTimeout >= 1 else { throw ValidationError("--request-head-timeout must be at least 1 second") }
            configuration.requestHeadTimeout = .seconds(requestHeadTimeout)
        }
        if let idleTimeout {
            guard idleTimeout >= 1 else { throw ValidationError("--idle-timeout must be at least 1 second") }
            configuration.idleConnectionTimeout = .seconds(idleTimeout)
        }
        if let maxConnectionsPerAddress {
            guard maxConnectionsPerAddress >= 0 else { throw ValidationError("--max-connections-per-address must be 0 or more") }
            configuration.maxConnectionsPerAddress = maxConnectionsPerAddress
        }
        if let authFailureLimit {
            guard authFailureLimit >= 0 else { throw ValidationError("--auth-failure-limit must be 0 or more") }
            configuration.authFailureLimit = authFailureLimit
        }
        if let authFailureWindow {
            guard authFailureWindow >= 1 else { throw ValidationError("--auth-failure-window must be at least 1 second") }
            configuration.authFailureWindow = .seconds(authFailureWindow)
        }
        if let unverifiedWebhookBodies {
            guard unverifiedWebhookBodies >= 1 else { throw ValidationError("--unverified-webhook-bodies must be at least 1") }
            configuration.unverifiedWebhookBodies = unverifiedWebhookBodies
        }
    }
}
