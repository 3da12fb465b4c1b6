import Foundation
import SQLKit
import SlipwayCore

extension Migrations {
    private struct WebhookSecretRow: Decodable {
        var id: Int64
        var uid: String
        var webhookSecret: String
    }

    /// Migration 9: `projects.webhook_secret` is sealed with the install's secret key, like secret environment
    /// variables (docs/security-inputs.md). Every value stored before was in clear, so each non-empty one is sealed
    /// now; from here on the project repository seals on write and unseals on read. The key is checked first
    /// (`secret_key_check`), so that a start with the wrong key refuses before anything is sealed with it. A database
    /// with secrets to seal cannot be migrated without the key.
    @Sendable static func sealWebhookSecrets(_ session: Session, _ secrets: SecretBox?) async throws {
        let rows = try await session.all(WebhookSecretRow.self, "SELECT id, uid, webhook_secret FROM projects WHERE webhook_secret <> ''")
        guard !rows.isEmpty else { return }
        guard let secrets else {
            throw SecretKeyError("migration 9 seals the projects' webhook secrets: open the store with the install's secret key")
        }
        try await SQLEnvironmentVariableRepository.verifyKey(secrets, session)
        for row in rows {
            let uid = try StoredValue.uuid(row.uid, table: "projects", column: "uid")
            let sealed = try SQLProjectRepository.sealWebhookSecret(row.webhookSecret, projectUID: uid, secrets: secrets)
            try await session.run("UPDATE projects SET webhook_secret = \(bind: sealed) WHERE id = \(bind: row.id)")
        }
    }
}
