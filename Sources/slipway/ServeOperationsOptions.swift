import ArgumentParser
import Foundation
import Logging
import SlipwayServer

/// The flags of `slipway serve` for operating it (docs/operations.md): metrics and the log's format. Each has a
/// `SLIPWAY_*` variable; a flag wins over it.
struct ServeOperationsOptions: ParsableArguments {
    @Option(help: "on or off: record metrics and serve /metrics (default on; SLIPWAY_METRICS).") var metrics: String?
    @Option(
        help: ArgumentHelp(
            "Serve /metrics without authentication on a listener of its own, e.g. 127.0.0.1:9090 (SLIPWAY_METRICS_ADDRESS).",
            valueName: "host:port"))
    var metricsAddress: String?
    @Option(help: "text or json: one JSON object per log line with json (default text; SLIPWAY_LOG_FORMAT).") var logFormat: String?

    /// Sets what was given on the command line.
    func apply(to configuration: inout SlipwayConfiguration) throws {
        do {
            if let metrics { configuration.metricsEnabled = try SlipwayConfiguration.parseSwitch(metrics, name: "--metrics") }
            if let metricsAddress { configuration.metricsAddress = try ListenAddress.parse(metricsAddress, name: "--metrics-address") }
        } catch {
            throw ValidationError("\(error)")
        }
    }

    /// The log format the flag or `SLIPWAY_LOG_FORMAT` asks for.
    func format(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> LogFormat {
        do {
            if let logFormat { return try LogFormat.parse(logFormat, name: "--log-format") }
            if let value = environment["SLIPWAY_LOG_FORMAT"], !value.isEmpty { return try LogFormat.parse(value, name: "SLIPWAY_LOG_FORMAT") }
            return .text
        } catch {
            throw ValidationError("\(error)")
        }
    }

    /// Installs the log format's handler for the whole process (before the first logger is made).
    func bootstrapLogging() throws {
        switch try format() {
        case .text: break
        case .json: LoggingSystem.bootstrap { label in JSONLogHandler(label: label) }
        }
    }
}
