public import Foundation

/// The queue and the control of running deployments: claiming with a lease, canceling, superseding,
/// deleting and retention. Implemented by the store next to `DeploymentRepository`.
public protocol DeploymentControlRepository: Sendable {
    /// Takes the next deployment by the fair share (docs/scheduling.md), marks it started and gives `owner` a lease
    /// on it until `leaseUntil`: of the workspaces that run fewer than `workspaceWorkers` deployments and have one
    /// that can start, the one whose last claim is oldest (never served first); of its queued deployments, the
    /// oldest whose project has nothing running and nothing older waiting. Nil when nothing can start. Holds under
    /// concurrent claims from many workers and nodes.
    func claimNext(at time: Date, owner: String, leaseUntil: Date, workspaceWorkers: Int) async throws -> Deployment?

    /// Extends `owner`'s lease on a running deployment; false when it holds none any more (the deployment ended,
    /// or its lease expired and it was taken away).
    func renewLease(deploymentID: Int64, owner: String, until: Date) async throws -> Bool

    /// Running deployments nobody works on any more: their lease expired before `time`, or they are held by
    /// `formerOwner` (the node that is starting up, so nothing it held before is alive). Oldest first.
    func abandonedDeployments(at time: Date, formerOwner: String?) async throws -> [Deployment]

    /// Cancels a deployment only if it is still queued, atomically against a claim; returns it canceled,
    /// or nil when it was no longer queued.
    func cancelIfQueued(deploymentID: Int64, reason: String, at time: Date) async throws -> Deployment?

    /// The queued and running deployments of a workspace (every workspace when nil), oldest first.
    func unfinishedDeployments(workspaceID: Int64?) async throws -> [Deployment]

    /// How many deployments of the workspace are queued.
    func queuedCount(workspaceID: Int64) async throws -> Int

    /// Deletes a deployment record. Returns the id of its build when no other deployment uses that build any
    /// more (the build record is deleted too, the caller removes its files); nil otherwise.
    func delete(deploymentID: Int64) async throws -> UUID?

    /// The project's finished deployments that still have a build, except the newest `keep` finished ones,
    /// oldest first: what retention may strip.
    func retentionCandidates(projectID: Int64, keep: Int) async throws -> [Deployment]

    /// Detaches the build from a deployment (its record stays). Returns the build id when no deployment uses
    /// the build any more (the build record is deleted too, the caller removes its files); nil otherwise.
    func releaseBuild(deploymentID: Int64) async throws -> UUID?
}
