public import Foundation

/// The stages of a deployment, in the order they run (DESIGN.md §2).
public enum StageName: String, Sendable, Codable, CaseIterable {
    case queued
    case initialize
    case cloneRepo = "clone_repo"
    case build
    case deploy
    case healthCheck = "health_check"

    /// The stages a deployment of this kind goes through.
    public static func pipeline(for kind: ProjectKind) -> [StageName] {
        switch kind {
        case .static: [.queued, .initialize, .cloneRepo, .build, .deploy]
        case .service: [.queued, .initialize, .cloneRepo, .build, .deploy, .healthCheck]
        }
    }
}

/// The status of one stage.
public enum StageStatus: String, Sendable, Codable, CaseIterable {
    case idle
    case active
    case success
    case failure
    case canceled
    case skipped
}

/// One stage of a deployment with its status and timestamps.
public struct DeploymentStage: Sendable, Equatable, Codable {
    public var name: StageName
    public var status: StageStatus
    public var startedOn: Date?
    public var endedOn: Date?

    public init(name: StageName, status: StageStatus = .idle, startedOn: Date? = nil, endedOn: Date? = nil) {
        self.name = name
        self.status = status
        self.startedOn = startedOn
        self.endedOn = endedOn
    }

    enum CodingKeys: String, CodingKey {
        case name
        case status
        case startedOn = "started_on"
        case endedOn = "ended_on"
    }
}
