import Logging
import ServiceLifecycle
import SlipwayCore

/// The start-up work of the server, as named steps run in order by a service of the group, once the services it
/// needs run: the store (the database's connections) and the service supervisor (where restored processes are
/// supervised) come before it in the group. What must not run before it is done waits for `waitUntilFinished()`:
/// the lease reaper and the scheduler (`AfterStartUp`) and the edge (`beforeServerStarts`, so that no request
/// arrives before the routes are loaded and the live services answer).
///
/// A step that throws ends the start: the group is cancelled and its run throws a `StartUpStepFailure` naming the step.
final class StartUp: Service {
    /// One piece of start-up work, named for the error that says which one failed.
    struct Step: Sendable {
        var name: String
        var work: @Sendable () async throws -> Void
    }

    let steps: [Step]
    private let finished = OneTimeEvent()

    init(_ steps: [Step]) {
        self.steps = steps
    }

    /// Runs the steps in order, then stays until the server shuts down (a service that returns would end the group).
    func run() async throws {
        for step in steps {
            do {
                try await step.work()
            } catch {
                throw StartUpStepFailure(step: step.name, underlying: error)
            }
        }
        finished.signal()
        try? await gracefulShutdown()
    }

    /// Returns once every step is done; throws `CancellationError` when the waiting task is cancelled first (as it is
    /// when a step fails: the group is cancelled).
    func waitUntilFinished() async throws {
        guard await finished.wait() else { throw CancellationError() }
    }
}

/// Runs `service` once the start-up work is done: a service of the group that depends on it.
struct AfterStartUp<Wrapped: Service>: Service {
    let startUp: StartUp
    let service: Wrapped

    func run() async throws {
        // Cancelled while waiting (a step failed, or the group stops): it never ran, there is nothing to stop.
        do {
            try await startUp.waitUntilFinished()
        } catch {
            return
        }
        try await service.run()
    }
}

/// A start-up step failed: the server does not start.
public struct StartUpStepFailure: Error, CustomStringConvertible {
    /// What was being done.
    public var step: String
    /// Why it failed.
    public var underlying: any Error

    public var description: String { "Slipway could not start: \(step): \(underlying)" }
}
