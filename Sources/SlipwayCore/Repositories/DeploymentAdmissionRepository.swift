public import Foundation

/// Creating deployments, all or nothing, in one store transaction.
public protocol DeploymentAdmissionRepository: Sendable {
    /// In one transaction, serialized with every other admission of the workspace: throws `QueueFull` when the
    /// workspace's waiting deployments plus the queued ones among `admissions` would pass `queueCap`; otherwise
    /// inserts each (in order, each with the project's next sequence number), copies the variables of those that
    /// copy them, applies each pin change, and skips the queued pushes each supersedes. Returns the deployments as
    /// created, in order.
    func admit(_ admissions: [Admission], workspaceID: Int64, queueCap: Int, at time: Date) async throws -> [Deployment]
}
