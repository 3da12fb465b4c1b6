import Crypto
import Foundation
import SQLKit
import SlipwayCore

/// Deployment listings through the query language, and the lookups the Deploys dialect needs, in SQL.
///
/// A page is three statements on one connection: the page itself (keyset, `LIMIT n + 1`, never `OFFSET`), the
/// total of the filtered set, and a one-row probe for a page on the other side (`Session.keysetPage`).
final class SQLDeploymentQueryRepository: DeploymentQueryRepository {
    let database: Database
    /// The signer of this database's cursors.
    let signers = CursorSigners()

    init(database: Database) {
        self.database = database
    }

    private struct CountRow: Decodable {
        var count: Int64
    }

    private struct IDRow: Decodable {
        var id: Int64
    }

    private struct BuildRow: Decodable {
        var id: String
        var workspaceID: Int64
        var projectID: Int64
        var commitID: String?
        var createdAt: Int64

        func build() throws -> Build {
            Build(
                id: try StoredValue.uuid(id, table: "builds", column: "id"), workspaceID: workspaceID, projectID: projectID, commitID: commitID,
                createdAt: StoredValue.date(createdAt)
            )
        }
    }

    private struct UserRow: Decodable {
        var id: Int64
        var name: String
    }

    func page(_ query: DeploymentQuery, workspaceID: Int64) async throws -> DeploymentPage {
        let compiler = DeploymentQueryCompiler(workspaceID: workspaceID)
        let condition: SQLQueryString = "\(compiler.scope) AND \(compiler.condition(query.filter))"
        return try await database.withConnection { session in
            let page = try await session.keysetPage(
                SQLDeploymentRepository.DeploymentRow.self, from: "deployments", where: condition, query: query, compiler: compiler,
                signer: try await signers.signer(session), sortValues: Self.sortValues
            )
            let total = try await session.first(CountRow.self, compiler.count(query.filter))?.count ?? 0
            return DeploymentPage(
                items: try page.rows.map { try $0.deployment() }, total: Int(total), hasNextPage: page.hasNextPage,
                hasPreviousPage: page.hasPreviousPage, startCursor: page.startCursor, endCursor: page.endCursor
            )
        }
    }

    /// A row's values of the sort keys (every sortable column is an integer or a timestamp).
    static func sortValues(_ row: SQLDeploymentRepository.DeploymentRow, _ order: [QueryOrderKey]) -> [Int64?] {
        order.map { key in
            switch key.attribute {
            case QueryAttributes.id: row.id
            case QueryAttributes.sequenceNumber: row.sequenceNumber
            case QueryAttributes.createdAt: row.createdAt
            case QueryAttributes.updatedAt: row.updatedAt
            case QueryAttributes.startedAt: row.startedAt
            case QueryAttributes.completedAt: row.completedAt
            default: preconditionFailure("\(key.attribute) is not a sortable column")
            }
        }
    }

    func deployment(uid: UUID, workspaceID: Int64) async throws -> Deployment? {
        try await database.withConnection { session in
            try await session.first(
                SQLDeploymentRepository.DeploymentRow.self,
                "SELECT * FROM deployments WHERE uid = \(bind: uid.lowercased) AND workspace_id = \(bind: workspaceID)"
            )?.deployment()
        }
    }

    func projectID(uid: UUID, workspaceID: Int64) async throws -> Int64? {
        try await database.withConnection { session in
            try await session.first(
                IDRow.self, "SELECT id FROM projects WHERE uid = \(bind: uid.lowercased) AND workspace_id = \(bind: workspaceID)")?.id
        }
    }

    func build(id: UUID, workspaceID: Int64) async throws -> Build? {
        try await database.withConnection { session in
            try await session.first(
                BuildRow.self, "SELECT * FROM builds WHERE id = \(bind: id.lowercased) AND workspace_id = \(bind: workspaceID)"
            )?.build()
        }
    }

    func firstDeployment(usingBuild buildID: UUID) async throws -> Deployment? {
        try await database.withConnection { session in
            try await session.first(
                SQLDeploymentRepository.DeploymentRow.self,
                "SELECT * FROM deployments WHERE build_id = \(bind: buildID.lowercased) ORDER BY id LIMIT 1"
            )?.deployment()
        }
    }

    func latestSuccessfulBuild(projectID: Int64, branch: String) async throws -> Build? {
        try await database.withConnection { session in
            try await session.first(
                BuildRow.self,
                """
                SELECT builds.* FROM builds
                WHERE builds.project_id = \(bind: projectID) AND EXISTS (
                    SELECT 1 FROM deployments
                    WHERE deployments.build_id = builds.id AND deployments.state = \(bind: DeploymentState.success.rawValue)
                        AND deployments.git_branch = \(bind: branch)
                )
                ORDER BY builds.created_at DESC, builds.id DESC
                LIMIT 1
                """
            )?.build()
        }
    }

    private struct ProjectReferenceRow: Decodable {
        var id: Int64
        var uid: String
        var name: String
    }

    func projectReferences(ids: [Int64], workspaceID: Int64) async throws -> [Int64: ProjectReference] {
        let unique = Array(Set(ids)).sorted()
        guard !unique.isEmpty else { return [:] }
        return try await database.withConnection { session in
            let list: SQLQueryString = unique.map { "\(bind: $0)" as SQLQueryString }.joined(separator: ", ")
            let rows = try await session.all(
                ProjectReferenceRow.self, "SELECT id, uid, name FROM projects WHERE workspace_id = \(bind: workspaceID) AND id IN (\(list))")
            var references: [Int64: ProjectReference] = [:]
            for row in rows {
                references[row.id] = ProjectReference(
                    id: row.id, uid: try StoredValue.uuid(row.uid, table: "projects", column: "uid"), name: row.name)
            }
            return references
        }
    }

    func userNames(workspaceID: Int64) async throws -> [Int64: String] {
        try await database.withConnection { session in
            let rows = try await session.all(UserRow.self, "SELECT id, name FROM users WHERE workspace_id = \(bind: workspaceID)")
            return Dictionary(rows.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        }
    }
}

/// Signs cursors with HMAC-SHA256 under a key kept in the database, so every node of a cluster accepts the
/// cursors of every other and a restart keeps them valid.
struct HMACCursorSigner: QueryCursorSigner {
    /// The key's bytes.
    let key: [UInt8]

    /// HMAC-SHA256 of `message`.
    func signature(for message: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)))
    }

    /// A fresh random key, base64: what the migration stores.
    static func newKeyText() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() }
    }
}
