import SlipwayCore
import SlipwayPipeline
import SlipwayRuntime

/// Opens a deployment's log for what its live service process prints (lines marked runtime, secrets masked,
/// followers woken). Past the log's cap the output goes on in segments of half the cap, the newest two kept
/// (`DeploymentLogWriter.Overflow`): a service that runs for months still shows its latest output.
struct RuntimeLogs: Sendable {
    let layout: DataLayout
    let cap: Int
    let activity: DeploymentActivity

    func open(_ launch: ServiceLaunch) -> RuntimeLog? {
        let uid = launch.deploymentUID
        guard
            let writer = try? DeploymentLogWriter(
                path: layout.logFile(uid), cap: cap,
                overflow: .init(layout: layout, deploymentUID: uid, segmentSize: max(cap / 2, 64 << 10)),
                onAppend: { [activity] in activity.notify(uid) }
            )
        else { return nil }
        writer.maskSecrets(SecretMasker(variables: launch.variables))
        return RuntimeLog(append: writer.append, close: writer.close)
    }
}
