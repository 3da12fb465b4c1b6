public import Foundation

/// One restart of a service process that had crashed (or exited by itself).
public struct ServiceRestart: Sendable, Equatable {
    public var projectID: Int64
    public var deploymentID: Int64
    public var restartedAt: Date
    /// How the process had ended: `exited with status 1`, `killed by signal 9`.
    public var exitSummary: String

    public init(projectID: Int64, deploymentID: Int64, restartedAt: Date, exitSummary: String) {
        self.projectID = projectID
        self.deploymentID = deploymentID
        self.restartedAt = restartedAt
        self.exitSummary = exitSummary
    }
}

/// The record of service restarts, shown on the project.
public protocol ServiceRestartRepository: Sendable {
    func record(_ restart: ServiceRestart) async throws
    /// The project's most recent restarts, newest first.
    func recentRestarts(projectID: Int64, limit: Int) async throws -> [ServiceRestart]
    /// How many times each deployment of the project was restarted (deployments never restarted are absent).
    func restartCounts(projectID: Int64) async throws -> [Int64: Int]
}
