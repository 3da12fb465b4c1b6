public import Foundation

/// Where a deployment counts: the project's production, or a preview at its own URL.
public enum DeploymentEnvironment: String, Sendable, Codable, CaseIterable {
    case production
    case preview
}

/// What started a deployment.
public enum DeploymentTrigger: String, Sendable, Codable, CaseIterable {
    case manual
    case auto
    case rollback
    case rerun
    case promote
}

/// The lifecycle state of a deployment (DESIGN.md §2).
public enum DeploymentState: String, Sendable, Codable, CaseIterable {
    case queued
    case running
    case success
    case failed
    case canceled
    case skipped

    /// Whether the deployment has ended and will never change state again.
    public var isFinished: Bool {
        switch self {
        case .queued, .running: false
        case .success, .failed, .canceled, .skipped: true
        }
    }

    /// The integer `status` of the native API (the Depfloy shape).
    public var nativeStatus: Int {
        switch self {
        case .queued: 0
        case .success: 1
        case .failed: 2
        case .running: 3
        case .canceled: 4
        case .skipped: 5
        }
    }
}

/// One attempt to take a commit (or an existing build) live in one environment.
public struct Deployment: Sendable, Equatable {
    public var id: Int64
    public var uid: UUID
    public var workspaceID: Int64
    public var projectID: Int64
    public var serverID: Int64
    public var sequenceNumber: Int64
    /// The user whose token started it.
    public var initiatedBy: Int64
    public var environment: DeploymentEnvironment
    public var trigger: DeploymentTrigger
    public var gitBranch: String
    /// The commit asked for, then the full sha once the clone resolved it.
    public var commitID: String?
    public var commitMessage: String?
    public var commitAuthor: String?
    public var description: String
    /// The build it serves: set by its build stage, or from the start when it reuses a build.
    public var buildID: UUID?
    public var config: BuildConfig
    public var rerunOf: Int64?
    public var rollbackOf: Int64?
    public var progress: DeploymentProgress
    public var error: String?
    public var createdAt: Date
    public var updatedAt: Date
    /// The git delivery that started it (`X-GitHub-Delivery`, …), for `auto` deployments.
    public var sourceEventID: String?
    /// A link to the commit that the git push reported; nil when the sender gave none.
    public var commitURL: String?

    public init(
        id: Int64, uid: UUID, workspaceID: Int64, projectID: Int64, serverID: Int64, sequenceNumber: Int64,
        initiatedBy: Int64, environment: DeploymentEnvironment, trigger: DeploymentTrigger, gitBranch: String,
        commitID: String?, commitMessage: String?, commitAuthor: String?, description: String, buildID: UUID?,
        config: BuildConfig, rerunOf: Int64?, rollbackOf: Int64?, progress: DeploymentProgress, error: String?,
        createdAt: Date, updatedAt: Date, sourceEventID: String? = nil, commitURL: String? = nil
    ) {
        self.id = id
        self.uid = uid
        self.workspaceID = workspaceID
        self.projectID = projectID
        self.serverID = serverID
        self.sequenceNumber = sequenceNumber
        self.initiatedBy = initiatedBy
        self.environment = environment
        self.trigger = trigger
        self.gitBranch = gitBranch
        self.commitID = commitID
        self.commitMessage = commitMessage
        self.commitAuthor = commitAuthor
        self.description = description
        self.buildID = buildID
        self.config = config
        self.rerunOf = rerunOf
        self.rollbackOf = rollbackOf
        self.progress = progress
        self.error = error
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.sourceEventID = sourceEventID
        self.commitURL = commitURL
    }

    public var state: DeploymentState { progress.state }
    public var stages: [DeploymentStage] { progress.stages }
    public var startedAt: Date? { progress.startedAt }
    public var completedAt: Date? { progress.completedAt }

    /// The first 8 hex digits of the UUID: the deployment's own subdomain label.
    public var shortID: String { String(uid.hexDigits.prefix(8)) }

    /// Whole seconds from start to end (or to `now` while running); 0 before it starts.
    public func duration(now: Date = Date()) -> Int {
        guard let startedAt else { return 0 }
        return max(0, Int((completedAt ?? now).timeIntervalSince(startedAt).rounded()))
    }
}

/// What a caller asks for when queuing a deployment; the store assigns ids and sequence numbers.
public struct NewDeployment: Sendable, Equatable {
    public var workspaceID: Int64
    public var projectID: Int64
    public var serverID: Int64
    public var initiatedBy: Int64
    public var environment: DeploymentEnvironment
    public var trigger: DeploymentTrigger
    public var gitBranch: String
    public var commitID: String?
    public var commitMessage: String?
    public var commitAuthor: String?
    public var description: String
    public var buildID: UUID?
    public var config: BuildConfig
    public var rerunOf: Int64?
    public var rollbackOf: Int64?
    public var sourceEventID: String?
    public var commitURL: String?

    public init(
        workspaceID: Int64, projectID: Int64, serverID: Int64, initiatedBy: Int64, environment: DeploymentEnvironment,
        trigger: DeploymentTrigger, gitBranch: String, commitID: String?, commitMessage: String? = nil,
        commitAuthor: String? = nil, description: String, buildID: UUID? = nil, config: BuildConfig,
        rerunOf: Int64? = nil, rollbackOf: Int64? = nil, sourceEventID: String? = nil, commitURL: String? = nil
    ) {
        self.workspaceID = workspaceID
        self.projectID = projectID
        self.serverID = serverID
        self.initiatedBy = initiatedBy
        self.environment = environment
        self.trigger = trigger
        self.gitBranch = gitBranch
        self.commitID = commitID
        self.commitMessage = commitMessage
        self.commitAuthor = commitAuthor
        self.description = description
        self.buildID = buildID
        self.config = config
        self.rerunOf = rerunOf
        self.rollbackOf = rollbackOf
        self.sourceEventID = sourceEventID
        self.commitURL = commitURL
    }
}

/// The immutable result of building one commit: a directory in the artifact store.
public struct Build: Sendable, Equatable {
    public var id: UUID
    public var workspaceID: Int64
    public var projectID: Int64
    public var commitID: String?
    public var createdAt: Date

    public init(id: UUID, workspaceID: Int64, projectID: Int64, commitID: String?, createdAt: Date) {
        self.id = id
        self.workspaceID = workspaceID
        self.projectID = projectID
        self.commitID = commitID
        self.createdAt = createdAt
    }
}
