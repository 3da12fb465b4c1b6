import Foundation
import SlipwayCore

/// The JSON shapes of the Deploys dialect (seed 001): camelCase, prefixed ids, the seed's status and trigger words.

/// A deploy as `GET /api/deploys`, `POST /api/deploys` and `GET /api/deploys/{id}` show it.
struct DeployJSON: Encodable {
    var deployment: Deployment
    var workspace: Workspace
    var project: ProjectReference?
    var createdBy: String?
    var urls: PublicURLs
    /// Set on the single deploy only.
    var includesSteps = false

    enum Key: String, CodingKey {
        case id, workspaceId, entityId, sequenceNumber, buildId, status, trigger, sourceEventId, productionUrl, previewUrl, error, metadata
        case createdBy, startedAt, completedAt, createdAt, steps
    }

    /// The seed's status word for a state (DESIGN.md §2).
    static func status(_ state: DeploymentState) -> String {
        switch state {
        case .queued: "pending"
        case .running: "running"
        case .success: "completed"
        case .failed, .canceled, .skipped: "failed"
        }
    }

    /// The seed's trigger word: rerun and promote show as manual.
    static func trigger(_ trigger: DeploymentTrigger) -> String {
        switch trigger {
        case .auto: "auto"
        case .manual, .rerun, .promote: "manual"
        case .rollback: "rollback"
        }
    }

    /// `error`: the failure, or "canceled: reason" / "skipped: reason"; nil unless the deploy failed.
    static func error(_ deployment: Deployment) -> String? {
        switch deployment.state {
        case .failed: deployment.error ?? "failed"
        case .canceled: "canceled: \(deployment.progress.reason ?? "canceled")"
        case .skipped: "skipped: \(deployment.progress.reason ?? "skipped")"
        case .queued, .running, .success: nil
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(PrefixedID.deployment.format(deployment.uid), forKey: .id)
        try container.encode(PrefixedID.workspace.format(workspace.uid), forKey: .workspaceId)
        try container.encode(project.map { PrefixedID.app.format($0.uid) }, forKey: .entityId)
        try container.encode(deployment.sequenceNumber, forKey: .sequenceNumber)
        try container.encode(deployment.buildID.map { PrefixedID.build.format($0) }, forKey: .buildId)
        try container.encode(Self.status(deployment.state), forKey: .status)
        try container.encode(Self.trigger(deployment.trigger), forKey: .trigger)
        try container.encodeNil(forKey: .sourceEventId)
        let productionURL = project.flatMap { deployment.environment == .production ? urls.url(for: RouteKey.production(project: $0.name)) : nil }
        try container.encode(productionURL, forKey: .productionUrl)
        try container.encode(project.map { urls.url(for: RouteKey.deployment(shortID: deployment.shortID, project: $0.name)) }, forKey: .previewUrl)
        try container.encode(Self.error(deployment), forKey: .error)
        try container.encode(DeployMetadata(deployment: deployment), forKey: .metadata)
        try container.encode(createdBy, forKey: .createdBy)
        try container.encode(deployment.startedAt.map(Timestamp.format), forKey: .startedAt)
        try container.encode(deployment.completedAt.map(Timestamp.format), forKey: .completedAt)
        try container.encode(Timestamp.format(deployment.createdAt), forKey: .createdAt)
        if includesSteps { try container.encode(deployment.stages.map(DeployStep.init), forKey: .steps) }
    }
}

/// `metadata`: what Slipway knows of a deploy beyond the seed's fields.
struct DeployMetadata: Encodable {
    var deployment: Deployment

    enum Key: String, CodingKey {
        case environment, gitBranch, commitId, commitMessage, commitAuthor, description, shortId, state, trigger, nativeId, reason
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(deployment.environment, forKey: .environment)
        try container.encode(deployment.gitBranch, forKey: .gitBranch)
        try container.encode(deployment.commitID, forKey: .commitId)
        try container.encode(deployment.commitMessage, forKey: .commitMessage)
        try container.encode(deployment.commitAuthor, forKey: .commitAuthor)
        try container.encode(deployment.description, forKey: .description)
        try container.encode(deployment.shortID, forKey: .shortId)
        try container.encode(deployment.state, forKey: .state)
        try container.encode(deployment.trigger, forKey: .trigger)
        try container.encode(deployment.id, forKey: .nativeId)
        try container.encode(deployment.progress.reason, forKey: .reason)
    }
}

/// One step (stage) of a deploy: `{name, status, startedAt, endedAt}`.
struct DeployStep: Encodable {
    var name: String
    var status: String
    var startedAt: String?
    var endedAt: String?

    init(_ stage: DeploymentStage) {
        name = stage.name.rawValue
        status = stage.status.rawValue
        startedAt = stage.startedOn.map(Timestamp.format)
        endedAt = stage.endedOn.map(Timestamp.format)
    }

    enum CodingKeys: String, CodingKey {
        case name, status, startedAt, endedAt
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(status, forKey: .status)
        try container.encode(startedAt, forKey: .startedAt)
        try container.encode(endedAt, forKey: .endedAt)
    }
}

/// `pageInfo` of a listing (Relay style).
struct DeployPageInfo: Encodable {
    var total: Int
    var hasNextPage: Bool
    var hasPreviousPage: Bool
    var startCursor: String?
    var endCursor: String?

    init(_ page: DeploymentPage) {
        total = page.total
        hasNextPage = page.hasNextPage
        hasPreviousPage = page.hasPreviousPage
        startCursor = page.startCursor
        endCursor = page.endCursor
    }

    enum CodingKeys: String, CodingKey {
        case total, hasNextPage, hasPreviousPage, startCursor, endCursor
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(total, forKey: .total)
        try container.encode(hasNextPage, forKey: .hasNextPage)
        try container.encode(hasPreviousPage, forKey: .hasPreviousPage)
        try container.encode(startCursor, forKey: .startCursor)
        try container.encode(endCursor, forKey: .endCursor)
    }
}

/// `GET /api/deploys`: `{"data": […], "pageInfo": {…}}`.
struct DeployListJSON: Encodable {
    var data: [DeployJSON]
    var pageInfo: DeployPageInfo
}

/// `POST /api/deploys/{id}/cancel`: `{"success": true}`.
struct DeployCancelJSON: Encodable {
    var success: Bool
}
