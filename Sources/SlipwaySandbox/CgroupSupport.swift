#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Which cgroup hierarchies Slipway can use on this machine, found once at start-up by `detect`: where memory limits,
/// process limits and whole-tree kills go. Pure v2, a v1/v2 hybrid, pure v1 and "nothing" are all handled.
public struct CgroupSupport: Sendable, Equatable {
    /// One mounted cgroup hierarchy, seen through the Slipway-owned parent group in it.
    public struct Hierarchy: Sendable, Hashable {
        /// The cgroup interface version of a hierarchy.
        public enum Version: Sendable, Hashable {
            case v1
            case v2
        }

        /// v1 (one hierarchy per controller) or v2 (the unified hierarchy).
        public var version: Version
        /// The group that holds the build groups and never a process itself, e.g. `/sys/fs/cgroup/slipway`.
        public var parentDirectory: String

        /// A hierarchy with its Slipway parent group.
        public init(version: Version, parentDirectory: String) {
            self.version = version
            self.parentDirectory = parentDirectory
        }
    }

    /// Where memory limits are written (`memory.max` on v2, `memory.limit_in_bytes` on v1), if anywhere.
    public var memory: Hierarchy?
    /// Where process limits are written (`pids.max`), if anywhere.
    public var pids: Hierarchy?
    /// Where a build's whole tree is listed and killed: the v2 hierarchy when there is one, else a v1 one.
    public var tracking: Hierarchy?
    /// Whether the tracking hierarchy has `cgroup.kill` (v2, Linux 5.14+), which kills a whole tree in one write.
    public var killsAtOnce: Bool
    /// Whether swap is limited too: `memory.memsw.limit_in_bytes` on v1, `memory.swap.max` (set to 0) on v2.
    public var limitsSwap: Bool
    /// What detection tried and could not do, e.g. "cannot create /sys/fs/cgroup/slipway: Permission denied".
    public var problems: [String]
    /// The cgroup root detection looked at.
    public var root: String

    /// A description of the machine's support, for tests and for callers that know better than detection.
    public init(
        memory: Hierarchy?, pids: Hierarchy?, tracking: Hierarchy?, killsAtOnce: Bool, limitsSwap: Bool, problems: [String] = [],
        root: String = CgroupSupport.defaultRoot
    ) {
        self.memory = memory
        self.pids = pids
        self.tracking = tracking
        self.killsAtOnce = killsAtOnce
        self.limitsSwap = limitsSwap
        self.problems = problems
        self.root = root
    }

    /// Where cgroup file systems are mounted on Linux.
    public static let defaultRoot = "/sys/fs/cgroup"

    /// The name of the group Slipway creates in each hierarchy to hold the build groups.
    public static let defaultParentName = "slipway"

    /// No cgroups at all: builds are stopped by process group only and have no limits.
    public static func unavailable(root: String = defaultRoot, problems: [String] = []) -> CgroupSupport {
        CgroupSupport(memory: nil, pids: nil, tracking: nil, killsAtOnce: false, limitsSwap: false, problems: problems, root: root)
    }

    /// Whether build groups can be created at all (there is at least a hierarchy to find and kill a tree in).
    public var isUsable: Bool { tracking != nil }

    /// Every hierarchy a build group is created in, each once: memory, then pids, then tracking.
    public var hierarchies: [Hierarchy] {
        var result: [Hierarchy] = []
        for hierarchy in [memory, pids, tracking].compactMap({ $0 }) where !result.contains(hierarchy) { result.append(hierarchy) }
        return result
    }

    /// One line for the start-up log.
    public var summary: String {
        guard let tracking else {
            let reason = problems.first ?? "no cgroup hierarchy found under \(root)"
            return "none (\(reason)): builds have no memory or process limits and are stopped by process group only"
        }
        func place(_ hierarchy: Hierarchy) -> String {
            "\(hierarchy.version == .v1 ? "v1" : "v2") \(hierarchy.parentDirectory)"
        }
        let memoryPart = memory.map { "memory limit in \(place($0))\(limitsSwap ? " (swap included)" : "")" } ?? "no memory limit"
        let pidsPart = pids.map { "process limit in \(place($0))" } ?? "no process limit"
        let killPart = "whole-tree kill \(killsAtOnce ? "with cgroup.kill" : "by signals") in \(place(tracking))"
        return "cgroups: \(memoryPart), \(pidsPart), \(killPart)"
    }

    /// Looks at the hierarchies mounted under `root`, creates the Slipway parent group `parentName` in each usable
    /// one and (on v2) enables the memory and pids controllers for its children. Never throws: whatever cannot be
    /// used (no cgroups, not root, a controller missing) is left out and noted in `problems`.
    public static func detect(root: String = defaultRoot, parentName: String = defaultParentName) -> CgroupSupport {
        var support = CgroupSupport.unavailable(root: root)
        let unifiedRoot: String? =
            if CgroupFile.exists(root + "/cgroup.controllers") {
                root
            } else if CgroupFile.exists(root + "/unified/cgroup.controllers") {
                root + "/unified"
            } else {
                nil
            }
        if let unifiedRoot {
            let parent = unifiedRoot + "/" + parentName
            if prepareParent(parent, problems: &support.problems) {
                let hierarchy = Hierarchy(version: .v2, parentDirectory: parent)
                let available = CgroupFile.words(unifiedRoot + "/cgroup.controllers")
                let wanted = ["memory", "pids"].filter(available.contains)
                let enabledAtRoot = enableControllers(wanted, in: unifiedRoot, problems: &support.problems)
                let enabled = enableControllers(wanted.filter(enabledAtRoot.contains), in: parent, problems: &support.problems)
                if enabled.contains("memory") {
                    support.memory = hierarchy
                    support.limitsSwap = CgroupFile.exists(parent + "/memory.swap.max")
                }
                if enabled.contains("pids") { support.pids = hierarchy }
                support.tracking = hierarchy
                support.killsAtOnce = CgroupFile.exists(parent + "/cgroup.kill")
            }
        }
        if support.memory == nil, CgroupFile.exists(root + "/memory/memory.limit_in_bytes") {
            let parent = root + "/memory/" + parentName
            if prepareParent(parent, problems: &support.problems) {
                support.memory = Hierarchy(version: .v1, parentDirectory: parent)
                support.limitsSwap = CgroupFile.exists(root + "/memory/memory.memsw.limit_in_bytes")
            }
        }
        if support.pids == nil, CgroupFile.exists(root + "/pids/cgroup.procs") {
            let parent = root + "/pids/" + parentName
            if prepareParent(parent, problems: &support.problems) {
                support.pids = Hierarchy(version: .v1, parentDirectory: parent)
            }
        }
        if support.tracking == nil { support.tracking = support.pids ?? support.memory }
        return support
    }

    /// Creates the parent group if it is missing and checks that this process may create groups in it.
    private static func prepareParent(_ parent: String, problems: inout [String]) -> Bool {
        let error = CgroupFile.makeDirectory(parent)
        guard error == 0 || (error == EEXIST && CgroupFile.isDirectory(parent)) else {
            problems.append("cannot create \(parent): \(CgroupFile.errorText(error))")
            return false
        }
        guard access(parent, W_OK) == 0 else {
            problems.append("cannot write to \(parent): \(CgroupFile.errorText(errno))")
            return false
        }
        return true
    }

    /// Makes `controllers` available to the children of `directory` through its `cgroup.subtree_control`: all in one
    /// write, else one by one (the kernel refuses a whole write for one bad controller). Returns those enabled.
    private static func enableControllers(_ controllers: [String], in directory: String, problems: inout [String]) -> [String] {
        let file = directory + "/cgroup.subtree_control"
        let current = CgroupFile.words(file)
        let missing = controllers.filter { !current.contains($0) }
        if missing.isEmpty { return controllers }
        if (try? CgroupFile.set(file, to: missing.map { "+" + $0 }.joined(separator: " "))) != nil { return controllers }
        var enabled = controllers.filter(current.contains)
        for controller in missing {
            do {
                try CgroupFile.set(file, to: "+" + controller)
                enabled.append(controller)
            } catch {
                problems.append("\(error)")
            }
        }
        return controllers.filter(enabled.contains)
    }
}
