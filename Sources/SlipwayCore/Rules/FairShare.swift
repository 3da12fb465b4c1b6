/// Why a queued deployment has not started yet, as the queue shows it.
public enum WaitingReason: String, Sendable, Equatable, CaseIterable {
    /// A deployment of the same project runs, or an older one of it waits: a project runs one at a time, in order.
    case projectBusy = "project busy"
    /// Its workspace already runs `--workspace-workers` deployments.
    case workspaceLimit = "workspace limit"
    /// Nothing of its own holds it back: it waits for one of the `--workers` to be free (and for its workspace's turn).
    case noFreeWorker = "no free worker"
}

/// The fair share of the workers between workspaces (docs/scheduling.md): the scheduler serves the workspaces that have
/// work round-robin, and a workspace never runs more than its limit at once. The store's claim enforces it; these are
/// the rules that explain it.
public enum FairShare {
    /// The workspace limit when `--workspace-workers` is not given: half of `workers`, at least 1.
    public static func defaultWorkspaceWorkers(workers: Int) -> Int {
        max(1, workers / 2)
    }

    /// Why each queued deployment of one workspace waits, by deployment id. `unfinished` holds the workspace's queued
    /// and running deployments (on every node), `workspaceWorkers` the most it may run at once.
    ///
    /// The project comes first, since a deployment behind another of its project would wait even with workers to
    /// spare; then the workspace's limit; otherwise it waits for a free worker.
    public static func waitingReasons(unfinished: [Deployment], workspaceWorkers: Int) -> [Int64: WaitingReason] {
        let running = unfinished.filter { $0.state == .running }
        let busyProjects = Set(running.map(\.projectID))
        let atLimit = running.count >= workspaceWorkers
        var projectsWithOlderWaiting: Set<Int64> = []
        var reasons: [Int64: WaitingReason] = [:]
        for deployment in unfinished.filter({ $0.state == .queued }).sorted(by: { $0.id < $1.id }) {
            if busyProjects.contains(deployment.projectID) || projectsWithOlderWaiting.contains(deployment.projectID) {
                reasons[deployment.id] = .projectBusy
            } else if atLimit {
                reasons[deployment.id] = .workspaceLimit
            } else {
                reasons[deployment.id] = .noFreeWorker
            }
            projectsWithOlderWaiting.insert(deployment.projectID)
        }
        return reasons
    }
}
