import Foundation
import Hummingbird
import SlipwayCore

extension Request {
    /// The values of the query-string parameters a listing parser reads (the last one when a name repeats).
    ///
    /// Read from the raw query: `+` means a space (as HTML forms and most URL libraries encode it) and `%2B` a plus,
    /// so JSON in `filter` arrives intact whichever way a client encoded it.
    func listingParameters(for parser: DeploymentQueryParser) -> [String: String] {
        let wanted = Set(parser.parameterNames)
        var values: [String: String] = [:]
        for pair in (uri.query ?? "").split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.formDecode(parts[0]), wanted.contains(name) else { continue }
            values[name] = parts.count > 1 ? (Self.formDecode(parts[1]) ?? String(parts[1])) : ""
        }
        return values
    }

    /// `application/x-www-form-urlencoded` decoding of one name or value.
    private static func formDecode(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}
