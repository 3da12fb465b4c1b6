import SlipwayCore

/// The `source` object of a project's POST/PATCH body (DESIGN.md §10), every field optional.
struct SourceBody: Decodable {
    var deploymentsEnabled: Bool?
    var productionDeploymentsEnabled: Bool?
    var previewDeploymentSetting: String?
    var previewBranchIncludes: [String]?
    var previewBranchExcludes: [String]?
    var pathIncludes: [String]?
    var pathExcludes: [String]?

    enum CodingKeys: String, CodingKey {
        case deploymentsEnabled = "deployments_enabled"
        case productionDeploymentsEnabled = "production_deployments_enabled"
        case previewDeploymentSetting = "preview_deployment_setting"
        case previewBranchIncludes = "preview_branch_includes"
        case previewBranchExcludes = "preview_branch_excludes"
        case pathIncludes = "path_includes"
        case pathExcludes = "path_excludes"
    }

    /// The Core settings, validated by `SourceValidation`.
    var settings: SourceSettings {
        SourceSettings(
            deploymentsEnabled: deploymentsEnabled, productionDeploymentsEnabled: productionDeploymentsEnabled,
            previewDeploymentSetting: previewDeploymentSetting, previewBranchIncludes: previewBranchIncludes,
            previewBranchExcludes: previewBranchExcludes, pathIncludes: pathIncludes, pathExcludes: pathExcludes
        )
    }
}
