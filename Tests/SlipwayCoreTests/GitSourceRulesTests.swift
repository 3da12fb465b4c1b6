import Foundation
import Testing

@testable import SlipwayCore

/// The source rules, globs and webhook payload parsing, without IO.
@Suite struct GitSourceRulesTests {
    /// A project with the given source rules and production branch `main`.
    func project(_ source: SourceConfig = SourceConfig(), pinned: Bool = false) -> Project {
        Project(
            id: 1, uid: UUID(), workspaceID: 1, name: "site", repository: "/tmp/x", productionBranch: "main", kind: .static,
            rootDir: "", buildCommand: "", outputDir: ".", serverID: 1, productionDeploymentID: nil, createdAt: Date(), updatedAt: Date(),
            source: source, webhookSecret: "whsec_0123456789abcdef", productionPinned: pinned
        )
    }

    /// A deployment of `trigger` in `environment`.
    func deployment(_ trigger: DeploymentTrigger, _ environment: DeploymentEnvironment) -> Deployment {
        Deployment(
            id: 1, uid: UUID(), workspaceID: 1, projectID: 1, serverID: 1, sequenceNumber: 1, initiatedBy: 1, environment: environment,
            trigger: trigger, gitBranch: "main", commitID: nil, commitMessage: nil, commitAuthor: nil, description: "",
            buildID: nil, config: BuildConfig(kind: .static, rootDir: "", buildCommand: "", outputDir: "."), rerunOf: nil, rollbackOf: nil,
            progress: DeploymentProgress(kind: .static, queuedAt: Date()), error: nil, createdAt: Date(), updatedAt: Date()
        )
    }

    @Test func branchGlobsLetStarCrossSlashes() {
        #expect(GlobPattern.matchesBranch("*", "feature/login"))
        #expect(GlobPattern.matchesBranch("dependabot/*", "dependabot/npm/left-pad"))
        #expect(GlobPattern.matchesBranch("release-?", "release-1"))
        #expect(!GlobPattern.matchesBranch("release-?", "release-10"))
        #expect(!GlobPattern.matchesBranch("feature/*", "main"))
        #expect(GlobPattern.matchesBranch("main", "main"))
    }

    @Test func pathGlobsKeepStarInsideOneSegment() {
        #expect(GlobPattern.matchesPath("*", "a/b/c.md"))
        #expect(GlobPattern.matchesPath("*.md", "README.md"))
        #expect(!GlobPattern.matchesPath("*.md", "docs/README.md"))
        #expect(GlobPattern.matchesPath("**/*.md", "docs/deep/README.md"))
        #expect(GlobPattern.matchesPath("**/*.md", "README.md"))
        #expect(GlobPattern.matchesPath("docs", "docs/a/b.txt"))
        #expect(GlobPattern.matchesPath("docs/", "docs/a.txt"))
        #expect(GlobPattern.matchesPath("docs/**", "docs/a/b.txt"))
        #expect(!GlobPattern.matchesPath("docs", "docsite/index.html"))
        #expect(GlobPattern.matchesPath("src/*/index.ts", "src/app/index.ts"))
        #expect(!GlobPattern.matchesPath("src/*/index.ts", "src/app/deep/index.ts"))
    }

    @Test func productionBranchDeploysToProductionAndOtherBranchesToPreview() {
        #expect(
            GitSourceRules.decide(branch: "main", commitMessage: "x", changedPaths: nil, project: project()) == PushDecision(environment: .production)
        )
        #expect(
            GitSourceRules.decide(branch: "feature-x", commitMessage: "x", changedPaths: nil, project: project())
                == PushDecision(environment: .preview))
    }

    @Test func branchRulesSkipWithTheirReasons() {
        let off = project(SourceConfig(deploymentsEnabled: false))
        #expect(GitSourceRules.decide(branch: "main", commitMessage: nil, changedPaths: nil, project: off).skipReason == .deploymentsDisabled)
        let noProduction = project(SourceConfig(productionDeploymentsEnabled: false))
        #expect(
            GitSourceRules.decide(branch: "main", commitMessage: nil, changedPaths: nil, project: noProduction).skipReason
                == .productionDeploymentsDisabled)
        #expect(GitSourceRules.decide(branch: "dev", commitMessage: nil, changedPaths: nil, project: noProduction).skipReason == nil)
        let noPreviews = project(SourceConfig(previewDeploymentSetting: .none))
        #expect(GitSourceRules.decide(branch: "dev", commitMessage: nil, changedPaths: nil, project: noPreviews).skipReason == .branchConfig)
        #expect(GitSourceRules.decide(branch: "main", commitMessage: nil, changedPaths: nil, project: noPreviews).skipReason == nil)
        let custom = project(
            SourceConfig(previewDeploymentSetting: .custom, previewBranchIncludes: ["feature/*"], previewBranchExcludes: ["feature/wip-*"]))
        #expect(GitSourceRules.decide(branch: "feature/login", commitMessage: nil, changedPaths: nil, project: custom).skipReason == nil)
        #expect(GitSourceRules.decide(branch: "feature/wip-x", commitMessage: nil, changedPaths: nil, project: custom).skipReason == .branchConfig)
        #expect(GitSourceRules.decide(branch: "fix/typo", commitMessage: nil, changedPaths: nil, project: custom).skipReason == .branchConfig)
    }

    @Test func skipMarkersInTheCommitMessageSkip() {
        for message in ["Fix typo [skip ci]", "[CI SKIP] docs", "wip\n\n[skip ci]"] {
            #expect(GitSourceRules.decide(branch: "main", commitMessage: message, changedPaths: nil, project: project()).skipReason == .commitMessage)
        }
        #expect(GitSourceRules.decide(branch: "main", commitMessage: "skip ci later", changedPaths: nil, project: project()).skipReason == nil)
    }

    @Test func pathRulesSkipWhenNoChangedPathCounts() {
        let rules = project(SourceConfig(pathIncludes: ["site/**"], pathExcludes: ["site/drafts/**"]))
        func reason(_ paths: [String]?) -> SkipReason? {
            GitSourceRules.decide(branch: "main", commitMessage: "x", changedPaths: paths, project: rules).skipReason
        }
        #expect(reason(["site/index.html"]) == nil)
        #expect(reason(["README.md"]) == .pathConfig)
        #expect(reason(["site/drafts/a.md", "README.md"]) == .pathConfig)
        #expect(reason(["site/drafts/a.md", "site/b.md"]) == nil)
        #expect(reason(nil) == nil)
        #expect(reason([]) == nil)
        let excludesOnly = project(SourceConfig(pathExcludes: ["*.md", "docs"]))
        #expect(
            GitSourceRules.decide(branch: "x", commitMessage: "", changedPaths: ["README.md", "docs/a.txt"], project: excludesOnly).skipReason
                == .pathConfig)
        #expect(
            GitSourceRules.decide(branch: "x", commitMessage: "", changedPaths: ["README.md", "index.html"], project: excludesOnly).skipReason == nil)
    }

    @Test func pinnedProductionOnlyMovesByRollbackOrPromote() {
        #expect(GitSourceRules.takesProduction(deployment(.auto, .production), project: project()))
        #expect(!GitSourceRules.takesProduction(deployment(.auto, .preview), project: project()))
        #expect(!GitSourceRules.takesProduction(deployment(.auto, .production), project: project(pinned: true)))
        #expect(!GitSourceRules.takesProduction(deployment(.manual, .production), project: project(pinned: true)))
        #expect(GitSourceRules.takesProduction(deployment(.rollback, .production), project: project(pinned: true)))
        #expect(GitSourceRules.takesProduction(deployment(.promote, .production), project: project(pinned: true)))
    }

    @Test func tagsAndDeletionsAreIgnored() {
        let tag = GitPush(provider: "github", deliveryID: nil, ref: "refs/tags/v1", commitID: "abc")
        #expect(GitSourceRules.ignoredReason(tag) == .notABranch("refs/tags/v1"))
        let deletion = GitPush(provider: "github", deliveryID: nil, ref: "refs/heads/x", isDeletion: true, commitID: nil)
        #expect(GitSourceRules.ignoredReason(deletion) == .deletion("refs/heads/x"))
        #expect(GitSourceRules.ignoredReason(GitPush(provider: "x", deliveryID: nil, ref: "refs/heads/x", commitID: "abc")) == nil)
    }

    @Test func githubPushPayloadsBecomePushes() throws {
        let body = """
            {"ref":"refs/heads/feature/x","before":"0000000000000000000000000000000000000000","after":"1111111111111111111111111111111111111111",
             "deleted":false,"commits":[{"id":"1111111111111111111111111111111111111111","message":"Add page","url":"https://github.com/o/r/commit/1111",
             "author":{"name":"Ada","email":"ada@example.com"},"added":["a.html"],"removed":[],"modified":["b.css","a.html"]}],
             "head_commit":{"id":"1111111111111111111111111111111111111111","message":"Add page","url":"https://github.com/o/r/commit/1111",
             "author":{"name":"Ada","email":"ada@example.com"},"added":["a.html"],"removed":[],"modified":["b.css"]}}
            """
        let headers = ["x-github-event": "push", "x-github-delivery": "d-1"]
        #expect(WebhookPayload.provider(headers: headers) == .github)
        let event = try WebhookPayload.parse(provider: .github, headers: headers, body: Data(body.utf8))
        guard case .push(let push) = event else {
            Issue.record("not a push: \(event)")
            return
        }
        #expect(push.branch == "feature/x")
        #expect(push.deliveryID == "d-1")
        #expect(push.commitID == "1111111111111111111111111111111111111111")
        #expect(push.commitAuthor == "Ada <ada@example.com>")
        #expect(push.commitURL == "https://github.com/o/r/commit/1111")
        #expect(push.changedPaths == ["a.html", "b.css"])
        #expect(try WebhookPayload.parse(provider: .github, headers: ["x-github-event": "ping"], body: Data("{}".utf8)) == .ping)
    }

    @Test func giteaAndGitLabAndGenericPayloadsAreRecognised() throws {
        #expect(WebhookPayload.provider(headers: ["x-gitea-event": "push", "x-github-event": "push"]) == .gitea)
        #expect(WebhookPayload.provider(headers: ["x-gitlab-event": "Push Hook"]) == .gitlab)
        #expect(WebhookPayload.provider(headers: [:]) == .generic)
        let gitlab = """
            {"object_kind":"push","ref":"refs/heads/main","after":"2222222222222222222222222222222222222222",
             "checkout_sha":"2222222222222222222222222222222222222222","total_commits_count":1,
             "commits":[{"id":"2222222222222222222222222222222222222222","message":"m","author":{"name":"B","email":"b@x"},"added":[],"modified":["x"],"removed":[]}]}
            """
        let event = try WebhookPayload.parse(provider: .gitlab, headers: ["x-gitlab-event": "Push Hook"], body: Data(gitlab.utf8))
        guard case .push(let push) = event else {
            Issue.record("not a push")
            return
        }
        #expect(push.changedPaths == ["x"])
        #expect(push.commitID == "2222222222222222222222222222222222222222")
        let deletion =
            #"{"object_kind":"push","ref":"refs/heads/old","after":"0000000000000000000000000000000000000000","checkout_sha":null,"commits":[]}"#
        guard
            case .push(let deleted) = try WebhookPayload.parse(provider: .gitlab, headers: ["x-gitlab-event": "Push Hook"], body: Data(deletion.utf8))
        else {
            Issue.record("not a push")
            return
        }
        #expect(GitSourceRules.ignoredReason(deleted) == .deletion("refs/heads/old"))
        #expect(throws: SlipwayError.invalid("commit.id", "must be the full 40-digit commit sha")) {
            try WebhookPayload.parse(provider: .generic, headers: [:], body: Data(#"{"branch":"main","commit":{"id":"abc"}}"#.utf8))
        }
        #expect(throws: SlipwayError.invalid("ref", "is required (or 'branch')")) {
            try WebhookPayload.parse(provider: .generic, headers: [:], body: Data(#"{"event":"push"}"#.utf8))
        }
    }

    @Test func sourceSettingsAreValidatedFieldByField() {
        let problems = SourceValidation.problems(
            in: ProjectSettings(
                source: SourceSettings(previewDeploymentSetting: "some", pathIncludes: ["ok", ""]), webhookSecret: "short"
            )
        )
        #expect(problems.map { $0.field.rendered(.snakeCase) } == ["source.preview_deployment_setting", "source.path_includes.1", "webhook_secret"])
        #expect(SourceValidation.generateWebhookSecret().count == 46)
        #expect(SourceValidation.webhookSecretProblem(SourceValidation.generateWebhookSecret()) == nil)
    }
}
