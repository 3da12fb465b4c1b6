import Foundation

/// A project's environment variables per environment, and the snapshot each deployment runs with.
/// Implementations keep secret values encrypted at rest.
public protocol EnvironmentVariableRepository: Sendable {
    /// The project's variables in every environment that has some (values in clear, secrets included).
    func variables(projectID: Int64) async throws -> [DeploymentEnvironment: EnvironmentVariables]
    /// Replaces the variables of the environments given (an empty set clears one); the others are kept.
    func replace(projectID: Int64, with environments: [DeploymentEnvironment: EnvironmentVariables]) async throws
    /// The variables `deployment` runs with. Taken the first time it is asked for and kept from then on: a
    /// deployment that reuses a build (rollback, promote, deploy-a-build) gets the snapshot of its target
    /// (`rollbackOf`, else the deployment that made the build), any other the project's current variables of its
    /// environment.
    func snapshot(of deployment: Deployment) async throws -> EnvironmentVariables
    /// What each deployment runs with, reading only: its snapshot when taken, else what it would take if it
    /// started now. A constant number of statements, whatever the number of deployments (for listings).
    func variablesShown(for deployments: [Deployment]) async throws -> [Int64: EnvironmentVariables]
    /// Gives `deploymentID` the snapshot of `sourceID` (nothing when the source has none, or the target has one).
    func copySnapshot(from sourceID: Int64, to deploymentID: Int64) async throws
}
