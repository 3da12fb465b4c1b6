import SlipwayCore
import Synchronization

/// One proxied request's place in `ServiceEndpoints`' in-flight count, which a drain waits on. It ends exactly once:
/// when `end()` is called (the response has been sent, or failed), or else when the last reference goes away — a
/// response whose body Hummingbird never wrote (the client left before the head) still ends its request.
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
