public import Foundation

extension DataLayout {
    /// The mode of the data directory and of every directory Slipway keeps in it: its owner only.
    public static let directoryMode: mode_t = 0o700
    /// The mode of every file Slipway writes in the data directory (database, keys, tokens, logs).
    public static let fileMode: mode_t = 0o600

    /// The directories Slipway makes in the data directory (the data directory first).
    public var privateDirectories: [String] { [root, builds, logs, work, runtime, gitRepositories] }

    /// The files Slipway keeps directly in the data directory: the SQLite database with its journals, the secret key,
    /// the admin token and the admin password.
    public var privateFiles: [String] {
        [database, database + "-wal", database + "-shm", database + "-journal", secretKeyFile, adminTokenFile, adminPasswordFile]
    }
}
