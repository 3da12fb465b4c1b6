import Logging
import SlipwayCore
import SlipwayPipeline
import SlipwayRuntime
import SlipwayStore

extension StartUp {
    /// The server's start-up work, in this order: each step needs the ones before it.
    static func steps(
        store: SQLStore, secrets: SecretBox, bootstrap: Bootstrap, reaper: LeaseReaper, nodeName: String, supervisor: ServiceSupervisor,
        routes: RouteTable, restoration: ServiceRestoration, certificates: CertificateManager, logger: Logger
    ) -> StartUp {
        StartUp([
            Step(name: "opening the database and applying its migrations") { try await store.prepare() },
            // A secret key that is not the one the database's secrets were sealed with stops the start here.
            Step(name: "checking the secret key") { try await store.verifySecretKey(secrets) },
            Step(name: "first-start bootstrap") { try await bootstrap.run() },
            // Nothing stays "running" after a crash: whatever this node held before it (re)started is ended, with
            // every process it left behind killed, and so is every service process a killed server left running.
            Step(name: "ending the deployments the previous run left unfinished") {
                let interrupted = try await reaper.reap(formerOwner: nodeName)
                if interrupted > 0 {
                    logger.warning("\(interrupted) deployments that were running when the server stopped were marked failed (interrupted)")
                }
                let leftovers = await supervisor.killLeftovers()
                if leftovers > 0 { logger.warning("killed \(leftovers) service processes left running by the previous server") }
            },
            // The edge routes from the store, and every live service starts again from its build, before the
            // server accepts traffic.
            Step(name: "loading the routes and starting the live services") {
                let live = try await store.deployments.liveDeployments()
                routes.load(live)
                routes.loadCustomDomains(try await store.domains.routes())
                await restoration.restore(live)
            },
            // The custom domains' stored certificates are served from the first handshake: a restart serves them at once.
            Step(name: "loading the certificates of custom domains") { try await certificates.loadStoredCertificates() },
        ])
    }
}
