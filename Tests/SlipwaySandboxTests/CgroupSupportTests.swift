import Foundation
import Testing

@testable import SlipwaySandbox

/// Detection and limit files against temporary directories shaped like each layout. The files the kernel would
/// create by itself in a new group (`cgroup.kill`, `memory.swap.max`) are made by hand where a layout has them.
@Suite struct CgroupSupportTests {
    let name = "6f1c1e0a-3b7d-4a51-9a63-2f0d5c1e7b42"

    @Test func pureV2UsesTheUnifiedTreeForEverythingAndEnablesTheControllersForSlipwaysChildren() throws {
        let root = try FakeCgroupRoot()
        defer { root.remove() }
        try root.write("cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n")
        try root.write("cgroup.subtree_control", "cpu\n")
        try root.write("slipway/cgroup.kill")
        try root.write("slipway/memory.swap.max", "max\n")

        let support = CgroupSupport.detect(root: root.path)
        let unified = CgroupSupport.Hierarchy(version: .v2, parentDirectory: root.path + "/slipway")
        #expect(support == CgroupSupport(memory: unified, pids: unified, tracking: unified, killsAtOnce: true, limitsSwap: true, root: root.path))
        #expect(root.read("cgroup.subtree_control") == "+memory +pids")
        #expect(root.read("slipway/cgroup.subtree_control") == "+memory +pids")
        #expect(support.hierarchies == [unified])
        #expect(
            support.summary
                == "cgroups: memory limit in v2 \(root.path)/slipway (swap included), process limit in v2 \(root.path)/slipway, "
                + "whole-tree kill with cgroup.kill in v2 \(root.path)/slipway"
        )

        let cgroup = try BuildCgroup.create(name: name, limits: .buildDefaults, support: support)
        #expect(
            cgroup.limitFiles(for: .buildDefaults) == [
                ControlFileValue("\(root.path)/slipway/\(name)/memory.max", "4294967296"),
                ControlFileValue("\(root.path)/slipway/\(name)/memory.swap.max", "0"),
                ControlFileValue("\(root.path)/slipway/\(name)/pids.max", "1024"),
            ]
        )
        #expect(root.read("slipway/\(name)/memory.max") == "4294967296")
        #expect(root.read("slipway/\(name)/memory.swap.max") == "0")
        #expect(root.read("slipway/\(name)/pids.max") == "1024")
        #expect(cgroup.procsFiles == ["\(root.path)/slipway/\(name)/cgroup.procs"])
    }

    @Test func controllersAlreadyEnabledAreNotWrittenAgain() throws {
        let root = try FakeCgroupRoot()
        defer { root.remove() }
        try root.write("cgroup.controllers", "memory pids\n")
        try root.write("cgroup.subtree_control", "memory pids\n")
        try root.write("slipway/cgroup.subtree_control", "memory pids\n")
        let support = CgroupSupport.detect(root: root.path)
        #expect(support.memory != nil && support.pids != nil)
        #expect(root.read("cgroup.subtree_control") == "memory pids\n")
        #expect(root.read("slipway/cgroup.subtree_control") == "memory pids\n")
        #expect(!support.killsAtOnce && !support.limitsSwap)
    }

    @Test func v2WithoutAMemoryControllerStillTracksAndLimitsWhatItCan() throws {
        let root = try FakeCgroupRoot()
        defer { root.remove() }
        try root.write("cgroup.controllers", "cpu pids\n")
        try root.write("slipway/cgroup.kill")
        let support = CgroupSupport.detect(root: root.path)
        let unified = CgroupSupport.Hierarchy(version: .v2, parentDirectory: root.path + "/slipway")
        #expect(support == CgroupSupport(memory: nil, pids: unified, tracking: unified, killsAtOnce: true, limitsSwap: false, root: root.path))
        #expect(root.read("slipway/cgroup.subtree_control") == "+pids")
        #expect(support.summary.hasPrefix("cgroups: no memory limit, process limit in v2 "))
    }

    @Test func theHybridLayoutLimitsInV1AndKillsThroughTheUnifiedTree() throws {
        let root = try FakeCgroupRoot()
        defer { root.remove() }
        try shapeAsHybrid(root)

        let support = CgroupSupport.detect(root: root.path)
        #expect(
            support
                == CgroupSupport(
                    memory: .init(version: .v1, parentDirectory: root.path + "/memory/slipway"),
                    pids: .init(version: .v1, parentDirectory: root.path + "/pids/slipway"),
                    tracking: .init(version: .v2, parentDirectory: root.path + "/unified/slipway"),
                    killsAtOnce: true, limitsSwap: true, root: root.path
                )
        )
        #expect(!root.exists("unified/cgroup.subtree_control"), "no controller to enable: the unified root is left alone")
        #expect(
            support.summary
                == "cgroups: memory limit in v1 \(root.path)/memory/slipway (swap included), process limit in v1 \(root.path)/pids/slipway, "
                + "whole-tree kill with cgroup.kill in v2 \(root.path)/unified/slipway"
        )

        let cgroup = try BuildCgroup.create(name: name, limits: ResourceLimits(memoryBytes: 64 << 20, maxProcesses: 20), support: support)
        #expect(root.read("memory/slipway/\(name)/memory.limit_in_bytes") == "67108864")
        #expect(root.read("memory/slipway/\(name)/memory.memsw.limit_in_bytes") == "67108864")
        #expect(root.read("pids/slipway/\(name)/pids.max") == "20")
        #expect(root.exists("unified/slipway/\(name)"))
        #expect(
            cgroup.procsFiles == [
                "\(root.path)/memory/slipway/\(name)/cgroup.procs", "\(root.path)/pids/slipway/\(name)/cgroup.procs",
                "\(root.path)/unified/slipway/\(name)/cgroup.procs",
            ]
        )
        #expect(BuildCgroup.existing(name: name, support: support) == cgroup)
        #expect(BuildCgroup.existing(name: "other", support: support) == nil)
        #expect(BuildCgroup.existingNames(support: support) == [name])
        #expect(throws: CgroupError.alreadyExists(path: "\(root.path)/memory/slipway/\(name)")) {
            try BuildCgroup.create(name: name, limits: .buildDefaults, support: support)
        }
        #expect(root.read("pids/slipway/\(name)/pids.max") == "20", "a refused create leaves the existing group alone")
    }

    @Test func pureV1TracksInThePidsTreeAndKillsBySignals() throws {
        let root = try FakeCgroupRoot()
        defer { root.remove() }
        try root.write("memory/memory.limit_in_bytes", "9223372036854771712\n")
        try root.write("pids/cgroup.procs")
        let support = CgroupSupport.detect(root: root.path)
        let pids = CgroupSupport.Hierarchy(version: .v1, parentDirectory: root.path + "/pids/slipway")
        #expect(
            support
                == CgroupSupport(
                    memory: .init(version: .v1, parentDirectory: root.path + "/memory/slipway"), pids: pids, tracking: pids,
                    killsAtOnce: false, limitsSwap: false, root: root.path
                )
        )
        #expect(support.summary.hasSuffix("whole-tree kill by signals in v1 \(root.path)/pids/slipway"))
        let cgroup = try BuildCgroup.create(name: name, limits: ResourceLimits(memoryBytes: 1 << 30), support: support)
        #expect(
            cgroup.limitFiles(for: ResourceLimits(memoryBytes: 1 << 30)) == [
                ControlFileValue("\(root.path)/memory/slipway/\(name)/memory.limit_in_bytes", "1073741824")
            ])
        #expect(!root.exists("pids/slipway/\(name)/pids.max"), "no process limit asked for, none written")
    }

    @Test func withoutCgroupsDetectionSaysSoAndCreatingIsRefused() throws {
        let root = try FakeCgroupRoot()
        defer { root.remove() }
        let support = CgroupSupport.detect(root: root.path)
        #expect(support == .unavailable(root: root.path))
        #expect(!support.isUsable)
        #expect(
            support.summary
                == "none (no cgroup hierarchy found under \(root.path)): "
                + "builds have no memory or process limits and are stopped by process group only"
        )
        #expect(throws: CgroupError.unavailable) { try BuildCgroup.create(name: name, limits: .buildDefaults, support: support) }
        #expect(CgroupSupport.detect(root: root.path + "/missing") == .unavailable(root: root.path + "/missing"))
    }

    @Test func aParentThatCannotBeCreatedDegradesWithTheReason() throws {
        let root = try FakeCgroupRoot()
        defer { root.remove() }
        try root.write("memory/memory.limit_in_bytes")
        try root.write("memory/slipway", "a file where the parent group should be")
        let support = CgroupSupport.detect(root: root.path)
        #expect(!support.isUsable)
        #expect(support.problems == ["cannot create \(root.path)/memory/slipway: File exists"])
        #expect(support.summary.hasPrefix("none (cannot create \(root.path)/memory/slipway: File exists): "))
    }

    @Test func namesMustBeOnePathComponent() throws {
        let root = try FakeCgroupRoot()
        defer { root.remove() }
        try shapeAsHybrid(root)
        let support = CgroupSupport.detect(root: root.path)
        for bad in ["", ".", "..", "a/b", "../../x"] {
            #expect(throws: CgroupError.invalidName(bad)) { try BuildCgroup.create(name: bad, limits: .buildDefaults, support: support) }
        }
    }

    @Test func limitsHaveReadableDefaults() {
        #expect(ResourceLimits.buildDefaults == ResourceLimits(memoryBytes: 4_294_967_296, maxProcesses: 1024))
        #expect(ResourceLimits.buildDefaults.summary == "memory 4 GiB, 1024 processes")
        #expect(ResourceLimits(memoryBytes: 64 << 20).summary == "memory 64 MiB, no process limit")
        #expect(ResourceLimits.unlimited.summary == "no memory limit, no process limit")
    }

    /// This machine's shape: v1 memory (with memsw) and pids, and a unified tree without controllers.
    private func shapeAsHybrid(_ root: FakeCgroupRoot) throws {
        try root.write("memory/memory.limit_in_bytes", "9223372036854771712\n")
        try root.write("memory/memory.memsw.limit_in_bytes", "9223372036854771712\n")
        try root.write("pids/cgroup.procs")
        try root.write("unified/cgroup.controllers", "hugetlb\n")
        try root.write("unified/slipway/cgroup.kill")
    }
}
