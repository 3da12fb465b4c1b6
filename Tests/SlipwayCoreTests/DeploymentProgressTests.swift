import Foundation
import Testing

@testable import SlipwayCore

@Suite struct DeploymentProgressTests {
    let t0 = Date(timeIntervalSince1970: 1_700_000_000)
    func at(_ seconds: Double) -> Date { t0.addingTimeInterval(seconds) }

    @Test func aNewDeploymentIsQueuedWithItsQueuedStageActive() {
        let progress = DeploymentProgress(kind: .static, queuedAt: t0)
        #expect(progress.state == .queued)
        #expect(progress.stages.map(\.name) == [.queued, .initialize, .cloneRepo, .build, .deploy])
        #expect(progress.stages.map(\.status) == [.active, .idle, .idle, .idle, .idle])
        #expect(progress.stages[0].startedOn == t0)
        #expect(progress.activeStage == .queued)
        #expect(DeploymentProgress(kind: .service, queuedAt: t0).stages.last?.name == .healthCheck)
    }

    @Test func aSuccessfulRunPassesEveryStageInOrder() throws {
        var progress = DeploymentProgress(kind: .static, queuedAt: t0)
        try progress.start(at: at(1))
        #expect(progress.state == .running)
        #expect(progress.startedAt == at(1))
        for (index, stage) in [StageName.initialize, .cloneRepo, .build, .deploy].enumerated() {
            try progress.begin(stage, at: at(Double(index) + 2))
            #expect(progress.activeStage == stage)
            try progress.complete(stage, at: at(Double(index) + 2.5))
        }
        try progress.succeed(at: at(10))
        #expect(progress.state == .success)
        #expect(progress.completedAt == at(10))
        #expect(progress.stages.allSatisfy { $0.status == .success })
        #expect(progress.latestStage.name == .deploy)
    }

    @Test func aFailureMarksTheActiveStageAndLeavesLaterStagesIdle() throws {
        var progress = DeploymentProgress(kind: .static, queuedAt: t0)
        try progress.start(at: at(1))
        try progress.begin(.initialize, at: at(2))
        try progress.complete(.initialize, at: at(3))
        try progress.begin(.cloneRepo, at: at(3))
        try progress.fail(at: at(4))
        #expect(progress.state == .failed)
        #expect(progress.stages.map(\.status) == [.success, .success, .failure, .idle, .idle])
        #expect(progress.latestStage.name == .cloneRepo)
        #expect(progress.latestStage.status == .failure)
    }

    @Test func reusingABuildSkipsCloneAndBuild() throws {
        var progress = DeploymentProgress(kind: .static, queuedAt: t0)
        try progress.start(at: at(1))
        try progress.begin(.initialize, at: at(1))
        try progress.complete(.initialize, at: at(1))
        try progress.skip(.cloneRepo, at: at(1))
        try progress.skip(.build, at: at(1))
        try progress.begin(.deploy, at: at(1))
        try progress.complete(.deploy, at: at(2))
        try progress.succeed(at: at(2))
        #expect(progress.stages.map(\.status) == [.success, .success, .skipped, .skipped, .success])
    }

    @Test func cancelEndsAQueuedOrRunningDeploymentAndMarksTheActiveStage() throws {
        var queued = DeploymentProgress(kind: .static, queuedAt: t0)
        try queued.cancel(reason: "not needed", at: at(1))
        #expect(queued.state == .canceled)
        #expect(queued.reason == "not needed")
        #expect(queued.stages[0].status == .canceled)

        var running = DeploymentProgress(kind: .static, queuedAt: t0)
        try running.start(at: at(1))
        try running.begin(.initialize, at: at(1))
        try running.complete(.initialize, at: at(1))
        try running.begin(.cloneRepo, at: at(1))
        try running.complete(.cloneRepo, at: at(1))
        try running.begin(.build, at: at(2))
        try running.cancel(reason: "killed", at: at(3))
        #expect(running.stages.map(\.status) == [.success, .success, .success, .canceled, .idle])
    }

    @Test func aCancelBetweenTwoStagesCancelsTheStageThatWasAboutToRun() throws {
        var progress = DeploymentProgress(kind: .static, queuedAt: t0)
        try progress.start(at: at(1))
        try progress.begin(.initialize, at: at(1))
        try progress.complete(.initialize, at: at(2))
        try progress.cancel(reason: "canceled", at: at(3))
        #expect(progress.stages.map(\.status) == [.success, .success, .canceled, .idle, .idle])
        #expect(progress.latestStage.name == .cloneRepo)
        #expect(progress.latestStage.status == .canceled)
    }

    @Test func skippingIsOnlyForQueuedDeployments() throws {
        var progress = DeploymentProgress(kind: .static, queuedAt: t0)
        try progress.markSkipped(reason: "superseded_queued_build", at: at(1))
        #expect(progress.state == .skipped)
        #expect(progress.stages[0].status == .skipped)
        #expect(throws: LifecycleError.invalidTransition(from: .skipped, event: "start")) { try progress.start(at: at(2)) }
    }

    @Test func transitionsThatTheLifecycleForbidsThrow() throws {
        var progress = DeploymentProgress(kind: .static, queuedAt: t0)
        #expect(throws: LifecycleError.invalidTransition(from: .queued, event: "begin build")) { try progress.begin(.build, at: t0) }
        #expect(throws: LifecycleError.invalidTransition(from: .queued, event: "succeed")) { try progress.succeed(at: t0) }
        #expect(throws: LifecycleError.invalidTransition(from: .queued, event: "fail")) { try progress.fail(at: t0) }
        try progress.start(at: t0)
        #expect(throws: LifecycleError.invalidTransition(from: .running, event: "start")) { try progress.start(at: t0) }
        #expect(throws: LifecycleError.stageNotFinished(.initialize)) { try progress.succeed(at: t0) }
        #expect(throws: LifecycleError.unknownStage(.healthCheck)) { try progress.begin(.healthCheck, at: t0) }
        #expect(throws: LifecycleError.stageNotActive(.build, .idle)) { try progress.complete(.build, at: t0) }
        try progress.begin(.initialize, at: t0)
        #expect(throws: LifecycleError.stageNotIdle(.initialize, .active)) { try progress.begin(.cloneRepo, at: t0) }
        try progress.complete(.initialize, at: t0)
        #expect(throws: LifecycleError.stageNotIdle(.initialize, .success)) { try progress.begin(.initialize, at: t0) }
        try progress.fail(at: t0)
        #expect(throws: LifecycleError.invalidTransition(from: .failed, event: "cancel")) { try progress.cancel(reason: "x", at: t0) }
    }

    @Test func nativeStatusNumbersFollowTheSeed() {
        #expect(DeploymentState.allCases.map(\.nativeStatus) == [0, 3, 1, 2, 4, 5])
    }
}
