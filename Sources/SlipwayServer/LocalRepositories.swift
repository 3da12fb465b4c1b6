import Foundation
import Logging
import SlipwayCore
import SlipwaySandbox

/// The directories local repositories may be cloned from (docs/security-inputs.md): those the operator allowed with
/// `--allow-local-repositories` / `SLIPWAY_ALLOW_LOCAL_REPOSITORIES`, and the git checkout the server was started in
/// (so that the README's quickstart works), never the data directory.
enum LocalRepositories {
    /// The repository rules of this start; logs which local directories are allowed and why.
    static func rules(_ configuration: SlipwayConfiguration, layout: DataLayout, logger: Logger) throws -> RepositorySourceRules {
        var directories: [String] = []
        for directory in configuration.allowedLocalRepositories {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ConfigurationError("--allow-local-repositories: '\(directory)' is not a directory")
            }
            directories.append(directory)
        }
        if configuration.allowsWorkingCheckout, let checkout = workingCheckout(from: FileManager.default.currentDirectoryPath) {
            directories.append(checkout)
            logger.notice(
                "local repositories: allowing \(checkout), the git checkout the server was started in (only it and --allow-local-repositories)"
            )
        }
        let rules = RepositorySourceRules(allowedLocalDirectories: directories, dataDirectory: layout.root, paths: FileSystemPaths())
        for directory in configuration.allowedLocalRepositories {
            logger.info("local repositories: allowing \(FileSystemPaths().realPath(directory)) (--allow-local-repositories)")
        }
        if rules.allowedLocalDirectories.contains(where: { RepositorySourceRules.path(rules.dataDirectory, isInside: $0) }) {
            logger.info("local repositories: the data directory \(rules.dataDirectory) lies in an allowed directory and stays refused")
        }
        if rules.allowedLocalDirectories.isEmpty {
            logger.info("local repositories: none allowed; repositories come by https, http, ssh or git")
        }
        return rules
    }

    /// The top level of the git working tree `directory` lies in (the directory holding `.git`, a directory or, in a
    /// linked worktree, a file), or nil outside any.
    static func workingCheckout(from directory: String) -> String? {
        var current = URL(fileURLWithPath: FileSystemPaths().realPath(directory))
        while true {
            if FileManager.default.fileExists(atPath: current.appendingPathComponent(".git").path) { return current.path }
            let parent = current.deletingLastPathComponent()
            if parent.path == current.path { return nil }
            current = parent
        }
    }
}
