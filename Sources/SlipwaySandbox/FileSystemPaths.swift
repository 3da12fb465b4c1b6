import Foundation
public import SlipwayCore

#if canImport(Glibc)
    import Glibc
#endif

/// Real paths from this machine's file system: what the rules of local repositories judge (RepositorySourceRules).
public struct FileSystemPaths: PathResolver {
    public init() {}

    /// `path` made absolute with every link and `..` resolved, as the kernel would resolve it. The part that does not
    /// exist (yet) is kept as written after the longest prefix that does, with `.` and `..` applied to it.
    public func realPath(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var resolved = "/"
        var components = absolute.split(separator: "/", omittingEmptySubsequences: true).map(String.init)[...]
        var exists = true
        while let component = components.popFirst() {
            if exists {
                let candidate = (resolved == "/" ? "" : resolved) + "/" + component
                if let real = Self.systemRealPath(candidate) {
                    resolved = real
                    continue
                }
                exists = false
            }
            switch component {
            case ".": continue
            case "..": resolved = resolved == "/" ? "/" : String(resolved[..<(resolved.lastIndex(of: "/") ?? resolved.startIndex)])
            default: resolved = (resolved == "/" ? "" : resolved) + "/" + component
            }
            if resolved.isEmpty { resolved = "/" }
        }
        return resolved
    }

    private static func systemRealPath(_ path: String) -> String? {
        guard let pointer = realpath(path, nil) else { return nil }
        defer { free(pointer) }
        return String(cString: pointer)
    }
}
