import Foundation

/// The one way into the queue: every deployment is created here, whatever asked for it.
///
/// The store checks the workspace's queue cap, inserts, copies or defers the variables, pins or unpins production
/// and supersedes older pushes in one transaction (so concurrent requests never pass the cap); then the scheduler
/// is woken.
public struct DeploymentAdmission: Sendable {
    /// The transaction.
    public let repository: any DeploymentAdmissionRepository
    /// Wakes the scheduler.
    public let queueSignal: WakeUpSignal
    /// The most deployments a workspace may have waiting; more are refused with `tooManyRequests`.
    public let queueCap: Int

    /// The admission over `repository`, waking `queueSignal`.
    public init(repository: any DeploymentAdmissionRepository, queueSignal: WakeUpSignal, queueCap: Int = 100) {
        self.repository = repository
        self.queueSignal = queueSignal
        self.queueCap = queueCap
    }

    /// Creates the deployments of `admissions`, all of one workspace, all or none. `retryHint` ends the message of
    /// a full queue (what the caller can do).
    public func admit(_ admissions: [Admission], retryHint: String = "try again when some have run") async throws -> [Deployment] {
        guard let workspaceID = admissions.first?.deployment.workspaceID else { return [] }
        guard admissions.allSatisfy({ $0.deployment.workspaceID == workspaceID }) else {
            throw SlipwayError.conflict("deployments of several workspaces cannot be created together")
        }
        let created: [Deployment]
        do {
            created = try await repository.admit(admissions, workspaceID: workspaceID, queueCap: queueCap, at: Timestamp.now())
        } catch let full as QueueFull {
            throw SlipwayError.tooManyRequests(
                "the deployment queue of this workspace is full (\(full.waiting) waiting, at most \(full.cap)); \(retryHint)")
        }
        if admissions.contains(where: \.isQueued) { queueSignal.signal() }
        return created
    }

    /// Creates one deployment.
    public func admit(_ admission: Admission, retryHint: String = "try again when some have run") async throws -> Deployment {
        let created = try await admit([admission], retryHint: retryHint)
        return created[0]
    }
}
