import Foundation
import Hummingbird
import SlipwayCore

/// `GET /api/v1/deployments`: every deployment the token can see, with the query language of DESIGN.md §9 in
/// snake_case; answers `{"data": [...], "page_info": {...}}` (docs/deploys-api.md).
struct V1DeploymentListController {
    /// Projects of the workspace.
    let projects: any ProjectRepository
    /// What the edge routes to.
    let routes: RouteTable
    /// The public URLs of projects and deployments.
    let urls: PublicURLs
    /// Listings through the query language and build lookups.
    let queries: any DeploymentQueryRepository

    /// Adds the listing route to the `/api/v1` group.
    func addRoutes(to group: RouterGroup<SlipwayRequestContext>) {
        group.get("deployments", use: list)
    }

    /// The page shape: the native deployments and Relay-style page information.
    struct ListPage: Encodable {
        var data: [V1Deployment]
        var pageInfo: V1PageInfo

        enum CodingKeys: String, CodingKey {
            case data
            case pageInfo = "page_info"
        }
    }

    /// Lists one keyset page.
    @Sendable func list(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.read)
        let parser = DeploymentQueryParser(catalog: .native)
        let query = try parser.parse(request.listingParameters(for: parser))
        let page = try await queries.page(query, workspaceID: identity.workspace.id)
        let pageProjects = try await projects.projects(ids: Set(page.items.map(\.projectID)), workspaceID: identity.workspace.id)
        let data = page.items.compactMap { deployment in
            pageProjects[deployment.projectID].map {
                V1Deployment(deployment: deployment, project: $0, urls: urls, routes: routes)
            }
        }
        return try JSONBody.response(
            ListPage(
                data: data,
                pageInfo: V1PageInfo(
                    total: page.total, hasNextPage: page.hasNextPage, hasPreviousPage: page.hasPreviousPage, startCursor: page.startCursor,
                    endCursor: page.endCursor)
            ))
    }
}

/// `page_info` of a native listing: the filtered set's total and the keyset cursors of the page's ends.
struct V1PageInfo: Encodable {
    var total: Int
    var hasNextPage: Bool
    var hasPreviousPage: Bool
    var startCursor: String?
    var endCursor: String?

    enum CodingKeys: String, CodingKey {
        case total, hasNextPage = "has_next_page", hasPreviousPage = "has_previous_page", startCursor = "start_cursor"
        case endCursor = "end_cursor"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(total, forKey: .total)
        try container.encode(hasNextPage, forKey: .hasNextPage)
        try container.encode(hasPreviousPage, forKey: .hasPreviousPage)
        try container.encode(startCursor, forKey: .startCursor)
        try container.encode(endCursor, forKey: .endCursor)
    }
}
