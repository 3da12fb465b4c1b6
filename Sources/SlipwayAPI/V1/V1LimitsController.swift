import Hummingbird
import SlipwayCore

/// `GET/PUT /api/v1/admin/limits` (docs/tenancy.md): the install-wide limits, for install administrators. The
/// answer shows each limit set (null: not set) and the default that applies where none is.
struct V1LimitsController {
    let limits: InstallLimitsService

    func addRoutes(to group: RouterGroup<SlipwayRequestContext>) {
        group.get(use: show)
        group.put(use: replace)
    }

    /// The limits in the native API's words.
    struct Body: Codable {
        var projectsPerWorkspace: Int?
        var queuedDeploymentsPerWorkspace: Int?
        var workspaceWorkers: Int?

        enum CodingKeys: String, CodingKey {
            case projectsPerWorkspace = "projects_per_workspace"
            case queuedDeploymentsPerWorkspace = "queued_deployments_per_workspace"
            case workspaceWorkers = "workspace_workers"
        }

        init(_ limits: InstallLimits) {
            projectsPerWorkspace = limits.projectsPerWorkspace
            queuedDeploymentsPerWorkspace = limits.queuedDeploymentsPerWorkspace
            workspaceWorkers = limits.workspaceWorkers
        }

        var limits: InstallLimits {
            InstallLimits(
                projectsPerWorkspace: projectsPerWorkspace, queuedDeploymentsPerWorkspace: queuedDeploymentsPerWorkspace,
                workspaceWorkers: workspaceWorkers
            )
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(projectsPerWorkspace, forKey: .projectsPerWorkspace)
            try container.encode(queuedDeploymentsPerWorkspace, forKey: .queuedDeploymentsPerWorkspace)
            try container.encode(workspaceWorkers, forKey: .workspaceWorkers)
        }
    }

    struct Answer: Encodable {
        var limits: Body
        var defaults: Body
    }

    @Sendable func show(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let current = try await limits.current(by: try context.requireCaller())
        return try JSONBody.response(Answer(limits: Body(current), defaults: Body(limits.defaults)))
    }

    /// Replaces every limit: a field left out or null is not set.
    @Sendable func replace(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        try caller.requireInstallAdministrator()
        let body = try await JSONBody.decode(Body.self, from: request)
        let stored = try await limits.set(body.limits, by: caller)
        return try JSONBody.response(Answer(limits: Body(stored), defaults: Body(limits.defaults)))
    }
}
