public import Foundation

extension DataLayout {
    /// The mode of the data directory and of every directory Slipway keeps in it: its owner only.
    public static let directoryMode: mode_t = 0o700
    /// The mode of every file Slipway writes in the data directory (database, keys, tokens, logs).
    public static let fileMode: mode_t = 0o600

    /// The directories Slipway makes in the data directory (the data directory first).
    public var privateDirectories: [String] { [root, builds, logs, work, runtime, gitRepositories] }

    /// The files Slipway keeps directly in the data directory: the SQLite database with its journals, the secret key
    /// and the admin token.
    public var privateFiles: [String] {
        [database, database + "-wal", database + "-shm", database + "-journal", secretKeyFile, adminTokenFile]
    }

    /// Creates the SQLite database file empty with mode 0600 when it does not exist yet, before SQLite opens it:
    /// SQLite gives its `-wal` and `-shm` files the mode of the database file.
    public func createDatabaseFile() throws {
        let fd = open(database, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, Self.fileMode)
        if fd >= 0 {
            close(fd)
        } else if errno != EEXIST {
            throw DataDirectoryError("cannot create \(database): \(String(cString: strerror(errno)))")
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
            throw DataDirectoryError("cannot read the mode of \(path): \(String(cString: strerror(errno)))")
        }
        guard status.st_mode & S_IFMT == type, status.st_mode & 0o7777 != mode else { return false }
        guard chmod(path, mode) == 0 else {
            throw DataDirectoryError("cannot set the mode of \(path) to \(String(mode, radix: 8)): \(String(cString: strerror(errno)))")
        }
        return true
    }
}

/// The data directory cannot be made private.
public struct DataDirectoryError: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
