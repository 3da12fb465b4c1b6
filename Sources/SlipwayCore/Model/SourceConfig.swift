import Foundation

/// Which branches other than the production branch get preview deployments (Cloudflare's `preview_deployment_setting`).
public enum PreviewDeploymentSetting: String, Sendable, Codable, CaseIterable {
    /// Every branch.
    case all
    /// No branch: only the production branch deploys.
    case none
    /// The branches `preview_branch_includes` matches and `preview_branch_excludes` does not.
    case custom
}

/// A project's source rules (DESIGN.md §10 `source`, seed 003 `source.config`): what a git push deploys.
public struct SourceConfig: Sendable, Equatable, Codable {
    /// Whether pushes deploy at all.
    public var deploymentsEnabled: Bool
    /// Whether pushes to the production branch deploy.
    public var productionDeploymentsEnabled: Bool
    /// Which other branches deploy as previews.
    public var previewDeploymentSetting: PreviewDeploymentSetting
    /// Branch globs a preview branch must match when the setting is `custom` (empty: every branch).
    public var previewBranchIncludes: [String]
    /// Branch globs that never get previews when the setting is `custom`.
    public var previewBranchExcludes: [String]
    /// Path globs a push must touch to deploy (empty: every path).
    public var pathIncludes: [String]
    /// Path globs whose changes alone do not deploy.
    public var pathExcludes: [String]

    /// Creates source rules; the defaults deploy every push of every branch.
    public init(
        deploymentsEnabled: Bool = true, productionDeploymentsEnabled: Bool = true, previewDeploymentSetting: PreviewDeploymentSetting = .all,
        previewBranchIncludes: [String] = [], previewBranchExcludes: [String] = [], pathIncludes: [String] = [], pathExcludes: [String] = []
    ) {
        self.deploymentsEnabled = deploymentsEnabled
        self.productionDeploymentsEnabled = productionDeploymentsEnabled
        self.previewDeploymentSetting = previewDeploymentSetting
        self.previewBranchIncludes = previewBranchIncludes
        self.previewBranchExcludes = previewBranchExcludes
        self.pathIncludes = pathIncludes
        self.pathExcludes = pathExcludes
    }

    enum CodingKeys: String, CodingKey {
        case deploymentsEnabled = "deployments_enabled"
        case productionDeploymentsEnabled = "production_deployments_enabled"
        case previewDeploymentSetting = "preview_deployment_setting"
        case previewBranchIncludes = "preview_branch_includes"
        case previewBranchExcludes = "preview_branch_excludes"
        case pathIncludes = "path_includes"
        case pathExcludes = "path_excludes"
    }

    /// Reads stored rules; a key that is missing keeps its default, so rules stored by an older version still read.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = SourceConfig()
        deploymentsEnabled = try container.decodeIfPresent(Bool.self, forKey: .deploymentsEnabled) ?? defaults.deploymentsEnabled
        productionDeploymentsEnabled =
            try container.decodeIfPresent(Bool.self, forKey: .productionDeploymentsEnabled) ?? defaults.productionDeploymentsEnabled
        previewDeploymentSetting =
            try container.decodeIfPresent(PreviewDeploymentSetting.self, forKey: .previewDeploymentSetting) ?? defaults.previewDeploymentSetting
        previewBranchIncludes = try container.decodeIfPresent([String].self, forKey: .previewBranchIncludes) ?? []
        previewBranchExcludes = try container.decodeIfPresent([String].self, forKey: .previewBranchExcludes) ?? []
        pathIncludes = try container.decodeIfPresent([String].self, forKey: .pathIncludes) ?? []
        pathExcludes = try container.decodeIfPresent([String].self, forKey: .pathExcludes) ?? []
    }
}

/// The source rules a creation or an update asks for; `nil` means "not given" (PATCH keeps the stored value).
public struct SourceSettings: Sendable, Equatable {
    public var deploymentsEnabled: Bool?
    public var productionDeploymentsEnabled: Bool?
    /// Raw text, validated against `PreviewDeploymentSetting`.
    public var previewDeploymentSetting: String?
    public var previewBranchIncludes: [String]?
    public var previewBranchExcludes: [String]?
    public var pathIncludes: [String]?
    public var pathExcludes: [String]?

    /// Creates settings; every field is optional.
    public init(
        deploymentsEnabled: Bool? = nil, productionDeploymentsEnabled: Bool? = nil, previewDeploymentSetting: String? = nil,
        previewBranchIncludes: [String]? = nil, previewBranchExcludes: [String]? = nil, pathIncludes: [String]? = nil,
        pathExcludes: [String]? = nil
    ) {
        self.deploymentsEnabled = deploymentsEnabled
        self.productionDeploymentsEnabled = productionDeploymentsEnabled
        self.previewDeploymentSetting = previewDeploymentSetting
        self.previewBranchIncludes = previewBranchIncludes
        self.previewBranchExcludes = previewBranchExcludes
        self.pathIncludes = pathIncludes
        self.pathExcludes = pathExcludes
    }
}
