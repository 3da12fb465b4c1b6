import Foundation
import SlipwayClient

/// How commands print: tables with colour on a terminal only, JSON for `--json`, durations and ages for people.
enum Output {
    /// Whether standard output is a terminal (colour, live progress).
    static var isTerminal: Bool { isatty(STDOUT_FILENO) == 1 }

    /// Prints a value as pretty JSON.
    static func json(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    /// Prints rows as aligned columns under a header.
    static func table(_ header: [String], _ rows: [[String]], colors: [(Int, (String) -> String)] = []) {
        let widths = header.indices.map { column in ([header] + rows).map { visibleWidth($0[column]) }.max() ?? 0 }
        func line(_ cells: [String], bold: Bool) -> String {
            cells.enumerated().map { index, cell in
                let padded = cell + String(repeating: " ", count: widths[index] - visibleWidth(cell))
                if bold { return paint(padded, code: "1") }
                return colors.first { $0.0 == index }.map { $0.1(padded) } ?? padded
            }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        print(line(header, bold: true))
        rows.forEach { print(line($0, bold: false)) }
    }

    /// Wraps text in an ANSI colour on a terminal; plain text otherwise.
    static func paint(_ text: String, code: String) -> String {
        isTerminal && ProcessInfo.processInfo.environment["NO_COLOR"] == nil ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    /// A deployment state in its colour.
    static func state(_ state: String) -> String {
        switch state.trimmingCharacters(in: .whitespaces) {
        case "success": paint(state, code: "32")
        case "failed": paint(state, code: "31")
        case "running": paint(state, code: "36")
        case "queued": paint(state, code: "33")
        default: paint(state, code: "2")
        }
    }

    /// "3s", "4m 12s", "1h 5m".
    static func duration(_ seconds: Int) -> String {
        if seconds < 60 { return "\(seconds)s" }
        if seconds < 3600 { return "\(seconds / 60)m \(seconds % 60)s" }
        return "\(seconds / 3600)h \(seconds % 3600 / 60)m"
    }

    /// "just now", "5m ago", "3h ago", "2d ago" from an API timestamp.
    static func age(_ timestamp: String, now: Date = Date()) -> String {
        guard let date = parse(timestamp) else { return timestamp }
        let seconds = max(0, Int(now.timeIntervalSince(date)))
        if seconds < 10 { return "just now" }
        if seconds < 60 { return "\(seconds)s ago" }
        if seconds < 3600 { return "\(seconds / 60)m ago" }
        if seconds < 86_400 { return "\(seconds / 3600)h ago" }
        return "\(seconds / 86_400)d ago"
    }

    /// Parses `2026-01-17T13:55:31.000000Z`.
    static func parse(_ timestamp: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: timestamp)
    }

    private static func visibleWidth(_ text: String) -> Int { text.count }
}

/// What `ls` and `show` print for one deployment with `--json`.
struct DeploymentJSON: Encodable {
    var id: Int64
    var project_id: Int64
    var state: String
    var environment: String
    var trigger: String
    var git_branch: String
    var commit_id: String?
    var description: String
    var url: String
    var aliases: [String]
    var duration: Int
    var created_at: String
    var error: String?

    init(_ deployment: DeploymentInfo) {
        id = deployment.id
        project_id = deployment.projectId
        state = deployment.state
        environment = deployment.environment
        trigger = deployment.trigger
        git_branch = deployment.gitBranch
        commit_id = deployment.commitId
        description = deployment.description
        url = deployment.url
        aliases = deployment.aliases
        duration = deployment.duration
        created_at = deployment.createdAt
        error = deployment.error
    }
}
