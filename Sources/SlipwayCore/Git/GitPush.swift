import Foundation

/// One ref update of a git push, as a webhook or Slipway's own git remote reports it, with the head commit.
public struct GitPush: Sendable, Equatable {
    /// Where it came from: `github`, `gitlab`, `gitea`, `generic` or `slipway` (a push to Slipway's own remote).
    public var provider: String
    /// The delivery id (`X-GitHub-Delivery`, …): the deployment's `source_event_id`; nil when the sender gives none.
    public var deliveryID: String?
    /// The full ref: `refs/heads/main`, `refs/tags/v1`.
    public var ref: String
    /// Whether the ref was deleted.
    public var isDeletion: Bool
    /// The full sha of the new head commit (nil for a deletion).
    public var commitID: String?
    public var commitMessage: String?
    public var commitAuthor: String?
    /// A link to the commit, when the sender gives one.
    public var commitURL: String?
    /// Every path the push changed, when known; nil means unknown, and path rules then never skip.
    public var changedPaths: [String]?

    /// Creates a push.
    public init(
        provider: String, deliveryID: String?, ref: String, isDeletion: Bool = false, commitID: String?, commitMessage: String? = nil,
        commitAuthor: String? = nil, commitURL: String? = nil, changedPaths: [String]? = nil
    ) {
        self.provider = provider
        self.deliveryID = deliveryID
        self.ref = ref
        self.isDeletion = isDeletion
        self.commitID = commitID
        self.commitMessage = commitMessage
        self.commitAuthor = commitAuthor
        self.commitURL = commitURL
        self.changedPaths = changedPaths
    }

    /// The branch a `refs/heads/…` ref names; nil for tags and other refs.
    public var branch: String? {
        let prefix = "refs/heads/"
        guard ref.hasPrefix(prefix), ref.count > prefix.count else { return nil }
        return String(ref.dropFirst(prefix.count))
    }
}

/// Why a push creates no deployment at all (answered, never recorded).
public enum IgnoredPush: Sendable, Equatable, CustomStringConvertible {
    /// A tag (or another ref that is not a branch).
    case notABranch(String)
    /// The branch was deleted.
    case deletion(String)

    /// A sentence for the webhook's answer.
    public var description: String {
        switch self {
        case .notABranch(let ref): "\(ref) is not a branch; only branch pushes deploy"
        case .deletion(let ref): "\(ref) was deleted; nothing to deploy"
        }
    }
}

/// Why a push's deployment is recorded `skipped` instead of running (the deployment's `skip_reason`).
public enum SkipReason: String, Sendable, Equatable, CaseIterable {
    /// `source.deployments_enabled` is off.
    case deploymentsDisabled = "deployments_disabled"
    /// A push to the production branch while `source.production_deployments_enabled` is off.
    case productionDeploymentsDisabled = "production_deployments_disabled"
    /// The branch gets no preview (`preview_deployment_setting` `none`, or `custom` rules leave it out).
    case branchConfig = "branch_config"
    /// `[skip ci]` or `[ci skip]` in the head commit's message.
    case commitMessage = "commit_message"
    /// No changed path counts under `path_includes`/`path_excludes`.
    case pathConfig = "path_config"
}

/// What the source rules make of one branch push.
public struct PushDecision: Sendable, Equatable {
    /// The environment the deployment is recorded in.
    public var environment: DeploymentEnvironment
    /// Set when the deployment is recorded `skipped` at once instead of queued.
    public var skipReason: SkipReason?

    /// Creates a decision.
    public init(environment: DeploymentEnvironment, skipReason: SkipReason? = nil) {
        self.environment = environment
        self.skipReason = skipReason
    }
}
