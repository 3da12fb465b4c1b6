import Logging
import SlipwaySandbox
import Synchronization

/// The container engine of this machine, detected once per process and kind (`ContainerEngine.detect` runs the
/// engine's `version` and `info`, about 0.7 s): `slipway serve` starts one server, the tests start hundreds in one
/// process, and the machine does not change between them.
enum ContainerEngines {
    typealias Detection = Result<ContainerEngine, ContainerEngineUnavailable>

    private static let detections = Mutex<[ContainerEngine.Kind: Task<Detection, Never>]>([:])

    /// The engine `kind` names (nil: turned off), or why there is none; logs the start-up line either way
    /// ("containers: podman 4.3.1 with runc, …" or "containers unavailable: …").
    static func detect(_ kind: ContainerEngine.Kind?, logger: Logger) async -> Result<ContainerClient, ContainerEngineUnavailable> {
        guard let kind else {
            let off = ContainerEngineUnavailable("turned off (--container-engine none)")
            logger.info("\(off.description)")
            return .failure(off)
        }
        let task = detections.withLock { tasks in
            if let task = tasks[kind] { return task }
            let task = Task { await ContainerEngine.detect(kind) }
            tasks[kind] = task
            return task
        }
        switch await task.value {
        case .success(let engine):
            logger.info("containers: \(engine.summary)")
            return .success(ContainerClient(engine: engine))
        case .failure(let unavailable):
            logger.notice("\(unavailable.description)")
            return .failure(unavailable)
        }
    }
}
