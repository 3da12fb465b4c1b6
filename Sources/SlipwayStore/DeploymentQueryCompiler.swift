import Foundation
import SQLKit
import SlipwayCore

/// Compiles a parsed `DeploymentQuery` into SQL with bound parameters: the same text on SQLite and PostgreSQL.
/// The audit trail's listings use its conditions, orders and keyset bounds too (their attributes have no relations;
/// `SQLAuditRepository` writes its own scope).
///
/// Core names attributes as the domain does; this compiler maps them to tables and columns (`table(_:)`, `column(_:)`).
/// Column and table names come only from `QueryAttributes` (never from a request) and are quoted as identifiers; every
/// value is a bound parameter. Comparisons are two-valued (a NULL column makes `equal` false and `notEqual` true), so
/// `NOT` is an exact complement. NULL placement in `ORDER BY` is emulated with an `(column IS NULL)` key before the
/// column, because the two databases put NULLs at different ends by default; keyset conditions follow the same rule.
struct DeploymentQueryCompiler {
    /// The caller's workspace: every query and every relation subquery is confined to it.
    let workspaceID: Int64
    /// The table that the `deployments` columns of a condition are read from: `deployment_counts` when counting.
    var deploymentsTable = DeploymentQueryCompiler.table(.deployment)

    init(workspaceID: Int64) {
        self.workspaceID = workspaceID
    }

    /// The columns of `deployments` that `deployment_counts` (migration 6) groups by.
    static let countedColumns: Set<QueryAttribute> = [QueryAttributes.workspaceID, QueryAttributes.projectID, QueryAttributes.state]

    /// Whether `filter` only looks at the counted columns (relations to projects and workspaces go through
    /// `project_id` and `workspace_id`), so that every deployment of one counter row matches it or none does.
    static func isCountable(_ filter: QueryFilter) -> Bool {
        switch filter {
        case .all(let parts), .any(let parts): parts.allSatisfy(isCountable)
        case .not(let inner): isCountable(inner)
        case .compare(let column, _): countedColumns.contains(column)
        case .related(.entity, _), .related(.workspace, _): true
        case .related(.build, _), .related(.createdBy, _): false
        }
    }

    /// The exact total of the deployments in scope that match `filter`: the sum of the matching counter rows of
    /// `deployment_counts` when the filter is countable, `COUNT(*)` otherwise.
    func count(_ filter: QueryFilter) -> SQLQueryString {
        guard Self.isCountable(filter) else {
            return "SELECT COUNT(*) AS count FROM deployments WHERE \(scope) AND \(condition(filter))"
        }
        var counts = self
        counts.deploymentsTable = "deployment_counts"
        return """
            SELECT CAST(COALESCE(SUM(deployment_counts.n), 0) AS BIGINT) AS count FROM deployment_counts \
            WHERE \(counts.scope) AND \(counts.condition(filter))
            """
    }

    /// `deployments.workspace_id = ?`: the scope of every listing.
    var scope: SQLQueryString { "\(column(QueryAttributes.workspaceID)) = \(bind: workspaceID)" }

    /// The WHERE condition of a filter.
    func condition(_ filter: QueryFilter) -> SQLQueryString {
        switch filter {
        case .all(let parts):
            if parts.isEmpty { return "1 = 1" }
            if parts.count == 1 { return condition(parts[0]) }
            return "(" + parts.map(condition).joined(separator: " AND ") + ")"
        case .any(let parts):
            if parts.isEmpty { return "1 = 0" }
            if parts.count == 1 { return condition(parts[0]) }
            return "(" + parts.map(condition).joined(separator: " OR ") + ")"
        case .not(let inner):
            return "(NOT \(condition(inner)))"
        case .compare(let column, let comparison):
            return compare(column, comparison)
        case .related(let relation, let inner):
            return related(relation, inner)
        }
    }

    /// The table that holds an entity.
    static func table(_ entity: QueryEntity) -> String {
        switch entity {
        case .deployment: "deployments"
        case .project: "projects"
        case .build: "builds"
        case .workspace: "workspaces"
        case .user: "users"
        case .auditEvent: "audit_events"
        }
    }

    /// The quoted, table-qualified column an attribute is stored in: its name in snake_case (`gitBranch` is
    /// `git_branch`), the rule every row of the store is decoded by (`Session.columnName`).
    func column(_ attribute: QueryAttribute) -> SQLQueryString {
        let table = attribute.entity == .deployment ? deploymentsTable : Self.table(attribute.entity)
        return "\(ident: table).\(ident: Session.columnName(attribute.name))"
    }

    private func bind(_ value: QueryValue) -> SQLQueryString {
        switch value {
        case .integer(let number): "\(bind: number)"
        case .text(let text): "\(bind: text)"
        }
    }

    private func list(_ values: [QueryValue]) -> SQLQueryString {
        "(" + values.map(bind).joined(separator: ", ") + ")"
    }

    /// `(c IS NOT NULL AND …)` for a nullable column, so that a NULL never turns the condition unknown.
    private func present(_ column: QueryAttribute, _ test: SQLQueryString) -> SQLQueryString {
        column.isNullable ? "(\(self.column(column)) IS NOT NULL AND \(test))" : test
    }

    /// `(c IS NULL OR …)` for a nullable column: a NULL differs from every value.
    private func absentOr(_ column: QueryAttribute, _ test: SQLQueryString) -> SQLQueryString {
        column.isNullable ? "(\(self.column(column)) IS NULL OR \(test))" : test
    }

    private func compare(_ column: QueryAttribute, _ comparison: QueryComparison) -> SQLQueryString {
        let c = self.column(column)
        switch comparison {
        case .equal(let value): return present(column, "\(c) = \(bind(value))")
        case .notEqual(let value): return absentOr(column, "\(c) <> \(bind(value))")
        case .less(let value): return present(column, "\(c) < \(bind(value))")
        case .lessOrEqual(let value): return present(column, "\(c) <= \(bind(value))")
        case .greater(let value): return present(column, "\(c) > \(bind(value))")
        case .greaterOrEqual(let value): return present(column, "\(c) >= \(bind(value))")
        case .oneOf(let values):
            if values.isEmpty { return "1 = 0" }
            return present(column, "\(c) IN \(list(values))")
        case .noneOf(let values):
            if values.isEmpty { return "1 = 1" }
            return absentOr(column, "\(c) NOT IN \(list(values))")
        case .contains(let text):
            if text.isEmpty { return isPresent(column) }
            // replace() is case-sensitive on both databases, unlike LIKE on SQLite.
            return present(column, "replace(\(c), \(bind: text), '') <> \(c)")
        case .startsWith(let text):
            if text.isEmpty { return isPresent(column) }
            let length = Int64(text.unicodeScalars.count)
            return present(column, "substr(\(c), 1, CAST(\(bind: length) AS INTEGER)) = \(bind: text)")
        case .endsWith(let text):
            if text.isEmpty { return isPresent(column) }
            let length = Int64(text.unicodeScalars.count)
            return present(
                column,
                "length(\(c)) >= CAST(\(bind: length) AS INTEGER) AND substr(\(c), length(\(c)) - CAST(\(bind: length) AS INTEGER) + 1) = \(bind: text)"
            )
        case .isNull(let isNull):
            return isNull ? "\(c) IS NULL" : "\(c) IS NOT NULL"
        }
    }

    private func isPresent(_ column: QueryAttribute) -> SQLQueryString {
        column.isNullable ? "\(self.column(column)) IS NOT NULL" : "1 = 1"
    }

    /// `deployments.fk IN (SELECT key FROM related WHERE related is in the workspace AND inner)`.
    private func related(_ relation: QueryRelation, _ inner: QueryFilter) -> SQLQueryString {
        let (foreignKey, key, workspace): (QueryAttribute, QueryAttribute, QueryAttribute) =
            switch relation {
            case .entity: (QueryAttributes.projectID, QueryAttributes.projectKey, QueryAttribute(.project, "workspaceID", .integer))
            case .build: (QueryAttributes.buildID, QueryAttributes.buildKey, QueryAttribute(.build, "workspaceID", .integer))
            case .workspace: (QueryAttributes.workspaceID, QueryAttributes.workspaceKey, QueryAttributes.workspaceKey)
            case .createdBy: (QueryAttributes.initiatedBy, QueryAttributes.userKey, QueryAttribute(.user, "workspaceID", .integer))
            }
        let subquery: SQLQueryString = """
            \(column(foreignKey)) IN (SELECT \(column(key)) FROM \(ident: Self.table(relation.entity)) \
            WHERE \(column(workspace)) = \(bind: workspaceID) AND \(condition(inner)))
            """
        return present(foreignKey, subquery)
    }

    /// `ORDER BY` for `order` (NULL placement as explicit `IS NULL` keys).
    func orderBy(_ order: [QueryOrderKey]) -> SQLQueryString {
        var terms: [SQLQueryString] = []
        for key in order {
            let c = column(key.attribute)
            if key.attribute.isNullable { terms.append("(\(c) IS NULL) \(unsafeRaw: key.nullsFirst ? "DESC" : "ASC")") }
            terms.append("\(c) \(unsafeRaw: key.direction == .ascending ? "ASC" : "DESC")")
        }
        return terms.joined(separator: ", ")
    }

    /// The rows that come strictly after the position `values` in `order`.
    func after(_ values: [Int64?], in order: [QueryOrderKey]) -> SQLQueryString {
        var alternatives: [SQLQueryString] = []
        var equalSoFar: [SQLQueryString] = []
        for (key, value) in zip(order, values) {
            let c = column(key.attribute)
            let beyond: SQLQueryString = key.direction == .ascending ? ">" : "<"
            var later: SQLQueryString?
            let equal: SQLQueryString
            if let value {
                let strictly: SQLQueryString = "\(c) \(beyond) \(bind: value)"
                if key.attribute.isNullable {
                    later = key.nullsFirst ? "(\(c) IS NOT NULL AND \(strictly))" : "(\(c) IS NULL OR \(strictly))"
                    equal = "(\(c) IS NOT NULL AND \(c) = \(bind: value))"
                } else {
                    later = strictly
                    equal = "\(c) = \(bind: value)"
                }
            } else {
                later = key.nullsFirst ? "\(c) IS NOT NULL" : nil
                equal = "\(c) IS NULL"
            }
            if let later { alternatives.append("(" + (equalSoFar + [later]).joined(separator: " AND ") + ")") }
            equalSoFar.append(equal)
        }
        guard !alternatives.isEmpty else { return "1 = 0" }
        var condition: SQLQueryString = "(" + alternatives.joined(separator: " OR ") + ")"
        // A redundant bound on the first key lets both databases turn the condition into an index range.
        if let first = order.first, !first.attribute.isNullable, let value = values.first ?? nil {
            let bound: SQLQueryString = first.direction == .ascending ? ">=" : "<="
            condition = "\(column(first.attribute)) \(bound) \(bind: value) AND \(condition)"
        }
        return condition
    }

    /// The same order read backwards (for `before`): every direction and NULL placement flipped.
    static func reversed(_ order: [QueryOrderKey]) -> [QueryOrderKey] {
        order.map {
            QueryOrderKey(attribute: $0.attribute, direction: $0.direction == .ascending ? .descending : .ascending, nullsFirst: !$0.nullsFirst)
        }
    }
}
