#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// What `stat(2)` says about a path (following symbolic links), reduced to what static serving needs.
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

    /// The status of the file at `path`, following symbolic links; nil when it does not exist or cannot be read.
    static func of(_ path: String) -> FileStatus? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let kind: Kind =
            switch info.st_mode & S_IFMT {
            case S_IFREG: .regularFile
            case S_IFDIR: .directory
            default: .other
            }
        #if canImport(Darwin)
            let modification = info.st_mtimespec
        #else
            let modification = info.st_mtim
        #endif
        return FileStatus(
            kind: kind,
            size: Int(info.st_size),
            modificationSeconds: Int(modification.tv_sec),
            modificationNanoseconds: Int(modification.tv_nsec),
            inode: UInt64(info.st_ino)
        )
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
