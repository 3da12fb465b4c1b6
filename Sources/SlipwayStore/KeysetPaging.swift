import Foundation
import SQLKit
import SlipwayCore
import Synchronization

/// The rows of one keyset page and what a listing says about its neighbours, whatever the table.
struct KeysetPage<Row> {
    var rows: [Row]
    var hasNextPage: Bool
    var hasPreviousPage: Bool
    var startCursor: String?
    var endCursor: String?
}

extension Session {
    /// One keyset page of `table` (deployments, audit events): the rows that match `condition` in `query`'s order
    /// from its position (`LIMIT n + 1`, never `OFFSET`), and a one-row probe for a page on the other side.
    /// `sortValues` reads a row's values of the sort keys (each an integer or a timestamp), for the cursors.
    func keysetPage<Row: Decodable>(
        _ type: Row.Type, from table: String, where condition: SQLQueryString, query: DeploymentQuery, compiler: DeploymentQueryCompiler,
        signer: HMACCursorSigner, sortValues: (Row, [QueryOrderKey]) -> [Int64?]
    ) async throws -> KeysetPage<Row> {
        let order = query.order
        let reversed = DeploymentQueryCompiler.reversed(order)
        func values(_ text: String, _ parameter: String) throws -> [Int64?] {
            try QueryCursor.decode(text, parameter: parameter, order: order, signer: signer)
        }
        func fetch(_ extra: SQLQueryString, _ order: [QueryOrderKey]) async throws -> [Row] {
            try await all(
                Row.self,
                "SELECT * FROM \(ident: table) WHERE \(condition) AND \(extra) ORDER BY \(compiler.orderBy(order)) LIMIT \(bind: Int64(query.limit + 1))"
            )
        }
        func exists(_ extra: SQLQueryString) async throws -> Bool {
            try await !self.rows("SELECT 1 AS found FROM \(ident: table) WHERE \(condition) AND \(extra) LIMIT 1").isEmpty
        }

        var found: [Row]
        let hasNext: Bool
        let hasPrevious: Bool
        switch query.position {
        case .first, .after:
            var cursor: [Int64?]?
            if case .after(let text) = query.position { cursor = try values(text, "after") }
            found = try await fetch(cursor.map { compiler.after($0, in: order) } ?? "1 = 1", order)
            hasNext = found.count > query.limit
            found = Array(found.prefix(query.limit))
            if let anchor = found.first.map({ sortValues($0, order) }) ?? cursor {
                hasPrevious = try await exists(compiler.after(anchor, in: reversed))
            } else {
                hasPrevious = false
            }
        case .before(let text):
            let cursor = try values(text, "before")
            found = try await fetch(compiler.after(cursor, in: reversed), reversed)
            hasPrevious = found.count > query.limit
            found = Array(found.prefix(query.limit).reversed())
            let anchor = found.last.map { sortValues($0, order) } ?? cursor
            hasNext = try await exists(compiler.after(anchor, in: order))
        }
        return KeysetPage(
            rows: found, hasNextPage: hasNext, hasPreviousPage: hasPrevious,
            startCursor: found.first.map { QueryCursor.encode(sortValues($0, order), order: order, signer: signer) },
            endCursor: found.last.map { QueryCursor.encode(sortValues($0, order), order: order, signer: signer) }
        )
    }
}

/// The signer of a database's cursors, its key read once from `signing_keys` (migration 3) and kept.
final class CursorSigners: Sendable {
    /// The name of the key that signs cursors in `signing_keys`.
    static let cursorKeyName = "query_cursor"

    private let cache = Mutex<HMACCursorSigner?>(nil)

    private struct KeyRow: Decodable {
        var secret: String
    }

    /// The signer; reads the key on first use.
    func signer(_ session: Session) async throws -> HMACCursorSigner {
        if let cached = cache.withLock({ $0 }) { return cached }
        guard
            let row = try await session.first(KeyRow.self, "SELECT secret FROM signing_keys WHERE name = \(bind: Self.cursorKeyName)"),
            let key = Data(base64Encoded: row.secret)
        else { throw MissingRowError(expected: "the cursor signing key") }
        let signer = HMACCursorSigner(key: Array(key))
        cache.withLock { $0 = signer }
        return signer
    }
}
