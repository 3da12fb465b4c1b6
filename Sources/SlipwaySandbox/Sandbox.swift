import Foundation

/// How strongly commands are isolated on this machine, best first.
public enum Isolation: Sendable, Equatable {
    /// bubblewrap: a root of its own (system directories read-only, nothing of the data directory), private PID, IPC
    /// and UTS namespaces, a seccomp filter, and a network namespace of its own where the setup offers one.
    case bubblewrap(BubblewrapSetup)
    /// util-linux `unshare`: user, mount and PID namespaces, the data directory hidden by a tmpfs.
    case unshare(executable: String)
    /// A plain process group: no filesystem isolation at all.
    case processGroup

    /// One line for the start-up log.
    public var summary: String {
        switch self {
        case .bubblewrap(let setup): "bubblewrap (\(setup.executable)): \(setup.summary)"
        case .unshare(let path): "unshare (\(path)): user, mount and PID namespaces, data directory hidden"
        case .processGroup: "none: builds run as plain process groups and can read the data directory"
        }
    }
}

/// What bubblewrap needs to know about this machine, found once at start-up (`SandboxDetection`).
public struct BubblewrapSetup: Sendable, Equatable {
    /// One entry of the host's root directory that a sandbox sees read-only.
    public enum SystemEntry: Sendable, Equatable {
        /// A directory bound read-only at the same path (`/usr`).
        case directory(String)
        /// A symbolic link recreated as it is on the host (`/bin` → `usr/bin`).
        case link(String, target: String)
    }

    /// The `bwrap` executable.
    public var executable: String
    /// The host's system directories the sandbox sees read-only; everything else of the host is absent.
    public var systemEntries: [BubblewrapSetup.SystemEntry]
    /// The writable knobs of `/proc` that exist here; each is made read-only inside.
    public var readOnlyProcEntries: [String]
    /// `setpriv`, when the server runs as root: bubblewrap sets up the sandbox with root's rights, then the command
    /// drops to the sandbox user (`SandboxSpec.user`) with no capabilities and `no_new_privs`. Nil when the server
    /// runs unprivileged: bubblewrap then makes a user namespace and the command keeps the server's own uid.
    public var setpriv: String?
    /// `slirp4netns`, when commands get a network namespace of their own with a way out that does not reach the
    /// host's loopback. Nil: they share the host's network.
    public var slirp4netns: String?
    /// The seccomp program every command runs under (nil where this architecture has none).
    public var seccomp: SeccompFilter?

    public init(
        executable: String, systemEntries: [BubblewrapSetup.SystemEntry] = BubblewrapSetup.standardSystemEntries,
        readOnlyProcEntries: [String] = ["/proc/sys"], setpriv: String? = nil, slirp4netns: String? = nil,
        seccomp: SeccompFilter? = SeccompFilter.standard
    ) {
        self.executable = executable
        self.systemEntries = systemEntries
        self.readOnlyProcEntries = readOnlyProcEntries
        self.setpriv = setpriv
        self.slirp4netns = slirp4netns
        self.seccomp = seccomp
    }

    /// A Debian-like root with merged `/usr`, for tests and as the fallback of detection.
    public static let standardSystemEntries: [BubblewrapSetup.SystemEntry] = [
        .directory("/usr"), .directory("/etc"), .directory("/opt"), .link("/bin", target: "usr/bin"),
        .link("/sbin", target: "usr/sbin"), .link("/lib", target: "usr/lib"), .link("/lib64", target: "usr/lib64"),
    ]

    /// Whether commands get a network namespace of their own.
    public var hasPrivateNetwork: Bool { slirp4netns != nil }

    /// What the sandbox does, for the start-up log and each deployment's log.
    public var summary: String {
        var parts = [
            setpriv == nil ? "the server's own uid in a user namespace" : "an unprivileged uid per workspace",
            "no capabilities", "no_new_privs",
        ]
        parts.append(seccomp == nil ? "no seccomp filter (unsupported architecture)" : "seccomp filter")
        parts += ["private PID namespace", "read-only system directories", "data directory absent"]
        parts.append(hasPrivateNetwork ? "own network namespace (slirp4netns, no host loopback)" : "host network")
        return parts.joined(separator: ", ")
    }
}

/// Which host identity a sandboxed command runs as (when the server runs as root; otherwise its own).
public struct SandboxUser: Sendable, Equatable {
    public var uid: UInt32
    public var gid: UInt32

    public init(uid: UInt32, gid: UInt32) {
        self.uid = uid
        self.gid = gid
    }

    /// The first uid (and gid) of the range sandboxes run as: far above the ids of people and system accounts.
    public static let defaultBase: UInt32 = 2_000_000_000

    /// `defaultBase` when this process runs as root (it can and must drop to another uid), nil otherwise.
    public static var defaultBaseWhenRoot: UInt32? { geteuid() == 0 ? defaultBase : nil }

    /// The dedicated id of one workspace: `base + workspace id`. Builds and services of different workspaces never
    /// share a uid; those of one workspace are still apart by their namespaces.
    public static func workspace(_ workspaceID: Int64, base: UInt32 = defaultBase) -> SandboxUser {
        let id = base &+ UInt32(truncatingIfNeeded: max(workspaceID, 0))
        return SandboxUser(uid: id, gid: id)
    }
}

/// A host directory a sandboxed command sees.
public struct SandboxMount: Sendable, Equatable {
    /// The directory on the host.
    public var hostPath: String
    /// Its name inside: bubblewrap shows it at `/slipway/<name>`.
    public var name: String
    /// Whether the command may write it.
    public var writable: Bool

    public init(hostPath: String, name: String, writable: Bool) {
        self.hostPath = hostPath
        self.name = name
        self.writable = writable
    }
}

/// One shell command to run isolated.
public struct SandboxSpec: Sendable, Equatable {
    /// The `sh -c` command line.
    public var shellCommand: String
    /// Where the command starts, as the command sees it (see `Sandbox.insidePath(of:)`).
    public var workingDirectory: String
    /// The host directories the command sees.
    public var mounts: [SandboxMount]
    /// A directory the command must not see at all (the data directory).
    public var hiddenDirectory: String
    /// The complete environment of the command.
    public var environment: [String: String]
    /// The host identity of the command when the server runs as root.
    public var user: SandboxUser?

    public init(
        shellCommand: String, workingDirectory: String, mounts: [SandboxMount], hiddenDirectory: String,
        environment: [String: String], user: SandboxUser? = nil
    ) {
        self.shellCommand = shellCommand
        self.workingDirectory = workingDirectory
        self.mounts = mounts
        self.hiddenDirectory = hiddenDirectory
        self.environment = environment
        self.user = user
    }
}

/// Turns a `SandboxSpec` into the argument array that runs it under the machine's isolation. Pure: no IO.
///
/// Under bubblewrap the command may receive descriptors from the runner (`SandboxedProcess`), always at the same
/// numbers: the seccomp program on 3, and with a private network bubblewrap's info pipe on 4, its start signal on 5 and
/// the sandbox's `resolv.conf` on 6.
public struct Sandbox: Sendable, Equatable {
    public var isolation: Isolation

    public init(isolation: Isolation) {
        self.isolation = isolation
    }

    /// The descriptor numbers a bubblewrap command expects (see `SandboxedProcess`).
    public enum Descriptor {
        public static let seccomp: Int32 = 3
        public static let info: Int32 = 4
        public static let start: Int32 = 5
        /// The `/etc/resolv.conf` of a sandbox with a private network.
        public static let resolvConf: Int32 = 6
    }

    /// The directory under which bubblewrap shows the mounts.
    public static let mountRoot = "/slipway"

    /// Where `mount` appears to the command: `/slipway/<name>` under bubblewrap, its host path otherwise.
    public func insidePath(of mount: SandboxMount) -> String {
        if case .bubblewrap = isolation { return Self.mountRoot + "/" + mount.name }
        return mount.hostPath
    }

    /// Whether commands get a network namespace of their own (and a descriptor to find it by).
    public var hasPrivateNetwork: Bool {
        if case .bubblewrap(let setup) = isolation { return setup.hasPrivateNetwork }
        return false
    }

    /// The command that runs `spec` under this sandbox.
    public func command(for spec: SandboxSpec) -> Command {
        switch isolation {
        case .bubblewrap(let setup):
            return Command(arguments: Self.bubblewrapArguments(spec, setup: setup), environment: spec.environment)
        case .unshare(let executable):
            // Started by root, unshare makes no user namespace (the mounts need root's way through the data
            // directory) and the script drops to the sandbox user last; otherwise it maps the server's uid to root
            // of a new user namespace.
            let writableCount = spec.mounts.filter(\.writable).count
            let script = Self.unshareScript(
                writableCount: writableCount, readOnlyCount: spec.mounts.count - writableCount,
                dropPrivileges: Self.droppingPrivileges(to: spec.user, keepBoundingSet: false))
            var arguments: [String] = [executable]
            if spec.user == nil { arguments += ["--user", "--map-root-user"] }
            arguments += ["--mount", "--pid", "--fork", "--mount-proc", "--kill-child", "--", "/bin/sh", "-c", script, "slipway-sandbox"]
            arguments += [spec.hiddenDirectory, spec.workingDirectory, spec.shellCommand]
            arguments += Self.unshareMountOrder(spec.mounts).map(\.hostPath)
            return Command(arguments: arguments, environment: spec.environment)
        case .processGroup:
            var arguments = Self.droppingPrivileges(to: spec.user, keepBoundingSet: false)
            arguments += ["/bin/sh", "-c", spec.shellCommand]
            return Command(
                arguments: arguments,
                environment: spec.environment, workingDirectory: spec.workingDirectory
            )
        }
    }

    static func bubblewrapArguments(_ spec: SandboxSpec, setup: BubblewrapSetup) -> [String] {
        var arguments = [
            setup.executable, "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
        ]
        if setup.hasPrivateNetwork { arguments.append("--unshare-net") }
        if setup.setpriv == nil { arguments += ["--unshare-user", "--disable-userns"] }
        arguments += ["--tmpfs", "/"]
        for entry in setup.systemEntries {
            switch entry {
            case .directory(let path): arguments += ["--ro-bind", path, path]
            case .link(let path, let target): arguments += ["--symlink", target, path]
            }
        }
        arguments += ["--dev", "/dev", "--proc", "/proc"]
        for entry in setup.readOnlyProcEntries { arguments += ["--ro-bind", entry, entry] }
        arguments += ["--perms", "1777", "--tmpfs", "/tmp", "--perms", "1777", "--tmpfs", "/var/tmp", "--perms", "0755", "--dir", mountRoot]
        for mount in spec.mounts {
            arguments += [mount.writable ? "--bind" : "--ro-bind", mount.hostPath, mountRoot + "/" + mount.name]
            // A mount that contains the hidden directory (a local repository holding the default ./.slipway) shows
            // an empty directory in its place.
            if spec.hiddenDirectory.hasPrefix(mount.hostPath + "/") {
                arguments += ["--tmpfs", mountRoot + "/" + mount.name + spec.hiddenDirectory.dropFirst(mount.hostPath.count)]
            }
        }
        if setup.hasPrivateNetwork {
            // slirp4netns answers DNS on 10.0.2.3; the host's resolver may sit on its loopback, out of reach.
            arguments += ["--ro-bind-data", String(Descriptor.resolvConf), "/etc/resolv.conf"]
        }
        arguments += ["--chdir", spec.workingDirectory]
        if setup.seccomp != nil { arguments += ["--seccomp", String(Descriptor.seccomp)] }
        if setup.hasPrivateNetwork { arguments += ["--info-fd", String(Descriptor.info), "--block-fd", String(Descriptor.start)] }
        if let setpriv = setup.setpriv {
            // Root sets the sandbox up; the command itself is the sandbox user with nothing of root left.
            arguments += ["--"] + droppingPrivileges(to: spec.user, setpriv: setpriv, keepBoundingSet: false)
        } else {
            arguments += ["--cap-drop", "ALL", "--"]
        }
        return arguments + ["/bin/sh", "-c", spec.shellCommand]
    }

    /// `setpriv` to the sandbox user with no supplementary groups, no capabilities and `no_new_privs`; empty when
    /// there is no user to drop to (the server is not root). `keepBoundingSet` leaves the bounding set (an
    /// unprivileged user namespace made afterwards needs it to mount inside).
    static func droppingPrivileges(to user: SandboxUser?, setpriv: String = "setpriv", keepBoundingSet: Bool) -> [String] {
        guard let user else { return [] }
        var arguments: [String] = [setpriv, "--reuid=\(user.uid)", "--regid=\(user.gid)", "--clear-groups", "--inh-caps=-all"]
        if !keepBoundingSet { arguments.append("--bounding-set=-all") }
        arguments += ["--no-new-privs", "--"]
        return arguments
    }

    /// The script run inside the new namespaces: keep a descriptor on each mount's directory, cover /tmp and the
    /// hidden directory with empty tmpfs mounts, bind the mounts back through their descriptors (writable ones first;
    /// read-only ones remounted read-only), then run the command — through `dropPrivileges` (setpriv to the sandbox
    /// user) when given. Arguments: $1 hidden, $2 working directory, $3 command, $4… the mounts' paths.
    static func unshareScript(writableCount: Int, readOnlyCount: Int = 0, dropPrivileges: [String] = []) -> String {
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
        let drop = dropPrivileges.isEmpty ? "" : ShellQuoting.join(dropPrivileges) + " "
        lines.append("exec " + drop + "/bin/sh -c \"$3\"")
        return lines.joined(separator: "\n")
    }

    /// The mounts in the order the unshare script binds them (writable first).
    static func unshareMountOrder(_ mounts: [SandboxMount]) -> [SandboxMount] {
        mounts.filter(\.writable) + mounts.filter { !$0.writable }
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
