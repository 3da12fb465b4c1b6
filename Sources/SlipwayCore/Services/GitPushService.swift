import Foundation

/// Turns a git push (from a webhook or from Slipway's own git remote) into a deployment, by the project's source
/// rules: queued `auto` deployments for pushes that deploy, deployments recorded `skipped` with their reason for
/// pushes the rules filter out, nothing for tags and deletions, nothing twice for one delivery.
public struct GitPushService: Sendable {
    public let sources: any GitSourceRepository
    public let admission: DeploymentAdmission

    /// Creates the service.
    public init(sources: any GitSourceRepository, admission: DeploymentAdmission) {
        self.sources = sources
        self.admission = admission
    }

    /// What became of one push.
    public enum Outcome: Sendable, Equatable {
        /// A tag, another ref or a deletion: nothing created.
        case ignored(IgnoredPush)
        /// The delivery was seen before; the deployment it created then, if it still exists.
        case duplicate(deliveryID: String, deployment: Deployment?)
        /// A deployment: queued, or recorded `skipped` with its `skip_reason`.
        case created(Deployment)
    }

    /// Applies the source rules of `project` to `push` and records the result. `initiatedBy` is the user behind
    /// the push when it is known (a push to Slipway's remote); webhooks act as the workspace's first user.
    public func receive(_ push: GitPush, project: Project, initiatedBy: Int64? = nil) async throws -> Outcome {
        if let ignored = GitSourceRules.ignoredReason(push) { return .ignored(ignored) }
        guard let branch = push.branch else { return .ignored(.notABranch(push.ref)) }
        // The branch rule of the API (`ProjectValidation.branchProblem`), for webhooks and pushes alike: never deployed.
        if let message = ProjectValidation.branchProblem(branch) {
            throw SlipwayError.invalid(.name("ref"), "branch '\(Self.printable(branch))' \(message); it is not deployed")
        }
        if let deliveryID = push.deliveryID {
            guard try await sources.recordDelivery(projectID: project.id, deliveryID: deliveryID, at: Timestamp.now()) else {
                return .duplicate(
                    deliveryID: deliveryID, deployment: try await sources.deployment(projectID: project.id, sourceEventID: deliveryID))
            }
        }
        do {
            return .created(try await create(push, branch: branch, project: project, initiatedBy: initiatedBy))
        } catch {
            if let deliveryID = push.deliveryID { try? await sources.forgetDelivery(projectID: project.id, deliveryID: deliveryID) }
            throw error
        }
    }

    /// A branch name as an answer or a log line may show it: control characters escaped, at most 300 characters.
    static func printable(_ branch: String) -> String {
        let escaped = branch.unicodeScalars.map { $0.value < 32 || $0.value == 127 ? $0.escaped(asASCII: true) : String($0) }.joined()
        return escaped.count > 300 ? String(escaped.prefix(300)) + "…" : escaped
    }

    private func create(_ push: GitPush, branch: String, project: Project, initiatedBy: Int64?) async throws -> Deployment {
        let decision = GitSourceRules.decide(branch: branch, commitMessage: push.commitMessage, changedPaths: push.changedPaths, project: project)
        var user = initiatedBy
        if user == nil { user = try await sources.webhookUserID(workspaceID: project.workspaceID) }
        guard let user else { throw SlipwayError.notFound("workspace \(project.workspaceID) has no user to act as") }
        let new = NewDeployment(
            workspaceID: project.workspaceID, projectID: project.id, serverID: project.serverID, initiatedBy: user,
            environment: decision.environment, trigger: .auto, gitBranch: branch, commitID: push.commitID?.lowercased(),
            commitMessage: push.commitMessage, commitAuthor: push.commitAuthor,
            description: "Push to \(branch) (\(push.provider))", config: project.buildConfig, sourceEventID: push.deliveryID,
            commitURL: push.commitURL
        )
        return try await admission.admit(
            Admission(new, skipReason: decision.skipReason?.rawValue, supersedesOlderPushes: true),
            retryHint: "redeliver the push later")
    }
}
