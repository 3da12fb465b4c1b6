import Foundation

/// How strongly commands are isolated on this machine, best first.
public enum Isolation: Sendable, Equatable {
    /// bubblewrap: a private PID namespace, a read-only root, the data directory hidden.
    case bubblewrap(executable: String)
    /// util-linux `unshare`: user, mount and PID namespaces, the data directory hidden by a tmpfs.
    case unshare(executable: String)
    /// A plain process group: no filesystem isolation at all.
    case processGroup

    /// One line for the start-up log.
    public var summary: String {
        switch self {
        case .bubblewrap(let path): "bubblewrap (\(path)): PID namespace, read-only root, data directory hidden"
        case .unshare(let path): "unshare (\(path)): user, mount and PID namespaces, data directory hidden"
        case .processGroup: "none: builds run as plain process groups and can read the data directory"
        }
    }
}

/// One shell command to run isolated.
public struct SandboxSpec: Sendable, Equatable {
    /// The `sh -c` command line.
    public var shellCommand: String
    /// Where the command starts.
    public var workingDirectory: String
    /// Directories the command may write and see even though they lie inside the hidden directory.
    public var writableDirectories: [String]
    /// A directory the command must not see at all (the data directory).
    public var hiddenDirectory: String
    /// The complete environment of the command.
    public var environment: [String: String]
    /// Directories the command may read (not write) even though they lie inside the hidden directory (a service's build).
    public var readOnlyDirectories: [String]

    public init(
        shellCommand: String, workingDirectory: String, writableDirectories: [String], hiddenDirectory: String,
        environment: [String: String], readOnlyDirectories: [String] = []
    ) {
        self.shellCommand = shellCommand
        self.workingDirectory = workingDirectory
        self.writableDirectories = writableDirectories
        self.hiddenDirectory = hiddenDirectory
        self.environment = environment
        self.readOnlyDirectories = readOnlyDirectories
    }
}

/// Turns a `SandboxSpec` into the argument array that runs it under the machine's isolation. Pure: no IO.
public struct Sandbox: Sendable, Equatable {
    public var isolation: Isolation

    public init(isolation: Isolation) {
        self.isolation = isolation
    }

    /// The command that runs `spec` under this sandbox.
    public func command(for spec: SandboxSpec) -> Command {
        switch isolation {
        case .bubblewrap(let executable):
            var arguments = [
                executable, "--die-with-parent", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
                "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
                "--tmpfs", spec.hiddenDirectory,
            ]
            for directory in spec.writableDirectories { arguments += ["--bind", directory, directory] }
            for directory in spec.readOnlyDirectories { arguments += ["--ro-bind", directory, directory] }
            arguments += ["--chdir", spec.workingDirectory, "--cap-drop", "ALL", "--", "/bin/sh", "-c", spec.shellCommand]
            return Command(arguments: arguments, environment: spec.environment)
        case .unshare(let executable):
            let arguments =
                [
                    executable, "--user", "--map-root-user", "--mount", "--pid", "--fork", "--mount-proc", "--kill-child",
                    "--", "/bin/sh", "-c",
                    Self.unshareScript(writableCount: spec.writableDirectories.count, readOnlyCount: spec.readOnlyDirectories.count),
                    "slipway-sandbox", spec.hiddenDirectory, spec.workingDirectory, spec.shellCommand,
                ] + spec.writableDirectories + spec.readOnlyDirectories
            return Command(arguments: arguments, environment: spec.environment)
        case .processGroup:
            return Command(
                arguments: ["/bin/sh", "-c", spec.shellCommand], environment: spec.environment,
                workingDirectory: spec.workingDirectory
            )
        }
    }

    /// The script run inside the new namespaces: keep a descriptor on each writable directory, cover /tmp and
    /// the hidden directory with empty tmpfs mounts, bind the writable directories back through their
    /// descriptors (read-only ones remounted read-only), then run the command. Arguments: $1 hidden, $2 working
    /// directory, $3 command, $4… writable, then read-only.
    static func unshareScript(writableCount: Int, readOnlyCount: Int = 0) -> String {
        var lines = ["set -e"]
        let count = writableCount + readOnlyCount
        for index in 0..<count { lines.append("exec \(index + 3)<\"${\(index + 4)}\"") }
        lines.append("mount -t tmpfs tmpfs /tmp")
        lines.append("mkdir -p \"$1\"")
        lines.append("mount -t tmpfs tmpfs \"$1\"")
        for index in 0..<count {
            lines.append("mkdir -p \"${\(index + 4)}\"")
            lines.append("mount --no-canonicalize --bind /proc/self/fd/\(index + 3) \"${\(index + 4)}\"")
            if index >= writableCount {
                lines.append("mount --no-canonicalize -o remount,bind,ro \"${\(index + 4)}\"")
            }
            lines.append("exec \(index + 3)<&-")
        }
        lines.append("cd \"$2\"")
        lines.append("set +e")
        lines.append("exec /bin/sh -c \"$3\"")
        return lines.joined(separator: "\n")
    }

    /// Finds the strongest isolation that works here: each candidate must run `true` successfully.
    public static func detect(hiddenDirectory: String) async -> Isolation {
        let probe = SandboxSpec(
            shellCommand: "true", workingDirectory: "/", writableDirectories: [], hiddenDirectory: hiddenDirectory,
            environment: ["PATH": defaultPath]
        )
        for candidate in [Isolation.bubblewrap(executable: "bwrap"), .unshare(executable: "unshare")] {
            let sandbox = Sandbox(isolation: candidate)
            guard let executable = sandbox.command(for: probe).arguments.first, let path = findExecutable(executable) else { continue }
            let resolved: Isolation =
                switch candidate {
                case .bubblewrap: .bubblewrap(executable: path)
                case .unshare: .unshare(executable: path)
                case .processGroup: .processGroup
                }
            let command = Sandbox(isolation: resolved).command(for: probe)
            if let (termination, _) = try? await ChildProcess.capture(command, timeout: .seconds(10)), termination.succeeded {
                return resolved
            }
        }
        return .processGroup
    }

    /// The PATH every sandboxed command gets.
    public static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// The absolute path of `name` on the default PATH, if it is there.
    public static func findExecutable(_ name: String) -> String? {
        if name.hasPrefix("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        for directory in defaultPath.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
