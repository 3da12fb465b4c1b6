import Foundation
import SQLKit
public import SlipwayCore

extension SQLStore {
    /// Environment variables and deployment snapshots, with secrets sealed by `box`.
    public func environmentVariables(box: SecretBox) -> any EnvironmentVariableRepository {
        SQLEnvironmentVariableRepository(database: database, box: box)
    }

    /// Refuses a key that is not the one this database's secrets were sealed with; the first start records a check
    /// value sealed with it.
    public func verifySecretKey(_ box: SecretBox) async throws {
        try await SQLEnvironmentVariableRepository(database: database, box: box).verifyKey()
    }
}

/// Environment variables in SQL (migration 5). Secret values and snapshots are sealed with AES-GCM; nothing secret
/// is ever written in clear.
struct SQLEnvironmentVariableRepository: EnvironmentVariableRepository {
    let database: Database
    let box: SecretBox

    private struct VariableRow: Decodable {
        var environment: String
        var name: String
        var value: String
        var secret: Int64
    }

    private struct SnapshotRow: Decodable {
        var deploymentID: Int64
        var variables: String
    }

    private struct BuildSnapshotRow: Decodable {
        var deploymentID: Int64
        var variables: String
        var buildID: String
    }

    private struct ProjectVariableRow: Decodable {
        var projectID: Int64
        var environment: String
        var name: String
        var value: String
        var secret: Int64
    }

    private static let checkText = "slipway secret key check"

    func verifyKey() async throws {
        try await database.withConnection { session in try await Self.verifyKey(box, session) }
    }

    /// Records the key check value when there is none yet, then refuses `box` unless it opens it.
    static func verifyKey(_ box: SecretBox, _ session: Session) async throws {
        try await session.run(
            """
            INSERT INTO secret_key_check (id, sealed) VALUES (\(bind: Int64(1)), \(bind: try box.seal(Self.checkText, context: "key-check")))
            ON CONFLICT (id) DO NOTHING
            """
        )
        let sealed = try await session.value(String.self, column: "sealed", "SELECT sealed FROM secret_key_check WHERE id = \(bind: Int64(1))")
        guard let sealed, (try? box.unseal(sealed, context: "key-check")) == Self.checkText else {
            throw SecretKeyError(
                "the secret key (SLIPWAY_SECRET_KEY or <data-dir>/secret-key) is not the key this database's secrets were encrypted with; "
                    + "start with the original key"
            )
        }
    }

    func variables(projectID: Int64) async throws -> [DeploymentEnvironment: EnvironmentVariables] {
        let rows = try await database.withConnection { session in
            try await session.all(
                VariableRow.self,
                "SELECT environment, name, value, secret FROM project_env_vars WHERE project_id = \(bind: projectID) ORDER BY environment, name"
            )
        }
        var result: [DeploymentEnvironment: EnvironmentVariables] = [:]
        for row in rows {
            let environment = try StoredValue.enumeration(
                DeploymentEnvironment.self, row.environment, table: "project_env_vars", column: "environment")
            let secret = row.secret != 0
            let value = secret ? try box.unseal(row.value, context: Self.context(projectID, environment, row.name)) : row.value
            result[environment, default: [:]][row.name] = EnvironmentVariable(value: value, secret: secret)
        }
        return result
    }

    func replace(projectID: Int64, with environments: [DeploymentEnvironment: EnvironmentVariables]) async throws {
        // Sealed before the transaction: nothing slow holds the write lock.
        var rows: [(DeploymentEnvironment, String, String, Bool)] = []
        for (environment, variables) in environments {
            for (name, variable) in variables {
                let stored = variable.secret ? try box.seal(variable.value, context: Self.context(projectID, environment, name)) : variable.value
                rows.append((environment, name, stored, variable.secret))
            }
        }
        try await database.transaction { session in
            for environment in environments.keys {
                try await session.run(
                    "DELETE FROM project_env_vars WHERE project_id = \(bind: projectID) AND environment = \(bind: environment.rawValue)"
                )
            }
            for (environment, name, value, secret) in rows {
                try await session.run(
                    """
                    INSERT INTO project_env_vars (project_id, environment, name, value, secret)
                    VALUES (\(bind: projectID), \(bind: environment.rawValue), \(bind: name), \(bind: value), \(bind: Int64(secret ? 1 : 0)))
                    """
                )
            }
        }
    }

    func snapshot(of deployment: Deployment) async throws -> EnvironmentVariables {
        if let stored = try await storedSnapshot(deployment.id) { return stored }
        let variables: EnvironmentVariables
        if let buildID = deployment.buildID {
            // It reuses a build: the variables that build was made with, not today's.
            variables = try await sourceSnapshot(of: deployment, buildID: buildID) ?? [:]
        } else {
            variables = try await self.variables(projectID: deployment.projectID)[deployment.environment] ?? [:]
        }
        try await insertSnapshot(variables, deploymentID: deployment.id)
        // Another worker may have taken it first: what is stored wins.
        return try await storedSnapshot(deployment.id) ?? variables
    }

    func copySnapshot(from sourceID: Int64, to deploymentID: Int64) async throws {
        try await database.withConnection { session in
            try await Self.copySnapshot(from: sourceID, to: deploymentID, box: box, session)
        }
    }

    func variablesShown(for deployments: [Deployment]) async throws -> [Int64: EnvironmentVariables] {
        guard !deployments.isEmpty else { return [:] }
        // Three statements whatever the number of deployments: their snapshots (and their rollback targets'), the
        // snapshots of the builds the others reuse, and the variables of the projects of the rest.
        let snapshotIDs = Array(Set(deployments.map(\.id) + deployments.compactMap(\.rollbackOf)))
        let stored = try await database.withConnection { session in
            try await session.all(
                SnapshotRow.self,
                "SELECT deployment_id, variables FROM deployment_env_snapshots WHERE deployment_id IN (\(binds: snapshotIDs))"
            )
        }
        var snapshots: [Int64: EnvironmentVariables] = [:]
        for row in stored { snapshots[row.deploymentID] = try decode(row) }

        var shown: [Int64: EnvironmentVariables] = [:]
        var reusingBuilds: [Deployment] = []
        var fromProject: [Deployment] = []
        for deployment in deployments {
            if let taken = snapshots[deployment.id] {
                shown[deployment.id] = taken
            } else if let target = deployment.rollbackOf, let targets = snapshots[target] {
                shown[deployment.id] = targets
            } else if deployment.buildID != nil {
                reusingBuilds.append(deployment)
            } else {
                fromProject.append(deployment)
            }
        }
        if !reusingBuilds.isEmpty {
            let buildIDs = Array(Set(reusingBuilds.compactMap { $0.buildID?.lowercased }))
            let rows = try await database.withConnection { session in
                try await session.all(
                    BuildSnapshotRow.self,
                    """
                    SELECT s.deployment_id, s.variables, d.build_id FROM deployment_env_snapshots s
                    JOIN deployments d ON d.id = s.deployment_id
                    WHERE d.build_id IN (\(binds: buildIDs)) ORDER BY d.id
                    """
                )
            }
            var firstOfBuild: [String: EnvironmentVariables] = [:]
            for row in rows where firstOfBuild[row.buildID] == nil {
                firstOfBuild[row.buildID] = try decode(SnapshotRow(deploymentID: row.deploymentID, variables: row.variables))
            }
            for deployment in reusingBuilds {
                shown[deployment.id] = deployment.buildID.flatMap { firstOfBuild[$0.lowercased] } ?? [:]
            }
        }
        if !fromProject.isEmpty {
            let current = try await variables(projectIDs: Array(Set(fromProject.map(\.projectID))))
            for deployment in fromProject {
                shown[deployment.id] = current[deployment.projectID]?[deployment.environment] ?? [:]
            }
        }
        return shown
    }

    /// The variables of several projects, in one statement.
    private func variables(projectIDs: [Int64]) async throws -> [Int64: [DeploymentEnvironment: EnvironmentVariables]] {
        let rows = try await database.withConnection { session in
            try await session.all(
                ProjectVariableRow.self,
                """
                SELECT project_id, environment, name, value, secret FROM project_env_vars
                WHERE project_id IN (\(binds: projectIDs)) ORDER BY project_id, environment, name
                """
            )
        }
        var result: [Int64: [DeploymentEnvironment: EnvironmentVariables]] = [:]
        for row in rows {
            let environment = try StoredValue.enumeration(
                DeploymentEnvironment.self, row.environment, table: "project_env_vars", column: "environment")
            let secret = row.secret != 0
            let value = secret ? try box.unseal(row.value, context: Self.context(row.projectID, environment, row.name)) : row.value
            result[row.projectID, default: [:]][environment, default: [:]][row.name] = EnvironmentVariable(value: value, secret: secret)
        }
        return result
    }

    /// Gives `deploymentID` the snapshot of `sourceID`, resealed for it, on `session` (nothing when the source has
    /// none, or the target has one already).
    static func copySnapshot(from sourceID: Int64, to deploymentID: Int64, box: SecretBox, _ session: Session) async throws {
        guard let variables = try await storedSnapshot(sourceID, box: box, session) else { return }
        try await insertSnapshot(variables, deploymentID: deploymentID, box: box, session)
    }

    /// The snapshot of the deployment a build-reusing deployment takes its variables from: its rollback target, else
    /// the oldest deployment of the same build that has one.
    private func sourceSnapshot(of deployment: Deployment, buildID: UUID) async throws -> EnvironmentVariables? {
        if let target = deployment.rollbackOf, let stored = try await storedSnapshot(target) { return stored }
        let row = try await database.withConnection { session in
            try await session.first(
                SnapshotRow.self,
                """
                SELECT s.deployment_id, s.variables FROM deployment_env_snapshots s JOIN deployments d ON d.id = s.deployment_id
                WHERE d.build_id = \(bind: buildID.lowercased) AND d.id <> \(bind: deployment.id)
                ORDER BY d.id LIMIT 1
                """
            )
        }
        return try row.map { try decode($0) }
    }

    private func storedSnapshot(_ deploymentID: Int64) async throws -> EnvironmentVariables? {
        try await database.withConnection { session in try await Self.storedSnapshot(deploymentID, box: box, session) }
    }

    private static func storedSnapshot(_ deploymentID: Int64, box: SecretBox, _ session: Session) async throws -> EnvironmentVariables? {
        let row = try await session.first(
            SnapshotRow.self,
            "SELECT deployment_id, variables FROM deployment_env_snapshots WHERE deployment_id = \(bind: deploymentID)"
        )
        return try row.map { try decode($0, box: box) }
    }

    private func decode(_ row: SnapshotRow) throws -> EnvironmentVariables {
        try Self.decode(row, box: box)
    }

    private static func decode(_ row: SnapshotRow, box: SecretBox) throws -> EnvironmentVariables {
        let json = try box.unseal(row.variables, context: Self.snapshotContext(row.deploymentID))
        do {
            return try JSONDecoder().decode(EnvironmentVariables.self, from: Data(json.utf8))
        } catch {
            throw StoreError.corruptValue(table: "deployment_env_snapshots", column: "variables", value: "(sealed)")
        }
    }

    private func insertSnapshot(_ variables: EnvironmentVariables, deploymentID: Int64) async throws {
        try await database.withConnection { session in
            try await Self.insertSnapshot(variables, deploymentID: deploymentID, box: box, session)
        }
    }

    private static func insertSnapshot(_ variables: EnvironmentVariables, deploymentID: Int64, box: SecretBox, _ session: Session) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(variables), as: UTF8.self)
        let sealed = try box.seal(json, context: Self.snapshotContext(deploymentID))
        try await session.run(
            """
            INSERT INTO deployment_env_snapshots (deployment_id, variables, created_at)
            VALUES (\(bind: deploymentID), \(bind: sealed), \(bind: StoredValue.microseconds(Timestamp.now())))
            ON CONFLICT (deployment_id) DO NOTHING
            """
        )
    }

    /// What a project variable's secret value is bound to.
    private static func context(_ projectID: Int64, _ environment: DeploymentEnvironment, _ name: String) -> String {
        "env:\(projectID):\(environment.rawValue):\(name)"
    }

    /// What a deployment's snapshot is bound to.
    private static func snapshotContext(_ deploymentID: Int64) -> String { "snapshot:\(deploymentID)" }
}
