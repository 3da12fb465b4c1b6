import Foundation
import Testing

@testable import SlipwayCore

@Suite struct DeploymentRulesTests {
    let config = BuildConfig(kind: .static, rootDir: "", buildCommand: "", outputDir: ".")

    func deployment(
        _ id: Int64, _ state: DeploymentState, environment: DeploymentEnvironment = .production, commit: String? = "abc1234",
        build: UUID? = UUID()
    ) throws -> Deployment {
        var progress = DeploymentProgress(kind: .static, queuedAt: Date(timeIntervalSince1970: Double(id)))
        let now = Date(timeIntervalSince1970: Double(id))
        switch state {
        case .queued: break
        case .running: try progress.start(at: now)
        case .success:
            try progress.start(at: now)
            for stage in [StageName.initialize, .cloneRepo, .build, .deploy] {
                try progress.begin(stage, at: now)
                try progress.complete(stage, at: now)
            }
            try progress.succeed(at: now)
        case .failed:
            try progress.start(at: now)
            try progress.fail(at: now)
        case .canceled: try progress.cancel(reason: "x", at: now)
        case .skipped: try progress.markSkipped(reason: "x", at: now)
        }
        return Deployment(
            id: id, uid: UUID(), workspaceID: 1, projectID: 1, serverID: 1, sequenceNumber: id, initiatedBy: 1, environment: environment,
            trigger: .manual, gitBranch: "main", commitID: commit, commitMessage: nil, commitAuthor: nil, description: "", buildID: build,
            config: config, rerunOf: nil, rollbackOf: nil, progress: progress, error: nil, createdAt: now, updatedAt: now
        )
    }

    @Test(arguments: DeploymentState.allCases)
    func onlyFailedDeploymentsCanBeRerun(state: DeploymentState) throws {
        let candidate = try deployment(1, state)
        if state == .failed {
            #expect(throws: Never.self) { try DeploymentRules.checkRerun(of: candidate) }
        } else {
            #expect(throws: SlipwayError.conflict("only failed deployments can be rerun; deployment 1 is \(state.rawValue)")) {
                try DeploymentRules.checkRerun(of: candidate)
            }
        }
    }

    @Test func aRollbackTargetMustBeASuccessfulInactiveProductionDeploymentWithACommitAndABuild() throws {
        #expect(throws: Never.self) { try DeploymentRules.checkRollback(to: try deployment(1, .success), activeProductionID: 2) }
        #expect(throws: SlipwayError.conflict("deployment 1 is already the active production deployment")) {
            try DeploymentRules.checkRollback(to: try deployment(1, .success), activeProductionID: 1)
        }
        #expect(throws: SlipwayError.conflict("deployment 1 is failed; only successful deployments can be rolled back to")) {
            try DeploymentRules.checkRollback(to: try deployment(1, .failed), activeProductionID: 2)
        }
        #expect(throws: SlipwayError.conflict("deployment 1 is a preview deployment; only production deployments can be rolled back to")) {
            try DeploymentRules.checkRollback(to: try deployment(1, .success, environment: .preview), activeProductionID: 2)
        }
        #expect(throws: SlipwayError.conflict("deployment 1 has no recorded commit id")) {
            try DeploymentRules.checkRollback(to: try deployment(1, .success, commit: nil), activeProductionID: 2)
        }
        #expect(throws: SlipwayError.conflict("deployment 1 has no build left to roll back to")) {
            try DeploymentRules.checkRollback(to: try deployment(1, .success, build: nil), activeProductionID: 2)
        }
    }

    @Test func rollbackCandidatesAreTheEligibleOnesNewestFirst() throws {
        let all = [
            try deployment(1, .success), try deployment(2, .failed), try deployment(3, .success, environment: .preview),
            try deployment(4, .success, commit: nil), try deployment(5, .success), try deployment(6, .success),
        ]
        #expect(DeploymentRules.rollbackCandidates(among: all, activeProductionID: 6).map(\.id) == [5, 1])
        #expect(DeploymentRules.rollbackCandidates(among: all, activeProductionID: nil).map(\.id) == [6, 5, 1])
    }
}
