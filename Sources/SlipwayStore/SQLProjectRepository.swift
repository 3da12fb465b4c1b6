import Foundation
import SQLKit
import SlipwayCore

/// Projects in SQL. Every lookup is scoped to a workspace; names are unique on the whole install. The webhook secret
/// is stored sealed with the install's secret key (migration 9), like secret environment variables.
struct SQLProjectRepository: ProjectRepository {
    let database: Database
    /// Seals and unseals `webhook_secret`; nil (a store opened without the key) refuses to read or write one.
    let secrets: SecretBox?

    /// A `projects` row as stored.
    private struct ProjectRow: Decodable {
        var id: Int64
        var uid: String
        var workspaceID: Int64
        var name: String
        var repository: String
        var productionBranch: String
        var kind: String
        var rootDir: String
        var buildCommand: String
        var outputDir: String
        var serverID: Int64
        var productionDeploymentID: Int64?
        var createdAt: Int64
        var updatedAt: Int64
        var sourceConfig: String?
        var webhookSecret: String?
        var productionPinned: Int64?
        var serviceConfig: String?
        var buildType: String?
        var buildTypeConfig: String?

        func project(secrets: SecretBox?) throws -> Project {
            let projectUID = try StoredValue.uuid(uid, table: "projects", column: "uid")
            return Project(
                id: id, uid: projectUID, workspaceID: workspaceID, name: name,
                repository: repository, productionBranch: productionBranch,
                kind: try StoredValue.enumeration(ProjectKind.self, kind, table: "projects", column: "kind"), rootDir: rootDir,
                buildCommand: buildCommand, outputDir: outputDir, serverID: serverID, productionDeploymentID: productionDeploymentID,
                createdAt: StoredValue.date(createdAt), updatedAt: StoredValue.date(updatedAt),
                source: try StoredValue.sourceConfig(sourceConfig),
                webhookSecret: try SQLProjectRepository.unsealWebhookSecret(webhookSecret ?? "", projectUID: projectUID, secrets: secrets),
                productionPinned: (productionPinned ?? 0) != 0, service: try StoredValue.serviceConfig(serviceConfig),
                build: try StoredValue.buildTypeConfig(type: buildType, buildTypeConfig)
            )
        }
    }

    private struct ServiceConfigRow: Decodable {
        var id: Int64
        var serviceConfig: String?
    }

    private struct BuildIDRow: Decodable {
        var id: String
    }

    private struct CountRow: Decodable {
        var count: Int64
    }

    /// The id of the server every project runs on until remote servers exist.
    private static let localServerID: Int64 = 1

    func create(_ project: NewProject, workspaceID: Int64) async throws -> Project {
        let now = Timestamp.now()
        let uid = UUID()
        let sealedSecret = try Self.sealWebhookSecret(project.webhookSecret, projectUID: uid, secrets: secrets)
        return try await UniqueConstraint.projectName.translatingViolation(into: Self.nameTaken) {
            try await database.transaction { session in
                try await checkNameIsFree(project.name, exceptProjectID: nil, session)
                try await checkProjectLimit(workspaceID: workspaceID, session)
                let id = try await session.insertReturningID(
                    """
                    INSERT INTO projects (
                        uid, workspace_id, name, repository, production_branch, kind, root_dir, build_command, output_dir,
                        server_id, production_deployment_id, last_sequence_number, created_at, updated_at,
                        source_config, webhook_secret, production_pinned, service_config, build_type, build_type_config
                    ) VALUES (
                        \(bind: uid.lowercased), \(bind: workspaceID), \(bind: project.name), \(bind: project.repository),
                        \(bind: project.productionBranch), \(bind: project.kind.rawValue), \(bind: project.rootDir),
                        \(bind: project.buildCommand), \(bind: project.outputDir), \(bind: Self.localServerID), NULL, 0,
                        \(bind: StoredValue.microseconds(now)), \(bind: StoredValue.microseconds(now)),
                        \(bind: try StoredValue.sourceConfigJSON(project.source)), \(bind: sealedSecret), 0,
                        \(bind: try StoredValue.serviceConfigJSON(project.service)), \(bind: project.build.type.rawValue),
                        \(bind: try StoredValue.buildTypeConfigJSON(project.build))
                    )
                    RETURNING id
                    """
                )
                return Project(
                    id: id, uid: uid, workspaceID: workspaceID, name: project.name, repository: project.repository,
                    productionBranch: project.productionBranch, kind: project.kind, rootDir: project.rootDir,
                    buildCommand: project.buildCommand, outputDir: project.outputDir, serverID: Self.localServerID,
                    productionDeploymentID: nil, createdAt: now, updatedAt: now, source: project.source,
                    webhookSecret: project.webhookSecret, service: project.service, build: project.build
                )
            }
        }
    }

    func project(id: Int64, workspaceID: Int64) async throws -> Project? {
        try await database.withConnection { session in
            try await session.first(
                ProjectRow.self, "SELECT * FROM projects WHERE id = \(bind: id) AND workspace_id = \(bind: workspaceID)"
            )?.project(secrets: secrets)
        }
    }

    func project(name: String, workspaceID: Int64) async throws -> Project? {
        try await database.withConnection { session in
            try await session.first(
                ProjectRow.self, "SELECT * FROM projects WHERE name = \(bind: name) AND workspace_id = \(bind: workspaceID)"
            )?.project(secrets: secrets)
        }
    }

    func projects(ids: Set<Int64>, workspaceID: Int64) async throws -> [Int64: Project] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await database.withConnection { session in
            try await session.all(
                ProjectRow.self, "SELECT * FROM projects WHERE id IN (\(binds: Array(ids))) AND workspace_id = \(bind: workspaceID)")
        }
        var found: [Int64: Project] = [:]
        for row in rows {
            let project = try row.project(secrets: secrets)
            found[project.id] = project
        }
        return found
    }

    func projects(workspaceID: Int64, page: Page) async throws -> (items: [Project], total: Int) {
        try await database.withConnection { session in
            let total =
                try await session.first(
                    CountRow.self, "SELECT COUNT(*) AS count FROM projects WHERE workspace_id = \(bind: workspaceID)"
                )?.count ?? 0
            let items = try await session.all(
                ProjectRow.self,
                """
                SELECT * FROM projects WHERE workspace_id = \(bind: workspaceID) ORDER BY id
                LIMIT \(bind: max(page.size, 0)) OFFSET \(bind: max(page.offset, 0))
                """
            ).map { try $0.project(secrets: secrets) }
            return (items, Int(total))
        }
    }

    /// Saves the settings of `project` (name, repository, branch, kind, build settings and type, server) and stamps
    /// `updated_at`. The production deployment is not a setting: `DeploymentRepository.saveLive` moves it.
    func update(_ project: Project) async throws -> Project {
        let now = Timestamp.now()
        let sealedSecret = try Self.sealWebhookSecret(project.webhookSecret, projectUID: project.uid, secrets: secrets)
        return try await UniqueConstraint.projectName.translatingViolation(into: Self.nameTaken) {
            try await database.transaction { session in
                try await checkNameIsFree(project.name, exceptProjectID: project.id, session)
                let row = try await session.first(
                    ProjectRow.self,
                    """
                    UPDATE projects SET
                        name = \(bind: project.name), repository = \(bind: project.repository),
                        production_branch = \(bind: project.productionBranch), kind = \(bind: project.kind.rawValue),
                        root_dir = \(bind: project.rootDir), build_command = \(bind: project.buildCommand),
                        output_dir = \(bind: project.outputDir), server_id = \(bind: project.serverID),
                        source_config = \(bind: try StoredValue.sourceConfigJSON(project.source)),
                        webhook_secret = \(bind: sealedSecret),
                        service_config = \(bind: try StoredValue.serviceConfigJSON(project.service)),
                        build_type = \(bind: project.build.type.rawValue),
                        build_type_config = \(bind: try StoredValue.buildTypeConfigJSON(project.build)),
                        updated_at = \(bind: StoredValue.microseconds(now))
                    WHERE id = \(bind: project.id) AND workspace_id = \(bind: project.workspaceID)
                    RETURNING *
                    """
                )
                guard let row else { throw SlipwayError.notFound("project \(project.id) not found") }
                return try row.project(secrets: secrets)
            }
        }
    }

    func delete(id: Int64, workspaceID: Int64) async throws -> [UUID] {
        try await database.transaction { session in
            let exists = try await session.value(
                Int64.self, column: "id", "SELECT id FROM projects WHERE id = \(bind: id) AND workspace_id = \(bind: workspaceID)"
            )
            guard exists != nil else { throw SlipwayError.notFound("project \(id) not found") }
            let builds = try await session.all(BuildIDRow.self, "SELECT id FROM builds WHERE project_id = \(bind: id) ORDER BY created_at, id")
            try await session.run("DELETE FROM deployments WHERE project_id = \(bind: id)")
            try await session.run("DELETE FROM builds WHERE project_id = \(bind: id)")
            try await session.run("DELETE FROM git_deliveries WHERE project_id = \(bind: id)")
            try await session.run("DELETE FROM service_restarts WHERE project_id = \(bind: id)")
            try await session.run("DELETE FROM domains WHERE project_id = \(bind: id)")
            try await session.run("DELETE FROM projects WHERE id = \(bind: id)")
            return try builds.map { try StoredValue.uuid($0.id, table: "builds", column: "id") }
        }
    }

    func setProductionPinned(projectID: Int64, pinned: Bool) async throws {
        try await database.withConnection { session in
            try await Self.setProductionPinned(projectID: projectID, pinned: pinned, at: Timestamp.now(), session)
        }
    }

    /// Pins or unpins production on `session` (an admission's transaction, or a statement of its own).
    static func setProductionPinned(projectID: Int64, pinned: Bool, at time: Date, _ session: Session) async throws {
        try await session.run(
            """
            UPDATE projects SET production_pinned = \(bind: Int64(pinned ? 1 : 0)), updated_at = \(bind: StoredValue.microseconds(time))
            WHERE id = \(bind: projectID)
            """
        )
    }

    func isFixedPortTaken(_ port: Int, exceptProjectID: Int64?) async throws -> Bool {
        // The port lives in the service config's JSON; the install has few projects, so they are read and decoded
        // here rather than with each database's own JSON functions.
        let rows = try await database.withConnection { session in
            try await session.all(ServiceConfigRow.self, "SELECT id, service_config FROM projects WHERE service_config IS NOT NULL")
        }
        for row in rows where row.id != exceptProjectID {
            if try StoredValue.serviceConfig(row.serviceConfig).port == port { return true }
        }
        return false
    }

    /// The context a project's webhook secret is sealed with: a sealed value copied to another project does not open.
    static func webhookSecretContext(_ projectUID: UUID) -> String { "projects.webhook_secret:" + projectUID.lowercased }

    /// `secret` as stored: sealed (an empty one stays empty).
    static func sealWebhookSecret(_ secret: String, projectUID: UUID, secrets: SecretBox?) throws -> String {
        guard !secret.isEmpty else { return "" }
        guard let secrets else { throw SecretKeyError("this store was opened without the secret key: a webhook secret cannot be sealed") }
        return try secrets.seal(secret, context: webhookSecretContext(projectUID))
    }

    /// A stored webhook secret in clear.
    static func unsealWebhookSecret(_ stored: String, projectUID: UUID, secrets: SecretBox?) throws -> String {
        guard !stored.isEmpty else { return "" }
        guard let secrets else { throw SecretKeyError("this store was opened without the secret key: a webhook secret cannot be read") }
        return try secrets.unseal(stored, context: webhookSecretContext(projectUID))
    }

    /// Throws a conflict when the workspace already has as many projects as the install's limit allows. The
    /// workspace's row is locked first on PostgreSQL, so two creations at once cannot both pass the count.
    private func checkProjectLimit(workspaceID: Int64, _ session: Session) async throws {
        guard let limit = try await SQLInstallLimitsRepository.limits(session).projectsPerWorkspace else { return }
        if session.dialect == .postgres { try await session.run("SELECT id FROM workspaces WHERE id = \(bind: workspaceID) FOR UPDATE") }
        let count =
            try await session.value(
                Int64.self, column: "count", "SELECT COUNT(*) AS count FROM projects WHERE workspace_id = \(bind: workspaceID)"
            ) ?? 0
        if count >= Int64(limit) {
            throw SlipwayError.conflict(
                "this workspace has \(count) projects, the most the install allows (projects_per_workspace = \(limit)); delete one or ask an install administrator"
            )
        }
    }

    /// Throws the domain's "is already taken" when another project of the install has `name`.
    private func checkNameIsFree(_ name: String, exceptProjectID: Int64?, _ session: Session) async throws {
        let holder = try await session.value(Int64.self, column: "id", "SELECT id FROM projects WHERE name = \(bind: name)")
        if let holder, holder != exceptProjectID { throw Self.nameTaken }
    }

    /// Creating or renaming onto a name another project has. A concurrent creation that passes the check in
    /// the same instant is caught by the unique constraint and reported the same way.
    private static let nameTaken = SlipwayError.invalid("name", "is already taken")
}
