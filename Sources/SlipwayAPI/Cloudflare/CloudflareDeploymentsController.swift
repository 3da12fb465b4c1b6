import Foundation
import Hummingbird
import SlipwayCore

/// The Cloudflare Pages dialect (seed 003): create (JSON or multipart), list, get, delete, logs, retry, rollback,
/// and Slipway's cancel. Mounted on `/client/v4/accounts/{account_id}/pages/projects/{project_name}/deployments`
/// behind bearer authentication and `CloudflareErrorMiddleware` (docs/cloudflare.md).
struct CloudflareDeploymentsController {
    /// Projects of the workspace.
    let projects: any ProjectRepository
    /// Deployment records.
    let deployments: any DeploymentRepository
    /// Deploy, rerun, roll back, promote.
    let deploymentService: DeploymentService
    /// Cancel, kill, delete and the queue.
    let control: DeploymentControlService
    /// Deployment logs.
    let logReader: any DeploymentLogReader
    /// What the edge routes to.
    let routes: RouteTable
    /// The public URLs of projects and deployments.
    let urls: PublicURLs
    /// Listings through the query language and build lookups.
    let queries: any DeploymentQueryRepository
    /// Environment variables.
    let environment: EnvironmentService?

    /// The largest `per_page` of a listing.
    static let maximumPerPage = 100

    /// Adds the endpoints to `group` (the deployments group of one account's project).
    func addRoutes(to group: RouterGroup<SlipwayRequestContext>) {
        group.post(use: create)
        group.get(use: list)
        group.get(":deployment_id", use: show)
        group.delete(":deployment_id", use: delete)
        group.get(":deployment_id/history/logs", use: logs)
        group.post(":deployment_id/retry", use: retry)
        group.post(":deployment_id/rollback", use: rollback)
        group.post(":deployment_id/cancel", use: cancel)
    }

    /// The create body, from JSON or from `multipart/form-data` text fields (all strings there).
    struct CreateBody: Decodable {
        var branch: String?
        var commitHash: String?
        var commitMessage: String?
        var commitDirty: Bool?

        enum CodingKeys: String, CodingKey {
            case branch, commitHash = "commit_hash", commitMessage = "commit_message", commitDirty = "commit_dirty"
        }

        init(branch: String? = nil, commitHash: String? = nil, commitMessage: String? = nil, commitDirty: Bool? = nil) {
            self.branch = branch
            self.commitHash = commitHash
            self.commitMessage = commitMessage
            self.commitDirty = commitDirty
        }

        /// Reads JSON, where `commit_dirty` may be a boolean or the string "true" / "false".
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            branch = try container.decodeIfPresent(String.self, forKey: .branch)
            commitHash = try container.decodeIfPresent(String.self, forKey: .commitHash)
            commitMessage = try container.decodeIfPresent(String.self, forKey: .commitMessage)
            if let flag = try? container.decodeIfPresent(Bool.self, forKey: .commitDirty) {
                commitDirty = flag
            } else if let text = try container.decodeIfPresent(String.self, forKey: .commitDirty) {
                commitDirty = try Self.flag(text)
            }
        }

        /// `true` or `false` as a string.
        static func flag(_ text: String) throws -> Bool {
            switch text.lowercased() {
            case "true": return true
            case "false": return false
            default: throw SlipwayError.invalid("commit_dirty", "must be 'true' or 'false', got '\(CloudflareError.clipped(text))'")
            }
        }

        /// Reads the text fields of a multipart body; an unknown field is a 400 naming it.
        static func multipart(_ fields: [String: String]) throws -> CreateBody {
            let known: Set<String> = ["branch", "commit_hash", "commit_message", "commit_dirty"]
            if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
                throw SlipwayError.invalid(
                    unknown, "is not a field of this create; Slipway builds from git and takes branch, commit_hash, commit_message, commit_dirty")
            }
            return CreateBody(
                branch: fields["branch"], commitHash: fields["commit_hash"], commitMessage: fields["commit_message"],
                commitDirty: try fields["commit_dirty"].map(flag))
        }
    }

    /// `POST …/deployments`: deploys a branch (default: the production branch) at a commit (default: its head).
    @Sendable func create(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.deploy)
        let project = try await visibleProject(context, identity)
        let body: CreateBody
        if let contentType = request.headers[.contentType], let boundary = try MultipartFormData.boundary(contentType: contentType) {
            var request = request
            let buffer: ByteBuffer
            do {
                buffer = try await request.collectBody(upTo: JSONBody.maximumSize)
            } catch {
                throw APIError.bodyTooLarge(limit: JSONBody.maximumSize)
            }
            body = try CreateBody.multipart(try MultipartFormData.fields(Data(buffer.readableBytesView), boundary: boundary))
        } else {
            body = try await JSONBody.decode(CreateBody.self, from: request)
        }
        var problems: [FieldProblem] = []
        if let branch = body.branch, let message = ProjectValidation.branchProblem(branch) {
            problems.append(FieldProblem(field: "branch", message: message))
        }
        if let commit = body.commitHash, let message = ProjectValidation.commitProblem(commit) {
            problems.append(FieldProblem(field: "commit_hash", message: message))
        }
        if let message = body.commitMessage, message.count > 4096 {
            problems.append(FieldProblem(field: "commit_message", message: "must be at most 4096 characters"))
        }
        guard problems.isEmpty else { throw SlipwayError.invalid(problems) }
        let deployRequest = DeployRequest(
            gitBranch: body.branch, commitID: body.commitHash,
            description: body.commitMessage.flatMap { $0.isEmpty ? nil : $0 } ?? "Deployment started from the Cloudflare Pages API")
        let created = try await deploymentService.deploy(projectIDs: [project.id], request: deployRequest, by: identity)
        context.audit.target(id: String(created[0].id), name: project.name)
        return try await answer(try await json(created[0], project))
    }

    /// `GET …/deployments?env=&page=&per_page=`: newest first; a page past the end is an empty `result`.
    @Sendable func list(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.read)
        let project = try await visibleProject(context, identity)
        let page = try request.integerQuery("page", default: 1, range: 1...1_000_000)
        let perPage = try request.integerQuery("per_page", default: 25, range: 1...Self.maximumPerPage)
        var environment: DeploymentEnvironment?
        if let text = request.uri.queryParameters.get("env") {
            guard let value = DeploymentEnvironment(rawValue: text) else {
                throw SlipwayError.invalid("env", "must be 'production' or 'preview', got '\(CloudflareError.clipped(text))'")
            }
            environment = value
        }
        let (shown, total) = try await deployments.deployments(
            projectID: project.id, environment: environment, page: Page(number: page, size: perPage))
        let results = try await json(shown, project)
        let info = CloudflareResultInfo(
            page: page, perPage: perPage, count: results.count, totalCount: total, totalPages: (total + perPage - 1) / perPage)
        return try JSONBody.response(CloudflareEnvelope(result: results, resultInfo: info))
    }

    /// `GET …/deployments/{id}`.
    @Sendable func show(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.read)
        let (project, deployment) = try await visibleDeployment(context, identity)
        return try await answer(try await json(deployment, project))
    }

    /// `DELETE …/deployments/{id}?force=true`: the delete rules of DESIGN.md §2; `result` is `{}`.
    @Sendable func delete(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.deploy)
        let (_, deployment) = try await visibleDeployment(context, identity)
        let force: Bool
        switch request.uri.queryParameters.get("force") {
        case nil, "false": force = false
        case "true": force = true
        case let text?: throw SlipwayError.invalid("force", "must be 'true' or 'false', got '\(CloudflareError.clipped(String(text)))'")
        }
        try await control.delete(deploymentID: deployment.id, force: force, by: identity)
        return try JSONBody.response(CloudflareEnvelope(result: CloudflareEmptyObject()))
    }

    /// `GET …/deployments/{id}/history/logs`: every line of the deployment's log, a service's runtime lines included.
    @Sendable func logs(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.read)
        let (_, deployment) = try await visibleDeployment(context, identity)
        var lines: [CloudflareLogsJSON.Line] = []
        var includesRuntimeLines = false
        var offset: Int64 = 0
        while true {
            let chunk = try logReader.read(deploymentUID: deployment.uid, from: offset, limit: 5000)
            guard !chunk.lines.isEmpty, chunk.nextOffset > offset else { break }
            lines += chunk.lines.map { CloudflareLogsJSON.Line(line: $0.line.text, ts: Timestamp.format($0.line.timestamp)) }
            includesRuntimeLines = includesRuntimeLines || chunk.lines.contains { $0.line.isRuntime }
            offset = chunk.nextOffset
        }
        // A live service's own output (its runtime lines) is what Cloudflare calls container logs.
        return try JSONBody.response(
            CloudflareEnvelope(result: CloudflareLogsJSON(data: lines, includesContainerLogs: includesRuntimeLines, total: lines.count)))
    }

    /// `POST …/deployments/{id}/retry`: a new deployment of the same branch, commit and environment. A failed one is
    /// rerun (trigger `rerun`); any other finished one is deployed again by hand; an unfinished one is a 409.
    @Sendable func retry(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.deploy)
        let (project, deployment) = try await visibleDeployment(context, identity)
        let retried: Deployment
        switch deployment.state {
        case .failed:
            retried = try await deploymentService.rerun(deploymentID: deployment.id, by: identity)
        case .success, .canceled, .skipped:
            let again = DeployRequest(
                gitBranch: deployment.gitBranch, commitID: deployment.commitID, environment: deployment.environment,
                description: "Retry of deployment \(deployment.uid.uuidString.lowercased())")
            retried = try await deploymentService.deploy(projectIDs: [project.id], request: again, by: identity)[0]
        case .queued, .running:
            throw SlipwayError.conflict("deployment \(deployment.uid.uuidString.lowercased()) has not finished; only a finished one can be retried")
        }
        return try await answer(try await json(retried, project))
    }

    /// `POST …/deployments/{id}/rollback`: production goes back to a successful production deployment, reusing its build.
    @Sendable func rollback(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.deploy)
        let (project, deployment) = try await visibleDeployment(context, identity)
        let rolledBack = try await deploymentService.rollback(to: deployment.id, by: identity)
        return try await answer(try await json(rolledBack, project))
    }

    /// `POST …/deployments/{id}/cancel` (Slipway's, Cloudflare has none): cancels a queued or running deployment and
    /// answers it once it has ended.
    @Sendable func cancel(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.deploy)
        let (project, deployment) = try await visibleDeployment(context, identity)
        let canceled = try await control.cancel(deploymentID: deployment.id, reason: nil, immediately: false, by: identity)
        return try await answer(try await json(canceled, project))
    }

    private func answer(_ deployment: CloudflareDeploymentJSON) async throws -> Response {
        try JSONBody.response(CloudflareEnvelope(result: deployment))
    }

    /// The deployment object, with its routes and the variables it runs with (secrets masked).
    private func json(_ deployment: Deployment, _ project: Project) async throws -> CloudflareDeploymentJSON {
        try await json([deployment], project)[0]
    }

    /// The deployment objects of a page; the variables of all of them are read at once, and never written (a
    /// deployment that has not started shows what it would run with if it started now).
    private func json(_ deployments: [Deployment], _ project: Project) async throws -> [CloudflareDeploymentJSON] {
        let variables = try await environment?.maskedVariables(of: deployments) ?? [:]
        return deployments.map { deployment in
            CloudflareDeploymentJSON(
                deployment: deployment, project: project, urls: urls,
                routeKeys: routes.keys(pointingAt: deployment.id), customDomains: routes.customDomains(pointingAt: deployment.id),
                variables: variables[deployment.id] ?? [:])
        }
    }

    /// The project of the path, when `account_id` is the token's workspace.
    private func visibleProject(_ context: SlipwayRequestContext, _ identity: Identity) async throws -> Project {
        let account = context.parameters.get("account_id") ?? ""
        guard account.lowercased() == identity.workspace.cloudflareAccountID else { throw CloudflareError.accountNotFound(account) }
        let name = context.parameters.get("project_name") ?? ""
        guard let project = try await projects.project(name: name, workspaceID: identity.workspace.id) else {
            throw CloudflareError.projectNotFound(name)
        }
        return project
    }

    /// The deployment of the path, when it belongs to the path's project.
    private func visibleDeployment(_ context: SlipwayRequestContext, _ identity: Identity) async throws -> (Project, Deployment) {
        let project = try await visibleProject(context, identity)
        let text = context.parameters.get("deployment_id") ?? ""
        guard let uid = UUID(uuidString: text),
            let deployment = try await queries.deployment(uid: uid, workspaceID: identity.workspace.id),
            deployment.projectID == project.id
        else { throw CloudflareError.deploymentNotFound(text) }
        return (project, deployment)
    }
}
