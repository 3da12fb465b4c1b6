import Dispatch

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The cgroup of one build (named after the deployment's UUID), one directory in each usable hierarchy: it limits the
/// build's memory and processes and finds every process the build started, however it left its process group.
/// A value holding paths: it can be rebuilt from its name after a restart (`existing`, `killAndRemove`).
public struct BuildCgroup: Sendable, Equatable {
    /// The group's name, the same in every hierarchy.
    public let name: String
    /// The hierarchies the group lives in.
    public let support: CgroupSupport

    private init(name: String, support: CgroupSupport) {
        self.name = name
        self.support = support
    }

    /// The group's directory in each hierarchy, in the order of `support.hierarchies`.
    public var directories: [String] { support.hierarchies.map { directory(in: $0) } }

    /// The `cgroup.procs` files a process writes its pid to in order to join the group in every hierarchy.
    public var procsFiles: [String] { directories.map { $0 + "/cgroup.procs" } }

    /// Makes the group in every usable hierarchy and writes `limits` into it. Throws if a group of that name exists
    /// already (a leftover: `killAndRemove` it first) or a directory or limit cannot be written; nothing is left behind then.
    public static func create(name: String, limits: ResourceLimits, support: CgroupSupport) throws -> BuildCgroup {
        guard !name.isEmpty, name != ".", name != "..", !name.contains("/"), !name.contains("\0") else { throw CgroupError.invalidName(name) }
        guard support.isUsable else { throw CgroupError.unavailable }
        let cgroup = BuildCgroup(name: name, support: support)
        var created: [String] = []
        do {
            for directory in cgroup.directories {
                let error = CgroupFile.makeDirectory(directory)
                if error == EEXIST { throw CgroupError.alreadyExists(path: directory) }
                if error != 0 { throw CgroupError.cannotCreate(path: directory, reason: CgroupFile.errorText(error)) }
                created.append(directory)
            }
            for file in cgroup.limitFiles(for: limits) { try CgroupFile.set(file.path, to: file.value) }
        } catch {
            for directory in created.reversed() { try? CgroupFile.removeTree(directory) }
            throw error
        }
        return cgroup
    }

    /// The group of that name if it exists in any hierarchy (left over from a server that died, say), else nil.
    public static func existing(name: String, support: CgroupSupport) -> BuildCgroup? {
        guard !name.isEmpty, name != ".", name != "..", !name.contains("/") else { return nil }
        let cgroup = BuildCgroup(name: name, support: support)
        return cgroup.directories.contains(where: CgroupFile.isDirectory) ? cgroup : nil
    }

    /// The names of all build groups under the Slipway parents, sorted: after a restart, every one not running is a leftover.
    public static func existingNames(support: CgroupSupport) -> [String] {
        Array(Set(support.hierarchies.flatMap { CgroupFile.subdirectories(of: $0.parentDirectory) })).sorted()
    }

    /// Kills whatever is left in the group `name` and removes it. Returns whether there was such a group.
    @discardableResult
    public static func killAndRemove(name: String, support: CgroupSupport, timeout: Duration = .seconds(10)) async throws -> Bool {
        guard let cgroup = existing(name: name, support: support) else { return false }
        await cgroup.killAll(timeout: timeout)
        try cgroup.remove()
        return true
    }

    /// The control files `create` writes for `limits`, in order, with their exact values.
    func limitFiles(for limits: ResourceLimits) -> [ControlFileValue] {
        var files: [ControlFileValue] = []
        if let bytes = limits.memoryBytes, let hierarchy = support.memory {
            let directory = directory(in: hierarchy)
            switch hierarchy.version {
            case .v2:
                files.append(ControlFileValue(directory + "/memory.max", String(bytes)))
                if support.limitsSwap { files.append(ControlFileValue(directory + "/memory.swap.max", "0")) }
            case .v1:
                // memsw (memory + swap) may never be below the memory limit: set memory first.
                files.append(ControlFileValue(directory + "/memory.limit_in_bytes", String(bytes)))
                if support.limitsSwap { files.append(ControlFileValue(directory + "/memory.memsw.limit_in_bytes", String(bytes))) }
            }
        }
        if let count = limits.maxProcesses, let hierarchy = support.pids {
            files.append(ControlFileValue(directory(in: hierarchy) + "/pids.max", String(count)))
        }
        return files
    }

    /// The pids of every process in the group (in any hierarchy, child groups included).
    public var processIDs: [Int32] {
        Array(Set(directories.flatMap { CgroupFile.processIDs(inTree: $0) })).sorted()
    }

    /// Whether no process is left in the group.
    public var isEmpty: Bool { processIDs.isEmpty }

    /// How many times the kernel killed a process of this group for going over its memory limit (0 without a memory limit).
    public func outOfMemoryKills() -> Int {
        guard let hierarchy = support.memory else { return 0 }
        let directory = directory(in: hierarchy)
        return switch hierarchy.version {
        case .v2: CgroupFile.keyedValue("oom_kill", in: directory + "/memory.events") ?? 0
        case .v1: CgroupFile.keyedValue("oom_kill", in: directory + "/memory.oom_control") ?? 0
        }
    }

    /// Kills every process in the group: `cgroup.kill` where the kernel has it, and SIGKILL to every listed pid,
    /// repeated until the group is empty (a process may fork between listing and killing) or `timeout` has passed.
    /// Works when the calling task is cancelled too. Returns whether the group is empty.
    @discardableResult
    public func killAll(timeout: Duration = .seconds(10)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        let killDirectory = support.killsAtOnce ? support.tracking.map { directory(in: $0) } : nil
        let ownPID = getpid()
        while true {
            if let killDirectory, CgroupFile.isDirectory(killDirectory) { try? CgroupFile.set(killDirectory + "/cgroup.kill", to: "1") }
            let pids = processIDs.filter { $0 > 1 && $0 != ownPID }
            if pids.isEmpty { return true }
            for pid in pids { kill(pid, SIGKILL) }
            if ContinuousClock.now >= deadline { return isEmpty }
            await Self.pause(.milliseconds(10))
        }
    }

    /// Removes the group from every hierarchy (`rmdir`, child groups first). It must be empty: `killAll` first.
    public func remove() throws {
        for directory in directories.reversed() { try CgroupFile.removeTree(directory) }
    }

    /// Wraps `command` so that it runs inside this group from its first instruction (see `joining`).
    public func wrap(_ command: Command) -> Command {
        Self.joining(procsFiles: procsFiles, command: command)
    }

    /// The command that joins `procsFiles` and then runs `command`: a shell writes its own pid into each file and
    /// `exec`s the original argument array, passed through unchanged as positional parameters (nothing of it is pasted
    /// into the script). The pid stays the same across `exec`, so the command and everything it ever forks are
    /// inside the group, with no window in which a child could escape. If a file cannot be written the command does
    /// not run and the shell exits with status 125. Environment and working directory are those of `command`.
    public static func joining(procsFiles: [String], command: Command) -> Command {
        guard !procsFiles.isEmpty else { return command }
        return Command(
            arguments: ["/bin/sh", "-c", joinScript(fileCount: procsFiles.count), "slipway-cgroup"] + procsFiles + command.arguments,
            environment: command.environment, workingDirectory: command.workingDirectory,
            inheritedDescriptors: command.inheritedDescriptors
        )
    }

    /// The script `joining` runs: $1…$n are the `cgroup.procs` files, the rest is the command.
    static func joinScript(fileCount: Int) -> String {
        let files = (0..<fileCount).map { $0 < 9 ? "\"$\($0 + 1)\"" : "\"${\($0 + 1)}\"" }.joined(separator: " ")
        return """
            for file in \(files); do
                echo $$ > "$file" || { echo "slipway: cannot join the cgroup $file" >&2; exit 125; }
            done
            shift \(fileCount)
            exec "$@"
            """
    }

    private func directory(in hierarchy: CgroupSupport.Hierarchy) -> String {
        hierarchy.parentDirectory + "/" + name
    }

    /// Sleeps even when the calling task is cancelled (killing must finish regardless): a timer's callback resumes
    /// it, where `Task.sleep` would return at once.
    private static func pause(_ duration: Duration) async {
        let nanoseconds = duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(nanoseconds))) { continuation.resume() }
        }
    }
}

/// One value written to one control file.
struct ControlFileValue: Equatable, CustomStringConvertible {
    var path: String
    var value: String

    init(_ path: String, _ value: String) {
        self.path = path
        self.value = value
    }

    var description: String { "\(path) = \(value)" }
}
