import Foundation

/// docs/tenancy.md's permission table: what every route answers to every caller, read from the Markdown so that the
/// document and `PermissionTableTests` cannot drift apart.
struct PermissionTable: Sendable {
    /// The callers, in the table's column order (docs/tenancy.md explains each).
    enum Column: String, CaseIterable, Sendable, CustomStringConvertible {
        case none, viewer, developer, admin, owner
        case installAdmin = "install admin"
        case other

        var description: String { rawValue }
    }

    /// What a cell expects.
    enum Cell: String, Sendable, CustomStringConvertible {
        /// Let through: any answer but 401, 403 and 404 (and never a 5xx: a server error is a bug whoever calls).
        case ok
        case unauthorized = "401"
        case forbidden = "403"
        case notFound = "404"
        /// An id in the body that names nothing in the caller's workspace: refused as an invalid field.
        case invalid = "422"

        var description: String { rawValue }

        /// Whether an answer with `status` is what the cell says.
        func admits(_ status: Int) -> Bool {
            switch self {
            case .ok: ![401, 403, 404].contains(status) && status < 500
            case .unauthorized: status == 401
            case .forbidden: status == 403
            case .notFound: status == 404
            case .invalid: status == 422
            }
        }
    }

    /// Why the Markdown is not a table this test can read.
    struct Unreadable: Error, CustomStringConvertible {
        var description: String
    }

    /// The routes (`GET /api/v1/projects/{project}`), in the table's order.
    private(set) var routes: [String] = []
    /// The cells of each route.
    private(set) var rows: [String: [Column: Cell]] = [:]
    /// The cells where the server does not answer what the table says yet, with what it answers instead (the
    /// subsection `### Where the server differs today`).
    private(set) var knownDifferences: [String: [Column: String]] = [:]

    /// The section the table is in, and the header its first row must be.
    static let heading = "## Permission table"
    static let header = ["route"] + Column.allCases.map(\.rawValue)

    /// Reads the first table of the section `## Permission table` (up to the next `## ` heading).
    init(markdown: String) throws {
        guard let start = markdown.range(of: "\n" + Self.heading + "\n") else { throw Unreadable(description: "no section '\(Self.heading)'") }
        var sawHeader = false
        for line in markdown[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("## ") { break }
            guard line.hasPrefix("|") else {
                if sawHeader && !routes.isEmpty { break }  // the table has ended
                continue
            }
            let fields = line.split(separator: "|", omittingEmptySubsequences: false).dropFirst().dropLast()
                .map { $0.trimmingCharacters(in: .whitespaces) }
            if !sawHeader {
                guard fields == Self.header else {
                    throw Unreadable(description: "the table's header must be | \(Self.header.joined(separator: " | ")) |, not \(line)")
                }
                sawHeader = true
                continue
            }
            if fields.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0 == "-" || $0 == ":" } }) { continue }
            guard fields.count == Self.header.count else {
                throw Unreadable(description: "a row has \(fields.count) cells, not \(Self.header.count): \(line)")
            }
            let route = fields[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            guard rows[route] == nil else { throw Unreadable(description: "two rows for \(route)") }
            var row: [Column: Cell] = [:]
            for (column, text) in zip(Column.allCases, fields.dropFirst()) {
                guard let cell = Cell(rawValue: text) else {
                    throw Unreadable(description: "\(route), column '\(column)': '\(text)' is none of ok, 401, 403, 404")
                }
                row[column] = cell
            }
            routes.append(route)
            rows[route] = row
        }
        guard !routes.isEmpty else { throw Unreadable(description: "no rows under '\(Self.heading)'") }
        try readKnownDifferences(markdown[start.upperBound...])
    }

    /// The subsection of known differences: a table of route, caller and what the server answers today.
    static let differencesHeading = "### Where the server differs today"

    private mutating func readKnownDifferences(_ section: Substring) throws {
        guard let start = section.range(of: "\n" + Self.differencesHeading + "\n") else { return }
        for line in section[start.upperBound...].split(separator: "\n") {
            if line.hasPrefix("#") { break }
            let fields = line.split(separator: "|", omittingEmptySubsequences: false).dropFirst().dropLast()
                .map { $0.trimmingCharacters(in: .whitespaces) }
            guard line.hasPrefix("| `"), fields.count == 3 else { continue }
            let route = fields[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            guard rows[route] != nil else { throw Unreadable(description: "a known difference names \(route), which has no row") }
            guard let column = Column(rawValue: fields[1]) else {
                throw Unreadable(description: "a known difference of \(route) names the caller '\(fields[1])', which is no column")
            }
            knownDifferences[route, default: [:]][column] = fields[2]
        }
    }

    /// The table in docs/tenancy.md.
    static func fromDocument() throws -> PermissionTable {
        let document = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/tenancy.md")
        return try PermissionTable(markdown: String(contentsOf: document, encoding: .utf8))
    }

    /// The routes of `routed` without a row, and the rows that name none of them (both sorted).
    func differences(from routed: [String]) -> (withoutRow: [String], withoutRoute: [String]) {
        let routed = Set(routed)
        return (routed.subtracting(routes).sorted(), Set(routes).subtracting(routed).sorted())
    }

    /// Whether a route takes a credential: no credential is a 401 there, and some caller gets another answer (the
    /// signed webhook, a 401 for every caller, takes none).
    func takesACredential(_ route: String) -> Bool {
        guard let row = rows[route], row[.none] == .unauthorized else { return false }
        return row.values.contains { $0 != .unauthorized }
    }
}
