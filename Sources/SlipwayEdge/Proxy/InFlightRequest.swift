import SlipwayCore
import Synchronization

/// A tunnelled request's place in `ServiceEndpoints`' in-flight count, which a drain waits on (`UpgradeTunnel`'s two
/// relays share it). It ends exactly once: when `end()` is called (either side closed, or connecting failed), or
/// else when the last reference goes away.
final class InFlightRequest: Sendable {
    private let endpoints: ServiceEndpoints
    private let deploymentID: Int64
    private let ended = Atomic<Bool>(false)

    /// Takes over a request that `endpoints.beginRequest(to: deploymentID)` has started.
    init(endpoints: ServiceEndpoints, deploymentID: Int64) {
        self.endpoints = endpoints
        self.deploymentID = deploymentID
    }

    /// Ends the request (once; later calls do nothing).
    func end() {
        guard ended.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        endpoints.endRequest(to: deploymentID)
    }

    deinit { end() }
}
