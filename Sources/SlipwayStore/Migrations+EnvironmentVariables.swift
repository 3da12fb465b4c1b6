import Foundation
import SQLKit
import SlipwayCore

extension Migrations {
    /// Environment variables (docs/env.md).
    ///
    /// - `project_env_vars`: one row per project, environment and name; `value` is the clear text of a plain variable
    ///   and the AES-GCM sealed text (`v1:…`) of a secret one;
    /// - `deployment_env_snapshots`: the variables a deployment runs with, sealed whole;
    /// - `secret_key_check`: one sealed known text, so that a start with another key is refused before anything runs.
    @Sendable static func addEnvironmentVariables(_ session: Session) async throws {
        try await session.run(
            """
            CREATE TABLE project_env_vars (
                project_id BIGINT NOT NULL,
                environment TEXT NOT NULL,
                name TEXT NOT NULL,
                value TEXT NOT NULL,
                secret BIGINT NOT NULL,
                PRIMARY KEY (project_id, environment, name)
            )
            """
        )
        try await session.run(
            """
            CREATE TABLE deployment_env_snapshots (
                deployment_id BIGINT PRIMARY KEY,
                variables TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )
            """
        )
        try await session.run(
            """
            CREATE TABLE secret_key_check (
                id BIGINT PRIMARY KEY,
                sealed TEXT NOT NULL
            )
            """
        )
    }
}
