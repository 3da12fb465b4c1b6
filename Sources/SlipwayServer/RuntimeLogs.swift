import SlipwayCore
import SlipwayPipeline
import SlipwayRuntime

/// Opens a deployment's log for what its live service process prints (lines marked runtime, secrets masked,
/// followers woken), with the same cap as a deployment's log.
struct RuntimeLogs: Sendable {
    let layout: DataLayout
    let cap: Int
    let activity: DeploymentActivity

    func open(_ launch: ServiceLaunch) -> RuntimeLog? {
        let uid = launch.deploymentUID
        guard
            let writer = try? DeploymentLogWriter(
                path: layout.logFile(uid), cap: cap, capNote: "the service's further output is not kept",
                onAppend: { [activity] in activity.notify(uid) }
            )
        else { return nil }
        writer.maskSecrets(SecretMasker(variables: launch.variables))
        return RuntimeLog(append: writer.append, close: writer.close)
    }
}
