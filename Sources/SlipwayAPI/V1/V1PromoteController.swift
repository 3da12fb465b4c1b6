import Hummingbird
import SlipwayCore

/// `POST /api/v1/deployments/{id}/promote`: a successful deployment becomes production without a rebuild.
struct V1PromoteController {
    let deployments: DeploymentService

    /// Adds the route to the `/api/v1` group.
    func addRoutes(to group: RouterGroup<SlipwayRequestContext>) {
        group.post("deployments/:deployment/promote", use: promote)
    }

    /// Queues the promote; 409 when the target did not succeed, has no build, or is already production.
    @Sendable func promote(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.deploy)
        let text = context.parameters.get("deployment") ?? ""
        guard let id = Int64(text) else { throw SlipwayError.notFound("deployment '\(text)' not found") }
        let promote = try await deployments.promote(id, by: identity)
        return try JSONBody.response(V1ActionResult(message: "Promote queued.", deploymentID: promote.id))
    }
}
