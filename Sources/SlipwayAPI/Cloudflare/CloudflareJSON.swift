import Foundation
import SlipwayCore

/// The JSON shapes of the Cloudflare Pages dialect (seed 003): the envelope and the deployment object
/// (docs/cloudflare.md).

/// `{success, errors, messages, result, result_info}`: every answer of the dialect.
struct CloudflareEnvelope<Result: Encodable>: Encodable {
    var success = true
    var errors: [CloudflareMessage] = []
    var messages: [CloudflareMessage] = []
    var result: Result?
    var resultInfo: CloudflareResultInfo?

    enum CodingKeys: String, CodingKey {
        case success, errors, messages, result
        case resultInfo = "result_info"
    }

    /// Encodes every key, `null` included, as Cloudflare does.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(success, forKey: .success)
        try container.encode(errors, forKey: .errors)
        try container.encode(messages, forKey: .messages)
        try container.encode(result, forKey: .result)
        try container.encode(resultInfo, forKey: .resultInfo)
    }
}

/// An empty JSON object, `{}`: the result of a delete and of an error.
struct CloudflareEmptyObject: Encodable {}

/// One entry of `errors` or `messages`: a code of at least 1000, a sentence, and the offending field.
struct CloudflareMessage: Encodable {
    var code: Int
    var message: String
    var source: Source?

    /// Where in the request the problem is: `/field`.
    struct Source: Encodable {
        var pointer: String
    }
}

/// `result_info` of a listing.
struct CloudflareResultInfo: Encodable {
    var page: Int
    var perPage: Int
    var count: Int
    var totalCount: Int
    var totalPages: Int

    enum CodingKeys: String, CodingKey {
        case page, count
        case perPage = "per_page"
        case totalCount = "total_count"
        case totalPages = "total_pages"
    }
}

/// The variables a deployment runs with, as Cloudflare shows them: `{"KEY": {"type", "value"}}`, secrets masked.
struct CloudflareEnvironmentVariable: Encodable {
    var type: String
    var value: String

    /// A variable's shape; a secret's value is always `•••`.
    init(_ variable: EnvironmentVariable) {
        type = variable.secret ? "secret_text" : "plain_text"
        value = variable.secret ? SecretMasker.mask : variable.value
    }
}

/// A deployment as Cloudflare Pages shows it.
struct CloudflareDeploymentJSON: Encodable {
    var deployment: Deployment
    var project: Project
    var urls: PublicURLs
    /// The route keys that point at the deployment, its own key included.
    var routeKeys: [String]
    /// The custom domains that serve the deployment now (`RouteTable.customDomains(pointingAt:)`).
    var customDomains: [String]
    /// The variables it runs with, secret values already masked.
    var variables: EnvironmentVariables

    enum Key: String, CodingKey {
        case id, shortID = "short_id", projectID = "project_id", projectName = "project_name", environment, url, aliases
        case createdOn = "created_on", modifiedOn = "modified_on", latestStage = "latest_stage", stages
        case deploymentTrigger = "deployment_trigger", buildConfig = "build_config", envVars = "env_vars"
        case isSkipped = "is_skipped", skipReason = "skip_reason", source, usesFunctions = "uses_functions"
    }

    /// One stage: `{name, status, started_on, ended_on}`.
    struct Stage: Encodable {
        var stage: DeploymentStage

        enum Key: String, CodingKey {
            case name, status, startedOn = "started_on", endedOn = "ended_on"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(stage.name.rawValue, forKey: .name)
            try container.encode(stage.status.rawValue, forKey: .status)
            try container.encode(stage.startedOn.map(Timestamp.format), forKey: .startedOn)
            try container.encode(stage.endedOn.map(Timestamp.format), forKey: .endedOn)
        }
    }

    /// `deployment_trigger`: `push` for git pushes, `ad_hoc` for everything started by hand.
    struct Trigger: Encodable {
        var type: String
        var metadata: Metadata

        /// What was deployed: the branch, the commit and its message. Slipway builds committed trees only.
        struct Metadata: Encodable {
            var branch: String
            var commitHash: String?
            var commitMessage: String?
            var commitDirty = false

            enum CodingKeys: String, CodingKey {
                case branch, commitHash = "commit_hash", commitMessage = "commit_message", commitDirty = "commit_dirty"
            }

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(branch, forKey: .branch)
                try container.encode(commitHash, forKey: .commitHash)
                try container.encode(commitMessage, forKey: .commitMessage)
                try container.encode(commitDirty, forKey: .commitDirty)
            }
        }
    }

    /// `build_config`: the deployment's frozen build settings, in the seed's six fields and no more. Pages has no build
    /// type: a `dockerfile` or `compose` build shows an empty `build_command`, since no command builds it
    /// (docs/cloudflare.md).
    struct BuildConfiguration: Encodable {
        var config: BuildConfig

        enum Key: String, CodingKey {
            case buildCaching = "build_caching", buildCommand = "build_command", destinationDir = "destination_dir", rootDir = "root_dir"
            case webAnalyticsTag = "web_analytics_tag", webAnalyticsToken = "web_analytics_token"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(false, forKey: .buildCaching)
            try container.encode(config.build.type == .command ? config.buildCommand : "", forKey: .buildCommand)
            try container.encode(config.outputDir, forKey: .destinationDir)
            try container.encode(config.rootDir, forKey: .rootDir)
            try container.encodeNil(forKey: .webAnalyticsTag)
            try container.encodeNil(forKey: .webAnalyticsToken)
        }
    }

    /// `source`: the project's git repository and source rules.
    struct SourceJSON: Encodable {
        var project: Project

        enum Key: String, CodingKey {
            case type, config
        }

        enum ConfigKey: String, CodingKey {
            case owner, ownerID = "owner_id", repoID = "repo_id", repoName = "repo_name", productionBranch = "production_branch"
            case prCommentsEnabled = "pr_comments_enabled", deploymentsEnabled = "deployments_enabled"
            case productionDeploymentsEnabled = "production_deployments_enabled", previewDeploymentSetting = "preview_deployment_setting"
            case previewBranchIncludes = "preview_branch_includes", previewBranchExcludes = "preview_branch_excludes"
            case pathIncludes = "path_includes", pathExcludes = "path_excludes"
        }

        /// The host kind of a repository (`github`, `gitlab`, else `git`) and its owner and name when the URL has them.
        static func repository(_ location: String) -> (type: String, owner: String?, name: String?) {
            var path = location
            var host = ""
            if let url = URL(string: location), let urlHost = url.host, url.scheme != nil {
                host = urlHost.lowercased()
                path = url.path
            } else if let at = location.firstIndex(of: "@"), let colon = location[at...].firstIndex(of: ":"), !location.hasPrefix("/") {
                host = String(location[location.index(after: at)..<colon]).lowercased()
                path = String(location[location.index(after: colon)...])
            }
            let type = host.hasSuffix("github.com") ? "github" : host.hasSuffix("gitlab.com") ? "gitlab" : "git"
            let parts = path.split(separator: "/").map(String.init)
            guard parts.count >= 2, !host.isEmpty else { return (type, nil, parts.last.map(Self.trimmed)) }
            return (type, parts[parts.count - 2], Self.trimmed(parts[parts.count - 1]))
        }

        private static func trimmed(_ name: String) -> String { name.hasSuffix(".git") ? String(name.dropLast(4)) : name }

        func encode(to encoder: any Encoder) throws {
            let repository = Self.repository(project.repository)
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(repository.type, forKey: .type)
            var config = container.nestedContainer(keyedBy: ConfigKey.self, forKey: .config)
            try config.encode(repository.owner, forKey: .owner)
            try config.encodeNil(forKey: .ownerID)
            try config.encodeNil(forKey: .repoID)
            try config.encode(repository.name, forKey: .repoName)
            try config.encode(project.productionBranch, forKey: .productionBranch)
            try config.encode(false, forKey: .prCommentsEnabled)
            try config.encode(project.source.deploymentsEnabled, forKey: .deploymentsEnabled)
            try config.encode(project.source.productionDeploymentsEnabled, forKey: .productionDeploymentsEnabled)
            try config.encode(project.source.previewDeploymentSetting.rawValue, forKey: .previewDeploymentSetting)
            try config.encode(project.source.previewBranchIncludes, forKey: .previewBranchIncludes)
            try config.encode(project.source.previewBranchExcludes, forKey: .previewBranchExcludes)
            try config.encode(project.source.pathIncludes, forKey: .pathIncludes)
            try config.encode(project.source.pathExcludes, forKey: .pathExcludes)
        }
    }

    /// The stage shown as `latest_stage`: the furthest stage that has started, else the first (`queued`).
    static func latestStage(_ stages: [DeploymentStage]) -> DeploymentStage? {
        stages.last { $0.status != .idle && $0.status != .skipped } ?? stages.first
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        let ownKey = RouteKey.deployment(shortID: deployment.shortID, project: project.name)
        try container.encode(deployment.uid.uuidString.lowercased(), forKey: .id)
        try container.encode(deployment.shortID, forKey: .shortID)
        try container.encode(project.uid.uuidString.lowercased(), forKey: .projectID)
        try container.encode(project.name, forKey: .projectName)
        try container.encode(deployment.environment.rawValue, forKey: .environment)
        try container.encode(urls.url(for: ownKey), forKey: .url)
        let aliases = routeKeys.filter { $0 != ownKey }.map { urls.url(for: $0) } + customDomains.map(urls.url(forHost:))
        try container.encode(aliases, forKey: .aliases)
        try container.encode(Timestamp.format(deployment.createdAt), forKey: .createdOn)
        try container.encode(Timestamp.format(deployment.updatedAt), forKey: .modifiedOn)
        try container.encode(Self.latestStage(deployment.stages).map(Stage.init), forKey: .latestStage)
        try container.encode(deployment.stages.map(Stage.init), forKey: .stages)
        try container.encode(
            Trigger(
                type: deployment.trigger == .auto ? "push" : "ad_hoc",
                metadata: .init(branch: deployment.gitBranch, commitHash: deployment.commitID, commitMessage: deployment.commitMessage)
            ), forKey: .deploymentTrigger)
        try container.encode(BuildConfiguration(config: deployment.config), forKey: .buildConfig)
        try container.encode(variables.mapValues(CloudflareEnvironmentVariable.init), forKey: .envVars)
        try container.encode(deployment.state == .skipped, forKey: .isSkipped)
        try container.encode(deployment.state == .skipped ? deployment.progress.reason : nil, forKey: .skipReason)
        try container.encode(SourceJSON(project: project), forKey: .source)
        try container.encode(false, forKey: .usesFunctions)
    }
}

/// `history/logs`: `{data: [{line, ts}], includes_container_logs, total}`.
struct CloudflareLogsJSON: Encodable {
    var data: [Line]
    var includesContainerLogs = false
    var total: Int

    /// One log line and when it was written.
    struct Line: Encodable {
        var line: String
        var ts: String
    }

    enum CodingKeys: String, CodingKey {
        case data, total, includesContainerLogs = "includes_container_logs"
    }
}
