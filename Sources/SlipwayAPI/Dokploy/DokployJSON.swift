import Foundation
import SlipwayCore

/// The JSON shapes of the Dokploy dialect (seed 002): camelCase, UUID ids, Dokploy's status words (docs/dokploy.md).

/// Which of Dokploy's two services with deployments a project is: a `compose` by its build type, else an `application`.
enum DokployServiceType: String {
    case application
    case compose

    /// The kind of `project`: its build type decides (docs/dokploy.md "Ids").
    init(of project: Project) {
        self = project.build.type == .compose ? .compose : .application
    }
}

/// A deployment as Dokploy shows it.
struct DokployDeploymentJSON: Encodable {
    var deployment: Deployment
    /// The project's UUID: Dokploy's `composeId` for a compose, else its `applicationId`; nil when the project is gone.
    var projectUID: UUID?
    var serviceType: DokployServiceType

    /// The deployment of `project` (nil: deleted meanwhile, both ids are null).
    init(deployment: Deployment, project: Project?) {
        self.deployment = deployment
        self.projectUID = project?.uid
        self.serviceType = project.map(DokployServiceType.init(of:)) ?? .application
    }

    enum Key: String, CodingKey {
        case deploymentId, title, description, status, logPath, applicationId, composeId, serverId, isPreviewDeployment
        case createdAt, startedAt, finishedAt, errorMessage
    }

    /// Dokploy's status word for a state (DESIGN.md §2): skipped shows as cancelled.
    static func status(_ state: DeploymentState) -> String {
        switch state {
        case .queued: "idle"
        case .running: "running"
        case .success: "done"
        case .failed: "error"
        case .canceled, .skipped: "cancelled"
        }
    }

    /// The title: the deployment's description, else the first line of its commit message, else what started it.
    static func title(_ deployment: Deployment) -> String {
        if !deployment.description.isEmpty { return deployment.description }
        if let message = deployment.commitMessage?.split(separator: "\n").first, !message.isEmpty { return String(message) }
        return "\(deployment.trigger.rawValue.capitalized) deployment of \(deployment.gitBranch)"
    }

    /// The description: the commit and branch it deploys, and its environment.
    static func description(_ deployment: Deployment) -> String {
        "Commit: \(deployment.commitID ?? "(branch head)") · Branch: \(deployment.gitBranch) · Environment: \(deployment.environment.rawValue)"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        let serviceID = projectUID?.uuidString.lowercased()
        try container.encode(deployment.uid.uuidString.lowercased(), forKey: .deploymentId)
        try container.encode(Self.title(deployment), forKey: .title)
        try container.encode(Self.description(deployment), forKey: .description)
        try container.encode(Self.status(deployment.state), forKey: .status)
        try container.encode(DokployLogSocketController.logPath(deploymentID: deployment.id), forKey: .logPath)
        try container.encode(serviceType == .application ? serviceID : nil, forKey: .applicationId)
        try container.encode(serviceType == .compose ? serviceID : nil, forKey: .composeId)
        try container.encode(String(deployment.serverID), forKey: .serverId)
        try container.encode(deployment.environment == .preview, forKey: .isPreviewDeployment)
        try container.encode(Timestamp.format(deployment.createdAt), forKey: .createdAt)
        try container.encode(deployment.startedAt.map(Timestamp.format), forKey: .startedAt)
        try container.encode(deployment.completedAt.map(Timestamp.format), forKey: .finishedAt)
        try container.encode(DeployJSON.error(deployment), forKey: .errorMessage)
    }
}

/// One job of `deployment.queueList`, in the shape of Dokploy's BullMQ jobs.
struct DokployQueueJobJSON: Encodable {
    var entry: QueueEntry
    /// The deployment's project (nil: deleted meanwhile).
    var project: Project?

    enum Key: String, CodingKey {
        case id, name, data, state, timestamp, processedOn, finishedOn, failedReason
    }

    /// The job's `data`: which service it deploys and how.
    struct JobData: Encodable {
        var deploymentId: String
        var applicationId: String?
        var composeId: String?
        var applicationType: String
        var type: String
        var titleLog: String
        var descriptionLog: String
        var server: Bool
        var serverId: String
        var projectName: String
        var position: Int?
    }

    /// The BullMQ state of a deployment: a queue holds unfinished ones, so it is waiting or active;
    /// the finished states are given for completeness of the mapping.
    static func state(_ state: DeploymentState) -> String {
        switch state {
        case .queued: "waiting"
        case .running: "active"
        case .success: "completed"
        case .failed, .canceled, .skipped: "failed"
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        let deployment = entry.deployment
        let serviceType = project.map(DokployServiceType.init(of:)) ?? .application
        let serviceID = project?.uid.uuidString.lowercased()
        try container.encode(deployment.uid.uuidString.lowercased(), forKey: .id)
        try container.encode("deployments", forKey: .name)
        try container.encode(
            JobData(
                deploymentId: deployment.uid.uuidString.lowercased(), applicationId: serviceType == .application ? serviceID : nil,
                composeId: serviceType == .compose ? serviceID : nil, applicationType: serviceType.rawValue,
                type: deployment.trigger == .rerun ? "redeploy" : "deploy",
                titleLog: DokployDeploymentJSON.title(deployment), descriptionLog: DokployDeploymentJSON.description(deployment),
                server: false, serverId: String(deployment.serverID), projectName: entry.projectName, position: entry.position
            ), forKey: .data)
        try container.encode(Self.state(deployment.state), forKey: .state)
        try container.encode(Timestamp.format(deployment.createdAt), forKey: .timestamp)
        try container.encode(deployment.startedAt.map(Timestamp.format), forKey: .processedOn)
        try container.encode(deployment.completedAt.map(Timestamp.format), forKey: .finishedOn)
        try container.encode(DeployJSON.error(deployment), forKey: .failedReason)
    }
}
