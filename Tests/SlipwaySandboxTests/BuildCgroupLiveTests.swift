import Foundation
import Synchronization
import Testing

@testable import SlipwaySandbox

#if canImport(Glibc)
    import Glibc
#endif

/// Against the real kernel, in parent groups of this test process's own (`slipway-tests-PID`), one test at a time so
/// that removing the parents at the end of one test cannot pull them from under another. Each test is disabled, with
/// the reason, where the machine cannot do what it checks (by the server's own `CgroupSupport.detect`).
@Suite(.serialized) struct BuildCgroupLiveTests {
    let environment = ["PATH": Sandbox.defaultPath]

    /// What this machine offers this process, found once (the parents `detect` creates are removed again at once).
    static let detected: CgroupSupport = {
        let support = CgroupSupport.detect(parentName: parentName)
        for hierarchy in support.hierarchies { rmdir(hierarchy.parentDirectory) }
        return support
    }()
    static let hasHierarchy = detected.isUsable
    static let hasPidsController = detected.isUsable && detected.pids != nil
    static let hasMemoryController = detected.isUsable && detected.memory != nil
    static let noHierarchy: Comment = "needs a cgroup hierarchy this process may create groups in"
    static let noPidsController: Comment = "needs the pids controller"
    static let noMemoryController: Comment = "needs the memory controller"

    @Test(.enabled(if: hasHierarchy, noHierarchy))
    func killAllEndsEveryProcessOfTheBuildIncludingOnesThatLeftTheProcessGroup() async throws {
        try await withLiveCgroup(limits: .unlimited, needs: "cgroup hierarchy") { cgroup in
            let marker = uniqueSleepDuration()
            let script = "sleep \(marker) & setsid sleep \(marker) & (sleep \(marker) &) ; echo up; exec sleep \(marker)"
            let started = Mutex(false)
            let run = Task {
                try await ChildProcess.run(cgroup.wrap(Command(arguments: ["/bin/sh", "-c", script], environment: environment))) { line in
                    if line.text == "up" { started.withLock { $0 = true } }
                }
            }
            try await waitUntil { started.withLock { $0 } && sleeps(marker).count == 4 && Set(sleeps(marker).compactMap(sessionID)).count == 2 }
            #expect(Set(cgroup.processIDs.map(String.init)) == Set(sleeps(marker)), "the command and every sleep are in the group")

            #expect(await cgroup.killAll())
            let termination = try await run.value
            #expect(termination.signal == SIGKILL)
            #expect(processesMatching(marker).isEmpty)
            #expect(cgroup.isEmpty)
        }
    }

    @Test(.enabled(if: hasHierarchy, noHierarchy))
    func runningInAGroupReturnsOnceTheCommandExitsEvenIfADaemonHoldsItsOutput() async throws {
        try await withLiveCgroup(limits: .unlimited, needs: "cgroup hierarchy") { cgroup in
            let marker = uniqueSleepDuration()
            let command = Command(arguments: ["/bin/sh", "-c", "setsid sleep \(marker) & echo started"], environment: environment)
            let before = ContinuousClock.now
            let (termination, lines) = try await capture(command, in: cgroup)
            #expect(termination.succeeded)
            #expect(lines.map(\.text) == ["started"])
            #expect(ContinuousClock.now - before < .seconds(10))
            #expect(processesMatching(marker).isEmpty)
            #expect(cgroup.isEmpty)
        }
    }

    @Test(.enabled(if: hasPidsController, noPidsController))
    func aProcessLimitStopsAForkLoop() async throws {
        try await withLiveCgroup(limits: ResourceLimits(maxProcesses: 20), needs: "pids controller", when: { $0.pids != nil }) { cgroup in
            let marker = uniqueSleepDuration()
            // The loop runs in a subshell that dies when a fork fails; the shell then becomes a sleep itself, so
            // that the group stays as the limit left it until it is counted.
            let script = "(i=0; while [ $i -lt 50 ]; do sleep \(marker) & i=$((i+1)); done; echo all started); echo loop ended; exec sleep \(marker)"
            let lines = Mutex<[String]>([])
            let run = Task {
                try await ChildProcess.run(cgroup.wrap(Command(arguments: ["/bin/sh", "-c", script], environment: environment))) { line in
                    lines.withLock { $0.append(line.text) }
                }
            }
            try await waitUntil { lines.withLock { $0.contains("loop ended") } && sleeps(marker).count == cgroup.processIDs.count }
            let running = sleeps(marker).count
            #expect(!lines.withLock { $0 }.contains("all started"))
            #expect(running > 1 && running <= 20, "\(running) processes in a group limited to 20")
            #expect(await cgroup.killAll())
            #expect(try await run.value.signal == SIGKILL)
            #expect(processesMatching(marker).isEmpty)
        }
    }

    @Test(.enabled(if: hasMemoryController, noMemoryController))
    func aMemoryLimitGetsAGreedyProcessKilled() async throws {
        try await withLiveCgroup(limits: ResourceLimits(memoryBytes: 64 << 20), needs: "memory controller", when: { $0.memory != nil }) { cgroup in
            let command = Command(arguments: ["/bin/sh", "-c", "head -c 200M /dev/zero | tail; echo \"tail: $?\""], environment: environment)
            let (termination, lines) = try await capture(command, in: cgroup)
            #expect(termination.succeeded)
            #expect(lines.map(\.text).contains("tail: 137"), "tail was killed by SIGKILL")
            #expect(cgroup.outOfMemoryKills() >= 1)
        }
    }

    @Test(.enabled(if: hasMemoryController, noMemoryController))
    func theSameCommandFitsUnderAGenerousLimit() async throws {
        try await withLiveCgroup(limits: ResourceLimits(memoryBytes: 512 << 20), needs: "memory controller", when: { $0.memory != nil }) { cgroup in
            let command = Command(arguments: ["/bin/sh", "-c", "head -c 200M /dev/zero | tail | wc -c"], environment: environment)
            let (termination, lines) = try await capture(command, in: cgroup)
            #expect(termination.succeeded)
            #expect(lines.map(\.text) == [String(200 << 20)])
            #expect(cgroup.outOfMemoryKills() == 0)
        }
    }

    /// The wrapper goes outside the sandbox: bubblewrap's namespaces are made by processes already in the group.
    @Test(
        .enabled(if: hasMemoryController, noMemoryController),
        .enabled("needs bubblewrap that works here") { await MachineSandbox.bubblewrapWorks() })
    func aBubblewrappedBuildRunsInsideTheGroupAndItsLimits() async throws {
        try await sandboxedBuildRunsInsideTheGroupAndItsLimits(unshare: false)
    }

    /// The same with the fallback: unshare's namespaces are made by a process already in the group.
    @Test(
        .enabled(if: hasMemoryController, noMemoryController),
        .enabled(if: Sandbox.findExecutable("unshare") != nil, "needs util-linux's unshare"))
    func anUnshareBuildRunsInsideTheGroupAndItsLimits() async throws {
        try await sandboxedBuildRunsInsideTheGroupAndItsLimits(unshare: true)
    }

    private func sandboxedBuildRunsInsideTheGroupAndItsLimits(unshare: Bool) async throws {
        try await withLiveCgroup(limits: ResourceLimits(memoryBytes: 64 << 20), needs: "memory controller", when: { $0.memory != nil }) { cgroup in
            let data = FileManager.default.temporaryDirectory.appendingPathComponent("slipway-cgroup-sandbox-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: data + "/work", withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: data) }
            let isolation: Isolation
            if unshare {
                isolation = .unshare(executable: try #require(Sandbox.findExecutable("unshare")))
            } else {
                isolation = await SandboxDetection.detect(hiddenDirectory: data, network: .host).isolation
                guard case .bubblewrap = isolation else { throw SandboxFiles.PathError("bubblewrap did not work: \(isolation)") }
            }
            let sandbox = Sandbox(isolation: isolation)
            let user = geteuid() == 0 ? SandboxUser.workspace(3) : nil
            try SandboxFiles.handOver(data + "/work", to: user)
            let mount = SandboxMount(hostPath: data + "/work", name: "work", writable: true)
            let marker = uniqueSleepDuration()
            let spec = SandboxSpec(
                shellCommand: "setsid sleep \(marker) & cat /proc/self/cgroup; head -c 200M /dev/zero | tail; echo \"tail: $?\"",
                workingDirectory: sandbox.insidePath(of: mount), mounts: [mount], hiddenDirectory: data, environment: environment, user: user
            )
            let lines = Mutex<[OutputLine]>([])
            let termination = try await SandboxedProcess.run(spec, in: sandbox, timeout: .seconds(60), cgroup: cgroup) { line in
                lines.withLock { $0.append(line) }
            }
            let text = lines.withLock { $0 }.map(\.text)
            #expect(termination.succeeded, "\(text)")
            #expect(text.contains { $0.hasSuffix("/\(cgroup.name)") }, "the sandboxed shell reports the build's group")
            #expect(text.contains("tail: 137"))
            #expect(cgroup.outOfMemoryKills() >= 1)
            #expect(processesMatching(marker).isEmpty)
        }
    }

    @Test(.enabled(if: hasHierarchy, noHierarchy))
    func aLeftoverGroupIsFoundByNameAndKilledAfterARestart() async throws {
        try await withLiveCgroup(limits: .buildDefaults, needs: "cgroup hierarchy") { cgroup in
            let marker = uniqueSleepDuration()
            // The shell waits until the sleep has its own session, so that ending the shell's process group misses it.
            let script = "setsid sleep \(marker) >/dev/null 2>&1 & until [ \"$(cut -d' ' -f6 /proc/$!/stat)\" = $! ]; do sleep 0.01; done"
            _ = try await ChildProcess.capture(cgroup.wrap(Command(arguments: ["/bin/sh", "-c", script], environment: environment)))
            #expect(sleeps(marker).count == 1)
            #expect(!cgroup.isEmpty)

            // A new server process knows only the name (the deployment's id) and detects afresh.
            let support = CgroupSupport.detect(parentName: Self.parentName)
            #expect(BuildCgroup.existingNames(support: support).contains(cgroup.name))
            #expect(try await BuildCgroup.killAndRemove(name: cgroup.name, support: support))
            #expect(processesMatching(marker).isEmpty)
            #expect(BuildCgroup.existing(name: cgroup.name, support: support) == nil)
            #expect(try await !BuildCgroup.killAndRemove(name: cgroup.name, support: support))
        }
    }

    // MARK: - Helpers

    /// A parent of this test process's own, so that test runs in parallel processes never touch each other's groups.
    static let parentName = "\(parentPrefix)\(getpid())"
    static let parentPrefix = "slipway-tests-"

    /// Creates a group for one test and always kills and removes it (and the test parents) afterwards, failed or not.
    private func withLiveCgroup(
        limits: ResourceLimits, needs requirement: String, when usable: (CgroupSupport) -> Bool = { $0.isUsable },
        _ body: (BuildCgroup) async throws -> Void
    ) async throws {
        let support = CgroupSupport.detect(parentName: Self.parentName)
        defer { removeParents(support) }
        await removeGroupsOfDeadTestRuns(support)
        // The test's trait enabled it on this detection: a machine that changed since is a failure, not a pass.
        try #require(support.isUsable && usable(support), "this machine (euid \(geteuid())) offers no \(requirement) (\(support.summary))")
        let cgroup = try BuildCgroup.create(name: UUID().uuidString.lowercased(), limits: limits, support: support)
        let directories = cgroup.directories
        do {
            try await body(cgroup)
        } catch {
            await cgroup.killAll()
            try? cgroup.remove()
            throw error
        }
        #expect(await cgroup.killAll())
        try cgroup.remove()
        #expect(directories.allSatisfy { !FileManager.default.fileExists(atPath: $0) }, "the group is gone from every hierarchy")
    }

    private func removeParents(_ support: CgroupSupport) {
        for hierarchy in support.hierarchies { rmdir(hierarchy.parentDirectory) }
    }

    /// Kills and removes what test processes that were killed themselves (and so could not clean up) left behind.
    private func removeGroupsOfDeadTestRuns(_ support: CgroupSupport) async {
        let roots = Set(support.hierarchies.map { ($0.parentDirectory as NSString).deletingLastPathComponent })
        let stale = roots.flatMap { root in
            ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).filter { entry in
                guard entry.hasPrefix(Self.parentPrefix), let pid = Int32(entry.dropFirst(Self.parentPrefix.count)) else { return false }
                return kill(pid, 0) != 0 && errno == ESRCH
            }
        }
        for parentName in Set(stale) {
            let leftover = CgroupSupport.detect(parentName: parentName)
            for name in BuildCgroup.existingNames(support: leftover) { _ = try? await BuildCgroup.killAndRemove(name: name, support: leftover) }
            removeParents(leftover)
        }
    }

    private func capture(_ command: Command, in cgroup: BuildCgroup) async throws -> (Termination, [OutputLine]) {
        let lines = Mutex<[OutputLine]>([])
        let termination = try await ChildProcess.run(command, timeout: .seconds(60), cgroup: cgroup) { line in lines.withLock { $0.append(line) } }
        return (termination, lines.withLock { $0 })
    }

    /// Waits for `condition`; the bound is a watchdog for a test that would hang, not a measure (a loaded machine
    /// running every suite took over 10 s).
    private func waitUntil(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while !condition() {
            try #require(ContinuousClock.now < deadline, "condition not met within 120 seconds")
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// The `sleep` processes whose command line contains `marker`.
    private func sleeps(_ marker: String) -> [String] {
        processesMatching(marker).filter { pid in
            (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) == "sleep\n"
        }
    }

    /// The session id of a process (field 6 of /proc/PID/stat).
    private func sessionID(_ pid: String) -> String? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let end = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: end)...].split(separator: " ")
        return fields.count > 3 ? String(fields[3]) : nil
    }
}
