import Foundation

/// The rules of seed 000 for rerun and rollback, as pure functions of the deployments involved.
public enum DeploymentRules {
    /// Only a failed deployment can be rerun.
    public static func checkRerun(of deployment: Deployment) throws(SlipwayError) {
        guard deployment.state == .failed else {
            throw .conflict("only failed deployments can be rerun; deployment \(deployment.id) is \(deployment.state.rawValue)")
        }
    }

    /// The target of a rollback must be a successful production deployment with a commit and a build,
    /// and must not be the active production deployment.
    public static func checkRollback(to target: Deployment, activeProductionID: Int64?) throws(SlipwayError) {
        guard target.state == .success else {
            throw .conflict("deployment \(target.id) is \(target.state.rawValue); only successful deployments can be rolled back to")
        }
        guard target.environment == .production else {
            throw .conflict("deployment \(target.id) is a preview deployment; only production deployments can be rolled back to")
        }
        guard target.commitID != nil else {
            throw .conflict("deployment \(target.id) has no recorded commit id")
        }
        guard target.id != activeProductionID else {
            throw .conflict("deployment \(target.id) is already the active production deployment")
        }
        guard target.buildID != nil else {
            throw .conflict("deployment \(target.id) has no build left to roll back to")
        }
    }

    /// Whether `deployment` may be rolled back to: the same checks as `checkRollback`.
    public static func isRollbackCandidate(_ deployment: Deployment, activeProductionID: Int64?) -> Bool {
        (try? checkRollback(to: deployment, activeProductionID: activeProductionID)) != nil
    }

    /// The project's rollback candidates, newest first.
    public static func rollbackCandidates(among deployments: [Deployment], activeProductionID: Int64?) -> [Deployment] {
        deployments
            .filter { isRollbackCandidate($0, activeProductionID: activeProductionID) }
            .sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }
    }

    /// A deployment may be deleted when it has ended and is not the active production deployment; one that
    /// an alias points at (the latest of its branch) only with `force`.
    public static func checkDelete(
        _ deployment: Deployment, activeProductionID: Int64?, aliases: [String], force: Bool
    ) throws(SlipwayError) {
        guard deployment.state.isFinished else {
            throw .conflict("deployment \(deployment.id) is \(deployment.state.rawValue); cancel it before deleting it")
        }
        guard deployment.id != activeProductionID else {
            throw .conflict("deployment \(deployment.id) is the active production deployment; deploy or roll back to another one first")
        }
        guard aliases.isEmpty || force else {
            throw .conflict(
                "deployment \(deployment.id) is aliased (\(aliases.joined(separator: ", "))); pass force=true to delete it anyway"
            )
        }
    }

    /// The environment a deployment of `branch` gets when the caller does not say.
    public static func defaultEnvironment(branch: String, of project: Project) -> DeploymentEnvironment {
        branch == project.productionBranch ? .production : .preview
    }
}
