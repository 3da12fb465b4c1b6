public import Foundation

/// Listings of deployments through the query language (DESIGN.md §9), and the lookups the Deploys dialect needs
/// beside them: builds, deployments by UUID, projects by UUID, user names. Every call is scoped to one workspace.
public protocol DeploymentQueryRepository: Sendable {
    /// One page of the workspace's deployments that match `query`, with its page information. Throws `QueryError`
    /// for a cursor that was not issued for this order.
    func page(_ query: DeploymentQuery, workspaceID: Int64) async throws -> DeploymentPage
    /// A deployment of the workspace by its UUID.
    func deployment(uid: UUID, workspaceID: Int64) async throws -> Deployment?
    /// The id of the workspace's project with this UUID.
    func projectID(uid: UUID, workspaceID: Int64) async throws -> Int64?
    /// A build of the workspace.
    func build(id: UUID, workspaceID: Int64) async throws -> Build?
    /// The oldest deployment that refers to a build: the one that made it, unless it was deleted.
    func firstDeployment(usingBuild buildID: UUID) async throws -> Deployment?
    /// The newest build of the project that a successful deployment of `branch` serves.
    func latestSuccessfulBuild(projectID: Int64, branch: String) async throws -> Build?
    /// The UUID and name of each of the workspace's projects among `ids`, by id: what a listing shows of them.
    func projectReferences(ids: [Int64], workspaceID: Int64) async throws -> [Int64: ProjectReference]
    /// The names of the workspace's users, by id.
    func userNames(workspaceID: Int64) async throws -> [Int64: String]
}

/// What a listing shows of a deployment's project.
public struct ProjectReference: Sendable, Equatable {
    public var id: Int64
    public var uid: UUID
    public var name: String

    /// A reference to a project.
    public init(id: Int64, uid: UUID, name: String) {
        self.id = id
        self.uid = uid
        self.name = name
    }
}
