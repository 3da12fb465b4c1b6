public import Foundation

/// What git integration stores beside projects and deployments: webhook deliveries seen, deployments recorded
/// `skipped` from the start, the production pin. Implemented by the store.
public protocol GitSourceRepository: Sendable {
    /// A project by its UUID, in any workspace: the webhook URL names it, and its signature authenticates.
    func project(uid: UUID) async throws -> Project?
    /// Records a delivery id of a project; false when the project has seen it before (a redelivery).
    func recordDelivery(projectID: Int64, deliveryID: String, at time: Date) async throws -> Bool
    /// Forgets a delivery whose deployment could not be created, so that a redelivery is tried again.
    func forgetDelivery(projectID: Int64, deliveryID: String) async throws
    /// The newest deployment of a project that a delivery created, if any.
    func deployment(projectID: Int64, sourceEventID: String) async throws -> Deployment?
    /// The user that deployments started by a webhook are initiated by: the workspace's first user (its owner).
    func webhookUserID(workspaceID: Int64) async throws -> Int64?
}
