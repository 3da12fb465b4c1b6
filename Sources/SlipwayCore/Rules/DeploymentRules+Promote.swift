import Foundation

extension DeploymentRules {
    /// The target of a promote must have succeeded, still have its build, and not be the active production deployment.
    /// A preview deployment may be promoted; so may an older production deployment.
    public static func checkPromote(of target: Deployment, activeProductionID: Int64?) throws(SlipwayError) {
        guard target.state == .success else {
            throw .conflict("deployment \(target.id) is \(target.state.rawValue); only successful deployments can be promoted")
        }
        guard target.buildID != nil else {
            throw .conflict("deployment \(target.id) has no build to promote")
        }
        guard target.id != activeProductionID else {
            throw .conflict("deployment \(target.id) is already the active production deployment")
        }
    }
}
