import Foundation
import SQLKit
import SlipwayCore

/// The audit trail in SQL (migration 20): one row per event, listed through the query language with keyset cursors
/// (`Session.keysetPage`), pruned by age.
final class SQLAuditRepository: AuditRepository {
    let database: Database
    /// The signer of this database's cursors.
    let signers = CursorSigners()

    init(database: Database) {
        self.database = database
    }

    struct Row: Decodable {
        var id: Int64
        var workspaceID: Int64?
        var actorUserID: Int64?
        var actorLogin: String?
        var tokenID: Int64?
        var via: String
        var address: String?
        var createdAt: Int64
        var action: String
        var targetType: String?
        var targetID: String?
        var targetName: String?
        var detail: String
        var status: Int64
        var outcome: String
        var errorCode: String?

        func event() throws -> AuditEvent {
            AuditEvent(
                id: id, workspaceID: workspaceID, actorUserID: actorUserID, actorLogin: actorLogin, tokenID: tokenID,
                via: try StoredValue.enumeration(AuditEvent.Via.self, via, table: "audit_events", column: "via"), address: address,
                createdAt: StoredValue.date(createdAt), action: action, targetType: targetType, targetID: targetID, targetName: targetName,
                detail: (try? JSONDecoder().decode([String: AuditDetailValue].self, from: Data(detail.utf8))) ?? [:], status: Int(status),
                outcome: try StoredValue.enumeration(AuditEvent.Outcome.self, outcome, table: "audit_events", column: "outcome"),
                errorCode: errorCode
            )
        }

        /// The row's values of the sort keys (every sortable column is an integer or a timestamp).
        static func sortValues(_ row: Row, _ order: [QueryOrderKey]) -> [Int64?] {
            order.map { key in
                switch key.attribute {
                case AuditQueryAttributes.id: row.id
                case AuditQueryAttributes.createdAt: row.createdAt
                case AuditQueryAttributes.status: row.status
                case AuditQueryAttributes.workspaceID: row.workspaceID
                case AuditQueryAttributes.actorUserID: row.actorUserID
                case AuditQueryAttributes.tokenID: row.tokenID
                default: preconditionFailure("\(key.attribute) is not a sortable column")
                }
            }
        }
    }

    private struct CountRow: Decodable {
        var count: Int64
    }

    func record(_ event: AuditEvent) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let detail = String(decoding: try encoder.encode(event.detail), as: UTF8.self)
        try await database.withConnection { session in
            try await session.run(
                """
                INSERT INTO audit_events (
                    workspace_id, actor_user_id, actor_login, token_id, via, address, created_at, action, target_type, target_id,
                    target_name, detail, status, outcome, error_code
                ) VALUES (
                    \(bind: event.workspaceID), \(bind: event.actorUserID), \(bind: event.actorLogin), \(bind: event.tokenID),
                    \(bind: event.via.rawValue), \(bind: event.address), \(bind: StoredValue.microseconds(event.createdAt)),
                    \(bind: event.action), \(bind: event.targetType), \(bind: event.targetID), \(bind: event.targetName), \(bind: detail),
                    \(bind: Int64(event.status)), \(bind: event.outcome.rawValue), \(bind: event.errorCode)
                )
                """
            )
        }
    }

    /// `workspace_id = ?`, `workspace_id IS NULL`, or both: what `scope` lets its reader see.
    static func condition(_ scope: AuditScope) -> SQLQueryString {
        switch (scope.workspaceID, scope.includesInstallEvents) {
        case (let workspaceID?, false): "audit_events.workspace_id = \(bind: workspaceID)"
        case (let workspaceID?, true): "(audit_events.workspace_id = \(bind: workspaceID) OR audit_events.workspace_id IS NULL)"
        case (nil, true): "audit_events.workspace_id IS NULL"
        case (nil, false): "1 = 0"
        }
    }

    func page(_ query: DeploymentQuery, scope: AuditScope) async throws -> AuditPage {
        // The workspace given to the compiler is not used: audit attributes have no relations, and the scope is ours.
        let compiler = DeploymentQueryCompiler(workspaceID: scope.workspaceID ?? 0)
        let condition: SQLQueryString = "\(Self.condition(scope)) AND \(compiler.condition(query.filter))"
        return try await database.withConnection { session in
            let page = try await session.keysetPage(
                Row.self, from: "audit_events", where: condition, query: query, compiler: compiler, signer: try await signers.signer(session),
                sortValues: Row.sortValues
            )
            let total = try await session.first(CountRow.self, "SELECT COUNT(*) AS count FROM audit_events WHERE \(condition)")?.count ?? 0
            return AuditPage(
                items: try page.rows.map { try $0.event() }, total: Int(total), hasNextPage: page.hasNextPage,
                hasPreviousPage: page.hasPreviousPage, startCursor: page.startCursor, endCursor: page.endCursor
            )
        }
    }

    @discardableResult func prune(before cutoff: Date) async throws -> Int {
        let before = StoredValue.microseconds(cutoff)
        return try await database.transaction { session in
            let count = try await session.first(CountRow.self, "SELECT COUNT(*) AS count FROM audit_events WHERE created_at < \(bind: before)")?.count
            try await session.run("DELETE FROM audit_events WHERE created_at < \(bind: before)")
            return Int(count ?? 0)
        }
    }
}
