import Foundation
import Testing

@testable import SlipwayCore

@Suite struct FairShareTests {
    let config = BuildConfig(kind: .static, rootDir: "", buildCommand: "", outputDir: ".")

    /// A queued or running deployment of `project`.
    func deployment(_ id: Int64, project: Int64, _ state: DeploymentState) throws -> Deployment {
        let now = Date(timeIntervalSince1970: Double(id))
        var progress = DeploymentProgress(kind: .static, queuedAt: now)
        if state == .running { try progress.start(at: now) }
        return Deployment(
            id: id, uid: UUID(), workspaceID: 1, projectID: project, serverID: 1, sequenceNumber: id, initiatedBy: 1, environment: .production,
            trigger: .manual, gitBranch: "main", commitID: nil, commitMessage: nil, commitAuthor: nil, description: "", buildID: nil,
            config: config, rerunOf: nil, rollbackOf: nil, progress: progress, error: nil, createdAt: now, updatedAt: now
        )
    }

    @Test("The default workspace limit is half of the workers, at least 1")
    func defaultLimit() {
        #expect([1, 2, 3, 4, 5, 8].map { FairShare.defaultWorkspaceWorkers(workers: $0) } == [1, 1, 1, 2, 2, 4])
    }

    @Test("A deployment behind its project waits for the project, even when the workspace is at its limit")
    func projectBusyComesFirst() throws {
        let unfinished = [
            try deployment(1, project: 10, .running),
            try deployment(2, project: 10, .queued),
            try deployment(3, project: 20, .queued),
            try deployment(4, project: 20, .queued),
        ]
        // Limit 1, reached: 2 waits for its running project, 3 for the limit, 4 behind 3 of its project.
        #expect(
            FairShare.waitingReasons(unfinished: unfinished, workspaceWorkers: 1)
                == [2: .projectBusy, 3: .workspaceLimit, 4: .projectBusy]
        )
        // Limit 2, not reached: 3 only waits for a free worker.
        #expect(
            FairShare.waitingReasons(unfinished: unfinished, workspaceWorkers: 2)
                == [2: .projectBusy, 3: .noFreeWorker, 4: .projectBusy]
        )
    }

    @Test("The order of the list does not matter, only ids; running ones get no reason")
    func orderByID() throws {
        let unfinished = [
            try deployment(7, project: 30, .queued),
            try deployment(5, project: 30, .queued),
            try deployment(6, project: 40, .running),
            try deployment(8, project: 40, .queued),
        ]
        #expect(
            FairShare.waitingReasons(unfinished: unfinished, workspaceWorkers: 1)
                == [5: .workspaceLimit, 7: .projectBusy, 8: .projectBusy]
        )
        #expect(FairShare.waitingReasons(unfinished: [], workspaceWorkers: 1).isEmpty)
        #expect(WaitingReason.allCases.map(\.rawValue) == ["project busy", "workspace limit", "no free worker"])
    }
}
