import Foundation
import Hummingbird

/// The fields of a submitted `application/x-www-form-urlencoded` form (every form of the dashboard).
struct DashboardForm: Sendable {
    /// The largest form body accepted: the dashboard's forms are small.
    static let maximumBytes = 64 * 1024

    var fields: [String: String]

    /// The named field, nil when absent; trimmed of surrounding white space.
    subscript(_ name: String) -> String? { fields[name]?.trimmingCharacters(in: .whitespacesAndNewlines) }

    /// The named field, nil when absent or empty.
    func nonEmpty(_ name: String) -> String? {
        guard let value = self[name], !value.isEmpty else { return nil }
        return value
    }

    /// Reads the request's body as a form.
    static func read(_ request: Request) async throws -> DashboardForm {
        var request = request
        let buffer = try await request.collectBody(upTo: maximumBytes)
        return DashboardForm(parsing: String(buffer: buffer))
    }

    /// Parses `a=1&b=two+words`; the first of repeated names wins.
    init(parsing text: String) {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (part: Substring) in String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            let name = decode(parts[0])
            if fields[name] == nil { fields[name] = parts.count > 1 ? decode(parts[1]) : "" }
        }
        self.fields = fields
    }

    init(fields: [String: String]) {
        self.fields = fields
    }
}
