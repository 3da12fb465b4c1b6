import Logging
import ServiceLifecycle
import SlipwayEdge
import UnixSignals

/// Reloads the `--tls-cert`/`--tls-key` files on SIGHUP: the next handshakes get what they hold now; files that
/// cannot be used leave the certificate served before in place, and the log says why.
struct CertificateReloadService: Service {
    let certificates: FileCertificateSource
    let logger: Logger

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            reload()
        }
    }

    /// Reads the files again (what SIGHUP does).
    func reload() {
        do {
            try certificates.reload()
            logger.notice("TLS certificate reloaded from \(certificates.certificatePath)")
        } catch {
            logger.error("TLS certificate not reloaded, the one loaded before stays: \(error)")
        }
    }
}
