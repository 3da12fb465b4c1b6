import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// What `stat(2)` says about a path, reduced to what static serving needs.
struct FileStatus: Sendable, Equatable {
    /// The kinds of file the server tells apart; only regular files are ever served.
    enum Kind: Sendable, Equatable {
        case regularFile
        case directory
        case other
    }

    var kind: Kind
    var size: Int
    var modificationSeconds: Int
    var modificationNanoseconds: Int
    var inode: UInt64

    /// The status of the file at `path`, a real path (`realPath`: a link is not followed but reported as `.other`);
    /// nil when it does not exist or cannot be read. (Through Foundation: `struct stat` is seen through more than one
    /// C module in this target, which makes the compiler's member-import check fail depending on the build's order.)
    static func of(_ path: String) -> FileStatus? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let size = (attributes[.size] as? NSNumber)?.intValue,
            let modified = attributes[.modificationDate] as? Date,
            let inode = (attributes[.systemFileNumber] as? NSNumber)?.uint64Value
        else { return nil }
        let kind: Kind =
            switch attributes[.type] as? FileAttributeType {
            case .typeRegular?: .regularFile
            case .typeDirectory?: .directory
            default: .other
            }
        let seconds = modified.timeIntervalSince1970.rounded(.down)
        return FileStatus(
            kind: kind, size: size, modificationSeconds: Int(seconds),
            modificationNanoseconds: min(999_999_999, Int(((modified.timeIntervalSince1970 - seconds) * 1e9).rounded())), inode: inode)
    }

    /// The absolute path with every symbolic link, `.` and `..` resolved (`realpath(3)`); nil if it does not exist.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Whether this process may read the file at `path`.
    static func isReadable(_ path: String) -> Bool {
        access(path, R_OK) == 0
    }

    /// A strong entity tag: size, modification time in nanoseconds and inode, in hex.
    var entityTag: String {
        let nanoseconds =
            Int64(modificationSeconds).multipliedReportingOverflow(by: 1_000_000_000).partialValue
            &+ Int64(modificationNanoseconds)
        return "\"\(String(size, radix: 16))-\(String(UInt64(bitPattern: nanoseconds), radix: 16))-\(String(inode, radix: 16))\""
    }

    /// The modification time as an HTTP date.
    var lastModified: String { HTTPDate.format(secondsSince1970: modificationSeconds) }
}
