import SQLKit

extension Migrations {
    /// Migration 18: a project's build type (docs/api-v1.md "Build types"). `build_type` is a column of its own, so that
    /// listings by type (Dokploy's compose endpoints) are a plain `WHERE`; the type's settings are one JSON column, like
    /// the service config. Every existing project builds with a command, as before. A deployment's snapshot needs no
    /// column: its `config` JSON carries the build type from now on, and one without it reads as `command`.
    @Sendable static func addBuildTypes(_ session: Session) async throws {
        try await session.run("ALTER TABLE projects ADD COLUMN build_type TEXT NOT NULL DEFAULT 'command'")
        try await session.run("ALTER TABLE projects ADD COLUMN build_type_config TEXT")
    }
}
