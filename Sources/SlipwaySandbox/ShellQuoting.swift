import Foundation

/// Arguments pasted into a `sh -c` line safely: each in single quotes, a single quote inside as `'\''`.
public enum ShellQuoting {
    /// One argument as the shell reads it back unchanged.
    public static func quote(_ argument: String) -> String {
        "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// Arguments joined by spaces, each quoted.
    public static func join(_ arguments: [String]) -> String {
        arguments.map(quote).joined(separator: " ")
    }
}
