public import Foundation

/// What a notification is about. The raw values are the names destinations subscribe to and receivers see in
/// `X-Slipway-Event`.
public enum NotificationEventKind: String, Sendable, Codable, CaseIterable, Comparable {
    case deploymentQueued = "deployment.queued"
    case deploymentStarted = "deployment.started"
    case deploymentSucceeded = "deployment.succeeded"
    case deploymentFailed = "deployment.failed"
    case deploymentCanceled = "deployment.canceled"
    /// A rollback was asked for: a deployment that puts an earlier build live again was queued.
    case deploymentRollback = "deployment.rollback"
    /// A service process ended by itself; the supervisor restarts it (`service.restarted` follows).
    case serviceCrashed = "service.crashed"
    case serviceRestarted = "service.restarted"
    /// Obtaining or renewing a custom domain's certificate failed.
    case certificateFailing = "certificate.failing"
    /// Sent by `POST /api/v1/notifications/{id}/test` only; nobody subscribes to it.
    case test = "notification.test"

    /// The events a destination may subscribe to (every kind but `test`).
    public static let subscribable: [NotificationEventKind] = allCases.filter { $0 != .test }

    /// The event a deployment in `state` announces, if any (skipped deployments announce nothing).
    public static func deploymentEvent(for state: DeploymentState) -> NotificationEventKind? {
        switch state {
        case .queued: .deploymentQueued
        case .running: .deploymentStarted
        case .success: .deploymentSucceeded
        case .failed: .deploymentFailed
        case .canceled: .deploymentCanceled
        case .skipped: nil
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Where notifications go: a signed generic webhook, or a Slack- or Discord-compatible incoming webhook.
public enum NotificationDestinationKind: String, Sendable, Codable, CaseIterable {
    case webhook
    case slack
    case discord
    /// A project's commit statuses on GitHub (`POST /repos/{owner}/{repo}/statuses/{sha}`).
    case github
    /// A project's commit statuses on GitLab (`POST /projects/:id/statuses/:sha`).
    case gitlab
    /// A project's commit statuses on Gitea or Forgejo (`POST /repos/{owner}/{repo}/statuses/{sha}`).
    case gitea

    /// The kinds a workspace's notification destinations may have (the rest are commit statuses of a project).
    public static let notificationKinds: [NotificationDestinationKind] = [.webhook, .slack, .discord]

    /// Whether this kind posts commit statuses to a forge.
    public var isForge: Bool { !Self.notificationKinds.contains(self) }
}

/// One thing that happened, as it is stored with each of its deliveries and rendered into every payload.
public struct NotificationEvent: Sendable, Codable, Equatable {
    public var kind: NotificationEventKind
    /// Names this occurrence: one delivery per destination and key, ever (`deployment.started/42`).
    public var key: String
    public var occurredAt: Date
    public var workspaceID: Int64
    public var projectID: Int64?
    public var deployment: NotificationDeploymentSnapshot?
    /// What the event adds in words: how a service process ended, the hostname and error of a certificate.
    public var detail: String?

    public init(
        kind: NotificationEventKind, key: String, occurredAt: Date, workspaceID: Int64, projectID: Int64?,
        deployment: NotificationDeploymentSnapshot? = nil, detail: String? = nil
    ) {
        self.kind = kind
        self.key = key
        self.occurredAt = occurredAt
        self.workspaceID = workspaceID
        self.projectID = projectID
        self.deployment = deployment
        self.detail = detail
    }

    /// The event `kind` of `deployment` as it is now.
    public static func deployment(_ kind: NotificationEventKind, _ deployment: Deployment, at time: Date) -> NotificationEvent {
        NotificationEvent(
            kind: kind, key: "\(kind.rawValue)/\(deployment.id)", occurredAt: time, workspaceID: deployment.workspaceID,
            projectID: deployment.projectID, deployment: NotificationDeploymentSnapshot(deployment))
    }
}

/// The deployment an event is about, as it was when the event happened.
public struct NotificationDeploymentSnapshot: Sendable, Codable, Equatable {
    public var id: Int64
    public var uid: UUID
    public var shortID: String
    public var state: DeploymentState
    public var environment: DeploymentEnvironment
    public var trigger: DeploymentTrigger
    public var gitBranch: String
    public var commitID: String?
    public var reason: String?
    public var error: String?

    public init(_ deployment: Deployment) {
        id = deployment.id
        uid = deployment.uid
        shortID = deployment.shortID
        state = deployment.state
        environment = deployment.environment
        trigger = deployment.trigger
        gitBranch = deployment.gitBranch
        commitID = deployment.commitID
        reason = deployment.progress.reason
        error = deployment.error
    }
}

/// A destination as stored, its URL and secret in clear (they are sealed at rest and never shown back).
public struct NotificationDestination: Sendable, Equatable {
    public var id: Int64
    public var workspaceID: Int64
    public var kind: NotificationDestinationKind
    public var url: String
    public var events: Set<NotificationEventKind>
    /// The generic webhook's signing secret; a forge's API token.
    public var secret: String?
    public var createdAt: Date
    /// The project whose commit statuses a forge destination posts; nil for a workspace's notification destination.
    public var projectID: Int64?
    /// A forge's repository: `owner/name` (GitHub, Gitea), the project's id or path (GitLab).
    public var repository: String?

    public init(
        id: Int64, workspaceID: Int64, kind: NotificationDestinationKind, url: String, events: Set<NotificationEventKind>, secret: String?,
        createdAt: Date, projectID: Int64? = nil, repository: String? = nil
    ) {
        self.id = id
        self.workspaceID = workspaceID
        self.kind = kind
        self.url = url
        self.events = events
        self.secret = secret
        self.createdAt = createdAt
        self.projectID = projectID
        self.repository = repository
    }

    /// The URL as the API shows it: scheme and host only, since the path and query of an incoming webhook are its
    /// credential (`https://hooks.slack.com/•••`).
    public var maskedURL: String {
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host else {
            return SecretMasker.mask
        }
        let port = components.port.map { ":\($0)" } ?? ""
        return "\(scheme)://\(host)\(port)/\(SecretMasker.mask)"
    }
}

/// A destination to be stored, validated (`NotificationRules`).
public struct NewNotificationDestination: Sendable, Equatable {
    public var kind: NotificationDestinationKind
    public var url: String
    public var events: Set<NotificationEventKind>
    public var secret: String?
    public var projectID: Int64?
    public var repository: String?

    public init(
        kind: NotificationDestinationKind, url: String, events: Set<NotificationEventKind>, secret: String?, projectID: Int64? = nil,
        repository: String? = nil
    ) {
        self.kind = kind
        self.url = url
        self.events = events
        self.secret = secret
        self.projectID = projectID
        self.repository = repository
    }
}

/// Where a delivery stands.
public enum NotificationDeliveryState: String, Sendable, Codable {
    /// Waiting for its first or next attempt.
    case pending
    /// A 2xx answer.
    case delivered
    /// Every attempt failed, or the destination's address was refused.
    case failed
}

/// One event to one destination: the delivery log's row.
public struct NotificationDelivery: Sendable, Equatable {
    public var id: Int64
    public var destinationID: Int64
    public var event: NotificationEvent
    public var state: NotificationDeliveryState
    public var attempts: Int
    /// The HTTP status of the last answer.
    public var statusCode: Int?
    /// Why the last attempt failed (no answer, refused address, a non-2xx status).
    public var error: String?
    public var nextAttemptAt: Date?
    public var createdAt: Date
    public var lastAttemptAt: Date?
    public var deliveredAt: Date?

    public init(
        id: Int64, destinationID: Int64, event: NotificationEvent, state: NotificationDeliveryState, attempts: Int, statusCode: Int?,
        error: String?, nextAttemptAt: Date?, createdAt: Date, lastAttemptAt: Date?, deliveredAt: Date?
    ) {
        self.id = id
        self.destinationID = destinationID
        self.event = event
        self.state = state
        self.attempts = attempts
        self.statusCode = statusCode
        self.error = error
        self.nextAttemptAt = nextAttemptAt
        self.createdAt = createdAt
        self.lastAttemptAt = lastAttemptAt
        self.deliveredAt = deliveredAt
    }
}

/// A delivery claimed for an attempt, with its destination and the name of its project.
public struct DueNotification: Sendable, Equatable {
    public var delivery: NotificationDelivery
    public var destination: NotificationDestination
    public var projectName: String?

    public init(delivery: NotificationDelivery, destination: NotificationDestination, projectName: String?) {
        self.delivery = delivery
        self.destination = destination
        self.projectName = projectName
    }
}

/// How one attempt ended.
public enum NotificationAttemptOutcome: Sendable, Equatable {
    case delivered(statusCode: Int)
    /// Worth another attempt at `retryAt`, or final when nil.
    case failed(statusCode: Int?, error: String, retryAt: Date?)
}
