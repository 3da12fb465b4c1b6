import Foundation
import SlipwayClient

/// A workspace named on the command line or in the environment: its id or its name.
enum WorkspaceReference {
    /// `text` trimmed; an error naming `source` when it cannot name a workspace (it is sent as a header as it is).
    static func validated(_ text: String, source: String) throws -> String {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
            throw CommandError("\(source) must be a workspace's name or id (letters, digits and dashes), got '\(text)'")
        }
        return trimmed
    }

    /// Whether `reference` (an id, or a name in any case) names `workspace`.
    static func names(_ reference: String, _ workspace: WorkspaceInfo) -> Bool {
        if let id = Int64(reference) { return id == workspace.id }
        return reference.lowercased() == workspace.name
    }
}
