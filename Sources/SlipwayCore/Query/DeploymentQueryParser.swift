import Foundation

/// Turns the query-string parameters of a listing (`filter`, `orderBy`, `limit`, `after`, `before`, `ids` and
/// the Deploys shorthands) into a validated `DeploymentQuery`, or a `QueryError` naming the offending part.
///
/// Pure: no IO, no SQL. The field names, value types and operators come from the dialect's `QueryCatalog`, and so do
/// the id and the default order of what is listed: deployments, or the audit trail's events (`QueryCatalog.audit`).
public struct DeploymentQueryParser: Sendable {
    /// The dialect's names.
    public let catalog: QueryCatalog

    /// The largest and default page size.
    public static let maximumLimit = 100
    /// How deeply AND/OR/NOT and relations may nest.
    public static let maximumDepth = 8
    /// How many comparisons one filter may hold.
    public static let maximumComparisons = 200
    /// How many values all the `in`/`notIn` lists of one filter may hold together.
    public static let maximumValues = 1_000
    /// How many ids `ids` may list.
    public static let maximumIDs = 100
    /// How long one string value may be.
    public static let maximumStringLength = 1_000
    /// How many keys `orderBy` may have.
    public static let maximumOrderKeys = 6

    /// A parser of the dialect that `catalog` describes.
    public init(catalog: QueryCatalog) {
        self.catalog = catalog
    }

    /// The parameters this parser reads; the API passes the values of these (and only these) names.
    public var parameterNames: [String] {
        ["filter", "orderBy", "limit", "after", "before", "ids"] + catalog.shorthands.map(\.parameter)
    }

    /// Parses the parameters of one listing request.
    public func parse(_ parameters: [String: String]) throws -> DeploymentQuery {
        var budget = Budget()
        var filters: [QueryFilter] = []

        if let text = parameters["filter"] {
            let json = try JSONValue.parse(text, parameter: "filter")
            filters.append(try parseFilter(json, path: "filter", fields: catalog.fields, relations: catalog.relations, depth: 1, budget: &budget))
        }
        for (parameter, name) in catalog.shorthands {
            guard let text = parameters[parameter] else { continue }
            guard let field = catalog.fields[name] else { continue }
            filters.append(try comparison(field, name: name, .eq, .string(text), path: parameter, budget: &budget))
        }
        if let text = parameters["ids"] {
            filters.append(try parseIDs(text))
        }

        let limit = try parseLimit(parameters["limit"])
        let order = try parseOrder(parameters["orderBy"], catalog: catalog)
        let position: QueryPosition
        switch (parameters["after"], parameters["before"]) {
        case (let after?, nil): position = .after(after)
        case (nil, let before?): position = .before(before)
        case (nil, nil): position = .first
        case (_?, _?): throw QueryError("before", "give either 'after' or 'before', not both")
        }
        return DeploymentQuery(filter: filters.count == 1 ? filters[0] : .all(filters), order: order, limit: limit, position: position)
    }

    /// Counts what a filter holds, so that a hostile one is refused before it reaches the database.
    struct Budget {
        var comparisons = 0
        var values = 0

        mutating func spend(comparisons: Int = 0, values: Int = 0, at path: String) throws {
            self.comparisons += comparisons
            self.values += values
            if self.comparisons > DeploymentQueryParser.maximumComparisons {
                throw QueryError(path, "the filter holds more than \(DeploymentQueryParser.maximumComparisons) comparisons")
            }
            if self.values > DeploymentQueryParser.maximumValues {
                throw QueryError(path, "the filter holds more than \(DeploymentQueryParser.maximumValues) values")
            }
        }
    }

    private func parseLimit(_ text: String?) throws -> Int {
        guard let text else { return Self.maximumLimit }
        guard let limit = Int(text), (1...Self.maximumLimit).contains(limit) else {
            throw QueryError("limit", "must be an integer from 1 to \(Self.maximumLimit), got '\(Self.excerpt(text))'")
        }
        return limit
    }

    private func parseIDs(_ text: String) throws -> QueryFilter {
        let parts = text.split(separator: ",", omittingEmptySubsequences: true).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if parts.isEmpty { return .everything }
        if parts.count > Self.maximumIDs { throw QueryError("ids", "must list at most \(Self.maximumIDs) ids") }
        var values: [QueryValue] = []
        for part in parts {
            switch catalog.ids {
            case .prefixed(let prefix, let noun):
                guard let uuid = prefix.parse(part) else {
                    throw QueryError("ids", "'\(Self.excerpt(part))' is not a \(noun) id ('\(prefix.rawValue)' and 32 hex digits)")
                }
                values.append(.text(uuid.lowercased))
            case .integer:
                guard let id = Int64(part) else { throw QueryError("ids", "'\(Self.excerpt(part))' is not a deployment id (an integer)") }
                values.append(.integer(id))
            }
        }
        let attribute: QueryAttribute
        switch catalog.ids {
        case .prefixed: attribute = QueryAttributes.uid
        case .integer: attribute = catalog.idAttribute
        }
        return .compare(attribute, .oneOf(Self.unique(values)))
    }

    private func parseOrder(_ text: String?, catalog: QueryCatalog) throws -> [QueryOrderKey] {
        guard let text else { return catalog.defaultOrder }
        let json = try JSONValue.parse(text, parameter: "orderBy")
        let entries: [JSONValue]
        switch json {
        case .array(let array): entries = array
        case .object: entries = [json]
        default: throw QueryError("orderBy", "must be an array of {\"field\": \"direction\"} objects, got \(json.kindName)")
        }
        if entries.isEmpty { return catalog.defaultOrder }
        if entries.count > Self.maximumOrderKeys { throw QueryError("orderBy", "may have at most \(Self.maximumOrderKeys) keys") }
        var keys: [QueryOrderKey] = []
        for (index, entry) in entries.enumerated() {
            let path = "orderBy[\(index)]"
            guard case .object(let object) = entry, object.count == 1, let (name, directionValue) = object.first else {
                throw QueryError(path, "must be an object with exactly one field, such as {\"createdAt\": \"desc\"}")
            }
            guard let column = catalog.orderFields[name] else {
                throw QueryError(
                    "\(path).\(name)", "is not a field orderBy accepts; use one of \(catalog.orderFields.keys.sorted().joined(separator: ", "))")
            }
            guard case .string(let directionText) = directionValue, let (direction, nullsFirst) = Self.direction(directionText) else {
                throw QueryError(
                    "\(path).\(name)", "must be one of asc, desc, asc_nulls_first, asc_nulls_last, desc_nulls_first, desc_nulls_last")
            }
            if keys.contains(where: { $0.attribute == column }) { throw QueryError("\(path).\(name)", "is already a sort key") }
            keys.append(QueryOrderKey(attribute: column, direction: direction, nullsFirst: nullsFirst))
        }
        if keys.last?.attribute != catalog.idAttribute {
            keys.append(QueryOrderKey(attribute: catalog.idAttribute, direction: keys.last?.direction ?? .descending, nullsFirst: false))
        } else if let index = keys.firstIndex(where: { $0.attribute == catalog.idAttribute }), index != keys.count - 1 {
            keys = Array(keys[...index])
        }
        return keys
    }

    /// A direction word: plain `asc` puts NULLs last and `desc` puts them first, as PostgreSQL does by default.
    static func direction(_ text: String) -> (SortDirection, Bool)? {
        switch text {
        case "asc": (.ascending, false)
        case "desc": (.descending, true)
        case "asc_nulls_first": (.ascending, true)
        case "asc_nulls_last": (.ascending, false)
        case "desc_nulls_first": (.descending, true)
        case "desc_nulls_last": (.descending, false)
        default: nil
        }
    }

    private func parseFilter(
        _ json: JSONValue, path: String, fields: [String: QueryField], relations: [String: QueryRelation]?, depth: Int, budget: inout Budget
    ) throws -> QueryFilter {
        if depth > Self.maximumDepth { throw QueryError(path, "nests deeper than \(Self.maximumDepth) levels") }
        guard case .object(let object) = json else { throw QueryError(path, "must be an object, got \(json.kindName)") }
        var parts: [QueryFilter] = []
        for key in object.keys.sorted() {
            let value = object[key]!
            let keyPath = "\(path).\(key)"
            switch key {
            case "AND", "OR":
                guard case .array(let items) = value else { throw QueryError(keyPath, "must be an array of filters, got \(value.kindName)") }
                try budget.spend(comparisons: 1, at: keyPath)
                var inner: [QueryFilter] = []
                for (index, item) in items.enumerated() {
                    inner.append(
                        try parseFilter(item, path: "\(keyPath)[\(index)]", fields: fields, relations: relations, depth: depth + 1, budget: &budget))
                }
                parts.append(key == "AND" ? .all(inner) : .any(inner))
            case "NOT":
                parts.append(.not(try parseFilter(value, path: keyPath, fields: fields, relations: relations, depth: depth + 1, budget: &budget)))
            default:
                if let relation = relations?[key], !(fields[key] != nil && Self.isComparison(value)) {
                    guard let relationFields = catalog.relationFields[relation] else { throw QueryError(keyPath, "is not a relation") }
                    let inner = try parseFilter(value, path: keyPath, fields: relationFields, relations: nil, depth: depth + 1, budget: &budget)
                    parts.append(.related(relation, inner))
                } else if let field = fields[key] {
                    parts.append(try comparisons(field, name: key, value, path: keyPath, budget: &budget))
                } else {
                    let known = (fields.keys.sorted() + (relations?.keys.sorted() ?? []) + ["AND", "OR", "NOT"])
                    throw QueryError(keyPath, "is not a known field; use one of \(known.joined(separator: ", "))")
                }
            }
        }
        return parts.count == 1 ? parts[0] : .all(parts)
    }

    /// Whether `value` is an object whose keys are all operator names: `{"eq": …}` rather than a relation filter.
    private static func isComparison(_ value: JSONValue) -> Bool {
        guard case .object(let object) = value, !object.isEmpty else { return false }
        return object.keys.allSatisfy { QueryOperator(rawValue: $0) != nil }
    }

    private func comparisons(_ field: QueryField, name: String, _ value: JSONValue, path: String, budget: inout Budget) throws -> QueryFilter {
        guard case .object(let object) = value, !object.isEmpty else {
            throw QueryError(path, "must be an object of comparisons such as {\"eq\": …}, got \(value.kindName)")
        }
        var parts: [QueryFilter] = []
        for key in object.keys.sorted() {
            guard let op = QueryOperator(rawValue: key) else {
                throw QueryError(
                    "\(path).\(key)", "is not an operator; use one of \(field.operators.map(\.rawValue).joined(separator: ", "))")
            }
            parts.append(try comparison(field, name: name, op, object[key]!, path: "\(path).\(key)", budget: &budget))
        }
        return parts.count == 1 ? parts[0] : .all(parts)
    }

    private func comparison(
        _ field: QueryField, name: String, _ op: QueryOperator, _ value: JSONValue, path: String, budget: inout Budget
    ) throws -> QueryFilter {
        guard field.operators.contains(op) else {
            throw QueryError(
                path,
                "the operator '\(op.rawValue)' is not supported by field '\(name)'; it supports \(field.operators.map(\.rawValue).joined(separator: ", "))"
            )
        }
        try budget.spend(comparisons: 1, at: path)
        let comparison: QueryComparison
        switch op {
        case .eq, .ne:
            let values = try convert(value, field.kind, path: path)
            if op == .eq {
                comparison = values.count == 1 ? .equal(values[0]) : .oneOf(values)
            } else {
                comparison = values.count == 1 ? .notEqual(values[0]) : .noneOf(values)
            }
        case .lt, .lte, .gt, .gte:
            let value = try convert(value, field.kind, path: path)[0]
            comparison = op == .lt ? .less(value) : op == .lte ? .lessOrEqual(value) : op == .gt ? .greater(value) : .greaterOrEqual(value)
        case .in, .notIn:
            guard case .array(let items) = value else { throw QueryError(path, "must be an array, got \(value.kindName)") }
            try budget.spend(values: items.count, at: path)
            var values: [QueryValue] = []
            for (index, item) in items.enumerated() { values += try convert(item, field.kind, path: "\(path)[\(index)]") }
            comparison = op == .in ? .oneOf(Self.unique(values)) : .noneOf(Self.unique(values))
        case .contains, .startsWith, .endsWith:
            guard case .string(let text) = value else { throw QueryError(path, "must be a string, got \(value.kindName)") }
            try Self.checkLength(text, path: path)
            comparison = op == .contains ? .contains(text) : op == .startsWith ? .startsWith(text) : .endsWith(text)
        case .isNull:
            guard case .bool(let flag) = value else { throw QueryError(path, "must be true or false, got \(value.kindName)") }
            comparison = .isNull(flag)
        }
        let filter = QueryFilter.compare(field.attribute, comparison)
        if let relation = field.through { return .related(relation, filter) }
        return filter
    }

    /// The stored values one JSON value of a field stands for (a status word may stand for several).
    private func convert(_ value: JSONValue, _ kind: QueryValueKind, path: String) throws -> [QueryValue] {
        switch kind {
        case .integer:
            guard case .integer(let number) = value else { throw QueryError(path, "must be an integer, got \(value.kindName)") }
            return [.integer(number)]
        case .text:
            guard case .string(let text) = value else { throw QueryError(path, "must be a string, got \(value.kindName)") }
            try Self.checkLength(text, path: path)
            return [.text(text)]
        case .timestamp:
            guard case .string(let text) = value, let microseconds = QueryTimestamp.parse(text) else {
                throw QueryError(path, "must be an ISO-8601 timestamp such as 2026-01-17T13:55:31.000000Z")
            }
            return [.integer(microseconds)]
        case .prefixedID(let prefix):
            guard case .string(let text) = value, let uuid = prefix.parse(text) else {
                throw QueryError(path, "must be an id of the form '\(prefix.rawValue)' and 32 hex digits")
            }
            return [.text(uuid.lowercased)]
        case .uuid:
            guard case .string(let text) = value, let uuid = UUID(uuidString: text) ?? PrefixedID.uuid(hexDigits: text) else {
                throw QueryError(path, "must be a UUID")
            }
            return [.text(uuid.lowercased)]
        case .words(let words):
            guard case .string(let text) = value, let match = words.first(where: { $0.word == text }) else {
                throw QueryError(path, "must be one of \(words.map(\.word).joined(separator: ", "))")
            }
            return match.stored.map(QueryValue.text)
        case .nativeStatus:
            guard case .integer(let number) = value, let state = DeploymentState.allCases.first(where: { Int64($0.nativeStatus) == number })
            else {
                throw QueryError(path, "must be an integer status from 0 to 5")
            }
            return [.text(state.rawValue)]
        }
    }

    /// Refuses strings no stored text can equal: too long, or holding a NUL.
    private static func checkLength(_ text: String, path: String) throws {
        if text.unicodeScalars.count > maximumStringLength {
            throw QueryError(path, "must be at most \(maximumStringLength) characters long")
        }
        // No database stores a NUL inside text (PostgreSQL refuses it), so no value can match one.
        if text.unicodeScalars.contains("\u{0}") { throw QueryError(path, "must not contain the NUL character") }
    }

    private static func unique(_ values: [QueryValue]) -> [QueryValue] {
        var seen: Set<QueryValue> = []
        return values.filter { seen.insert($0).inserted }
    }

    /// The start of a long input, for an error message.
    static func excerpt(_ text: String) -> String {
        text.count > 40 ? String(text.prefix(40)) + "…" : text
    }
}

/// ISO-8601 timestamps of filter values, read to the microsecond.
public enum QueryTimestamp {
    /// Microseconds since 1970 for `2026-01-17T13:55:31Z`, with optional fraction (up to 9 digits) and offset; nil
    /// when the text is not such a timestamp.
    public static func parse(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        var index = 0
        func number(_ count: Int) -> Int? {
            guard index + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[index..<index + count] {
                guard (48...57).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            index += count
            return value
        }
        func expect(_ characters: String) -> Bool {
            guard index < bytes.count, characters.utf8.contains(bytes[index]) else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect("-"), let month = number(2), expect("-"), let day = number(2), expect("Tt "),
            let hour = number(2), expect(":"), let minute = number(2), expect(":"), let second = number(2),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var micros = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var digits = 0
            while index < bytes.count, (48...57).contains(bytes[index]) {
                if digits < 6 { micros = micros * 10 + Int(bytes[index] - 48) }
                digits += 1
                index += 1
            }
            guard (1...9).contains(digits) else { return nil }
            for _ in 0..<max(0, 6 - digits) { micros *= 10 }
        }
        var offset = 0
        if expect("Zz") {
        } else if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            let sign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
            index += 1
            guard let hours = number(2), expect(":"), let minutes = number(2), hours < 24, minutes < 60 else { return nil }
            offset = sign * (hours * 3600 + minutes * 60)
        } else {
            return nil
        }
        guard index == bytes.count else { return nil }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let seconds = Int64(timegm(&parts)) - Int64(offset)
        return seconds * 1_000_000 + Int64(micros)
    }
}
