import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SlipwayAPI
import SlipwayCore

/// The deployment page's log download and its rollback candidates (docs/dashboard.md "The log viewer").
extension DashboardController {
    /// How many rollback candidates the page of the active production deployment offers.
    static let rollbackCandidatesShown = 5
    /// Lines read (and written) at a time by the download.
    static let downloadLinesPerRead = 2_000

    /// `GET /deployments/{id}/log`: the whole log as `text/plain`, one line of text per line, as an attachment named
    /// after the project and the deployment. Streamed a chunk at a time: the server never holds the log, and a slow
    /// client slows the reading. A session of any role in the workspace may download it (it may read the page).
    @Sendable func downloadLog(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let visitor = try await sessions.require(request, context: context)
        let identity = try visitor.requireIdentity()
        let (deployment, project) = try await deployment(context, identity)
        let logs = dependencies.logs
        let uid = deployment.uid
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        headers[.contentDisposition] = "attachment; filename=\"\(project.name)-\(deployment.sequenceNumber).log\""
        headers[.cacheControl] = "no-store"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                var offset: Int64 = 0
                while true {
                    let chunk = try logs.read(deploymentUID: uid, from: offset, limit: Self.downloadLinesPerRead)
                    guard !chunk.lines.isEmpty else { break }
                    var buffer = ByteBuffer()
                    for (_, line) in chunk.lines {
                        buffer.writeString(line.text)
                        buffer.writeInteger(UInt8(ascii: "\n"))
                    }
                    try await writer.write(buffer)
                    offset = chunk.nextOffset
                }
                try await writer.finish(nil)
            })
    }

    /// On the page of a project's active production deployment, the earlier ones it may roll back to (newest first,
    /// at most `rollbackCandidatesShown`), for a visitor who may deploy.
    func rollbackCandidates(of deployment: Deployment, project: Project, visitor: DashboardVisitor, identity: Identity) async throws
        -> [[String: Any]]
    {
        guard visitor.may(.deploy), deployment.id == project.productionDeploymentID else { return [] }
        let filter = QueryFilter.all([
            .compare(QueryAttributes.projectID, .equal(.integer(project.id))),
            .compare(QueryAttributes.environment, .equal(.text(DeploymentEnvironment.production.rawValue))),
            .compare(QueryAttributes.state, .equal(.text(DeploymentState.success.rawValue))),
        ])
        let page = try await dependencies.queries.page(DeploymentQuery(filter: filter, limit: 25), workspaceID: identity.workspace.id)
        let now = now()
        return DeploymentRules.rollbackCandidates(among: page.items, activeProductionID: project.productionDeploymentID)
            .prefix(Self.rollbackCandidatesShown)
            .map { candidate in
                var row = DashboardViews.deployment(candidate, project: project, urls: dependencies.urls, now: now)
                row["csrf"] = visitor.csrfToken
                row["confirm"] = "Roll production back to deployment #\(candidate.sequenceNumber)?"
                return row
            }
    }
}
