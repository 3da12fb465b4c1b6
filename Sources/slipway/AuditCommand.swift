import ArgumentParser
import Foundation
import SlipwayClient
import SlipwayCore

/// `slipway audit`: the audit trail, newest first (docs/audit.md).
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Show the audit trail: who changed what, when, from where, and the result.",
        discussion: """
            Columns: id, time, actor, via (session or token #id), address, action, target, status. Needs the admin
            scope in the workspace; an install administrator also sees the install's own entries (logins, users,
            workspaces, limits). --filter takes the query language of `GET /api/v1/audit` (docs/audit.md).

            Examples:
              slipway audit
              slipway audit --filter '{"action": {"startsWith": "env."}}' --limit 50
              slipway audit --filter '{"outcome": {"eq": "failed"}}' --json
            """
    )

    @Option(help: "A filter as JSON, e.g. '{\"actor_login\": {\"eq\": \"alice\"}}'.") var filter: String?
    @Option(help: "The sort as JSON, e.g. '[{\"created_at\": \"asc\"}]' (default newest first).") var orderBy: String?
    @Option(help: "How many entries to show (1–100).") var limit: Int = 20
    @Option(help: "The cursor of the next page (printed below a full page).") var after: String?
    @Flag(help: "Print as JSON.") var json = false
    @OptionGroup var client: ClientOptions

    func validate() throws {
        guard (1...100).contains(limit) else { throw ValidationError("--limit must be 1 to 100") }
    }

    func run() async throws {
        let api = try client.makeClient()
        let page = try await reportingErrors { try await api.audit(filter: filter, orderBy: orderBy, limit: limit, after: after) }
        if json { return try Output.json(page.data.map(AuditJSON.init)) }
        if page.data.isEmpty { return print("No audit entries.") }
        Output.table(
            ["ID", "TIME", "ACTOR", "VIA", "ADDRESS", "ACTION", "TARGET", "RESULT"],
            page.data.map { entry in
                [
                    String(entry.id), entry.createdAt, entry.actor.login ?? "-",
                    entry.tokenId.map { "token #\($0)" } ?? entry.via, entry.address ?? "-", entry.action, Self.target(entry),
                    "\(entry.result.status)" + (entry.result.error.map { " \($0)" } ?? ""),
                ]
            }
        )
        if page.pageInfo.hasNextPage, let cursor = page.pageInfo.endCursor {
            print("More: slipway audit --after \(cursor)\(filter.map { " --filter '\($0)'" } ?? "")")
        }
    }

    /// `type name (#id)`, or what of it there is.
    static func target(_ entry: AuditEntryInfo) -> String {
        var text = entry.target.type ?? "-"
        if let name = entry.target.name { text += " " + name }
        if let id = entry.target.id { text += " #" + id }
        return text
    }
}

/// What `slipway audit --json` prints of an entry: the API's shape and names.
struct AuditJSON: Encodable {
    struct Actor: Encodable {
        var user_id: Int64?
        var login: String?
    }

    struct Target: Encodable {
        var type: String?
        var id: String?
        var name: String?
    }

    struct Result: Encodable {
        var status: Int
        var outcome: String
        var error: String?
    }

    var id: Int64
    var created_at: String
    var workspace_id: Int64?
    var actor: Actor
    var token_id: Int64?
    var via: String
    var address: String?
    var action: String
    var target: Target
    var detail: [String: AuditDetailValue]
    var result: Result

    init(_ entry: AuditEntryInfo) {
        id = entry.id
        created_at = entry.createdAt
        workspace_id = entry.workspaceId
        actor = Actor(user_id: entry.actor.userId, login: entry.actor.login)
        token_id = entry.tokenId
        via = entry.via
        address = entry.address
        action = entry.action
        target = Target(type: entry.target.type, id: entry.target.id, name: entry.target.name)
        detail = entry.detail
        result = Result(status: entry.result.status, outcome: entry.result.outcome, error: entry.result.error)
    }
}
