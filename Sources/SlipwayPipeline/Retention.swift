import Foundation
import Logging
public import SlipwayCore
public import SlipwaySandbox

/// Keeps the newest `keep` finished deployments of a project whole; older ones lose their build and log
/// (their records stay) unless they are the active production deployment or an alias points at them.
public struct Retention: Sendable {
    let projects: any ProjectRepository
    let control: any DeploymentControlRepository
    let routes: RouteTable
    let files: any DeploymentFileStore
    let keep: Int
    /// The container engine that holds the images of `dockerfile` builds; nil: there are none to remove.
    let images: ContainerClient?

    public init(
        projects: any ProjectRepository, control: any DeploymentControlRepository, routes: RouteTable, files: any DeploymentFileStore, keep: Int,
        images: ContainerClient? = nil
    ) {
        self.images = images
        self.projects = projects
        self.control = control
        self.routes = routes
        self.files = files
        self.keep = keep
    }

    /// Strips what is past the limit for one project; returns the ids of the deployments stripped.
    @discardableResult
    public func apply(projectID: Int64, workspaceID: Int64) async throws -> [Int64] {
        guard let project = try await projects.project(id: projectID, workspaceID: workspaceID) else { return [] }
        var stripped: [Int64] = []
        for deployment in try await control.retentionCandidates(projectID: projectID, keep: keep) {
            let ownKey = RouteKey.deployment(shortID: deployment.shortID, project: project.name)
            let aliased = routes.keys(pointingAt: deployment.id).contains { $0 != ownKey }
            if deployment.id == project.productionDeploymentID || aliased { continue }
            if let build = try await control.releaseBuild(deploymentID: deployment.id) {
                try? files.removeBuild(build)
                // The image is the build too (its cached layers stay for the project's next builds).
                if let images, deployment.config.build.type == .dockerfile {
                    try? await images.removeImage(ImageBuildSpec.imageName(project: project.uid.lowercased, buildID: build.lowercased))
                } else if let images, deployment.config.build.type == .compose {
                    // One image per service with a `build:`, each labelled with the build.
                    try? await images.removeAll(withLabel: "slipway.build=" + build.lowercased)
                }
            }
            try? files.removeLog(deploymentUID: deployment.uid)
            routes.remove([ownKey])
            stripped.append(deployment.id)
        }
        return stripped
    }
}
