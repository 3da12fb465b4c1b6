import Foundation
public import SlipwayCore

#if canImport(Glibc)
    import Glibc
#endif

/// The data directory on disk: made, kept private, its database file created with the right mode. The paths and
/// modes are Core's (`DataLayout`); the file-system work is here, so that Core does no IO.
extension DataLayout {
    /// Creates the directories that must exist before anything runs, with mode 0700 (`privateDirectories`), and the
    /// data directory's missing parents; then checks that the data directory can be written to.
    public func createDirectories() throws {
        // mkdir's ENOENT, with the parent made first: a file system (such as /proc) that takes no new directories.
        func mkdirFailure(_ action: String) -> DataDirectoryError {
            errno == ENOENT
                ? DataDirectoryError("cannot \(action): the file system there does not allow new directories")
                : DataDirectoryError(cannot: action, because: errno)
        }
        var parent = ""
        for component in (root as NSString).deletingLastPathComponent.split(separator: "/") {
            parent += "/" + component
            if mkdir(parent, 0o777) != 0 && errno != EEXIST { throw mkdirFailure("create the data directory \(root)") }
        }
        if mkdir(root, Self.directoryMode) != 0 && errno != EEXIST { throw mkdirFailure("create the data directory \(root)") }
        var status = stat()
        guard stat(root, &status) == 0 else { throw DataDirectoryError(cannot: "use the data directory \(root)", because: errno) }
        guard status.st_mode & S_IFMT == S_IFDIR else {
            throw DataDirectoryError("cannot use the data directory \(root): it is a file, not a directory")
        }
        guard access(root, W_OK | X_OK) == 0 else { throw DataDirectoryError(cannot: "write in the data directory \(root)", because: errno) }
        for directory in privateDirectories.dropFirst() where mkdir(directory, Self.directoryMode) != 0 && errno != EEXIST {
            throw mkdirFailure("create \(directory) in the data directory")
        }
    }

    /// Creates the SQLite database file empty with mode 0600 when it does not exist yet, before SQLite opens it:
    /// SQLite gives its `-wal` and `-shm` files the mode of the database file.
    public func createDatabaseFile() throws {
        let fd = open(database, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, Self.fileMode)
        if fd >= 0 {
            close(fd)
        } else if errno != EEXIST {
            throw DataDirectoryError(cannot: "create the database file \(database)", because: errno)
        }
    }

    /// Tightens an existing data directory (one made before this rule, or by another tool) at start-up: the data
    /// directory and Slipway's directories in it to 0700; the database and its journals, the secret key, the admin
    /// token and every log to 0600. Links are never followed (a link is left as it is); the trees of builds, work
    /// directories and git repositories keep their own modes, behind their 0700 directories. Returns the paths it
    /// changed.
    @discardableResult
    public func tightenPermissions() throws -> [String] {
        var changed: [String] = []
        for directory in privateDirectories {
            if try Self.setMode(Self.directoryMode, of: directory, expecting: S_IFDIR) { changed.append(directory) }
        }
        var files = privateFiles
        if let names = try? FileManager.default.contentsOfDirectory(atPath: logs) {
            files += names.sorted().map { logs + "/" + $0 }
        }
        for file in files {
            if try Self.setMode(Self.fileMode, of: file, expecting: S_IFREG) { changed.append(file) }
        }
        return changed
    }

    /// Sets the permission bits of `path` to `mode` when it is of `type` (not a link) and has other bits; true when
    /// it changed them. A missing path is left alone.
    private static func setMode(_ mode: mode_t, of path: String, expecting type: mode_t) throws -> Bool {
        var status = stat()
        guard lstat(path, &status) == 0 else {
            if errno == ENOENT { return false }
            throw DataDirectoryError(cannot: "read the mode of \(path)", because: errno)
        }
        guard status.st_mode & S_IFMT == type, status.st_mode & 0o7777 != mode else { return false }
        guard chmod(path, mode) == 0 else {
            throw DataDirectoryError(cannot: "set the mode of \(path) to \(String(mode, radix: 8))", because: errno)
        }
        return true
    }
}

/// The data directory (or a file Slipway keeps in it) cannot be created, written or made private.
public struct DataDirectoryError: Error, CustomStringConvertible {
    /// A sentence: what could not be done and why.
    public var description: String

    public init(_ description: String) {
        self.description = description
    }

    /// "cannot `action`: `reason in words`" for the system error `code`.
    public init(cannot action: String, because code: Int32) {
        self.init("cannot \(action): \(Self.reason(code))")
    }

    /// A system error in words a person reads, e.g. "the file system is read-only".
    public static func reason(_ code: Int32) -> String {
        switch code {
        case EACCES, EPERM: "permission denied"
        case EROFS: "the file system is read-only"
        case ENOTDIR: "a part of the path is a file, not a directory"
        case ENOENT: "no such file or directory"
        case ENOSPC: "no space left on the device"
        case EDQUOT: "the disk quota is used up"
        case ELOOP: "the path has too many symbolic links"
        case ENAMETOOLONG: "the path is too long"
        default: String(cString: strerror(code)).lowercased()
        }
    }
}
