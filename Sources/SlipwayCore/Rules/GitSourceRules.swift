import Foundation

/// The source rules of DESIGN.md §10 as pure functions: what a git push deploys, and whether a deployment takes
/// production while production is pinned.
public enum GitSourceRules {
    /// The markers in a head commit's message that skip its deployment.
    public static let skipMarkers = ["[skip ci]", "[ci skip]"]

    /// Whether a push creates anything: tags, other refs and deletions do not.
    public static func ignoredReason(_ push: GitPush) -> IgnoredPush? {
        guard push.branch != nil else { return .notABranch(push.ref) }
        if push.isDeletion || push.commitID == nil { return .deletion(push.ref) }
        return nil
    }

    /// The environment of a push of `branch` and, in this order, why it is skipped: deployments off, production
    /// deployments off, branch rules, the commit message, then the path rules.
    public static func decide(branch: String, commitMessage: String?, changedPaths: [String]?, project: Project) -> PushDecision {
        let source = project.source
        let environment = DeploymentRules.defaultEnvironment(branch: branch, of: project)
        func skip(_ reason: SkipReason) -> PushDecision { PushDecision(environment: environment, skipReason: reason) }
        if !source.deploymentsEnabled { return skip(.deploymentsDisabled) }
        if environment == .production {
            if !source.productionDeploymentsEnabled { return skip(.productionDeploymentsDisabled) }
        } else if !previewAllowed(branch: branch, source: source) {
            return skip(.branchConfig)
        }
        if let message = commitMessage, hasSkipMarker(message) { return skip(.commitMessage) }
        if let paths = changedPaths, !pathsDeploy(paths, source: source) { return skip(.pathConfig) }
        return PushDecision(environment: environment)
    }

    /// Whether a branch that is not the production branch gets a preview.
    public static func previewAllowed(branch: String, source: SourceConfig) -> Bool {
        switch source.previewDeploymentSetting {
        case .all: true
        case .none: false
        case .custom:
            (source.previewBranchIncludes.isEmpty || GlobPattern.anyBranch(source.previewBranchIncludes, matches: branch))
                && !GlobPattern.anyBranch(source.previewBranchExcludes, matches: branch)
        }
    }

    /// Whether `[skip ci]` or `[ci skip]` appears in a commit message (any case).
    public static func hasSkipMarker(_ message: String) -> Bool {
        let lowered = message.lowercased()
        return skipMarkers.contains { lowered.contains($0) }
    }

    /// Whether the changed paths deploy: some path matches `path_includes` (or it is empty) and not `path_excludes`.
    /// An empty list (an empty commit) says nothing about paths, so it deploys.
    public static func pathsDeploy(_ paths: [String], source: SourceConfig) -> Bool {
        if paths.isEmpty || (source.pathIncludes.isEmpty && source.pathExcludes.isEmpty) { return true }
        return paths.contains { path in
            (source.pathIncludes.isEmpty || GlobPattern.anyPath(source.pathIncludes, matches: path))
                && !GlobPattern.anyPath(source.pathExcludes, matches: path)
        }
    }

    /// Whether a deployment that has just succeeded becomes the project's production deployment: it must be a
    /// production deployment, and while production is pinned (after a rollback) only a rollback or a promote moves it.
    public static func takesProduction(_ deployment: Deployment, project: Project) -> Bool {
        guard deployment.environment == .production else { return false }
        return !project.productionPinned || deployment.trigger == .rollback || deployment.trigger == .promote
    }
}
