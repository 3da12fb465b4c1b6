import Foundation
import Synchronization
import Testing

@testable import SlipwaySandbox

@Suite struct ChildProcessTests {
    let environment = ["PATH": Sandbox.defaultPath]

    @Test func outputLinesArriveWithTheirStreamAndTheExitCodeIsKept() async throws {
        let command = Command(arguments: ["/bin/sh", "-c", "echo one; echo two >&2; printf 'no newline'; exit 3"], environment: environment)
        let (termination, lines) = try await ChildProcess.capture(command)
        #expect(termination == Termination(exitCode: 3, signal: nil))
        #expect(lines.filter { $0.stream == .stdout }.map(\.text) == ["one", "no newline"])
        #expect(lines.filter { $0.stream == .stderr }.map(\.text) == ["two"])
    }

    @Test func theEnvironmentIsExactlyWhatWasGiven() async throws {
        let command = Command(arguments: ["/usr/bin/env"], environment: ["PATH": "/usr/bin", "ONLY": "this"])
        let (_, lines) = try await ChildProcess.capture(command)
        #expect(Set(lines.map(\.text)) == ["PATH=/usr/bin", "ONLY=this"])
    }

    @Test func theWorkingDirectoryIsApplied() async throws {
        let command = Command(arguments: ["/bin/pwd"], environment: environment, workingDirectory: "/usr/share")
        let (_, lines) = try await ChildProcess.capture(command)
        #expect(lines.map(\.text) == ["/usr/share"])
    }

    @Test func veryLongLinesAreCutIntoPieces() async throws {
        let command = Command(arguments: ["/bin/sh", "-c", "head -c 40000 /dev/zero | tr '\\0' x; echo"], environment: environment)
        let (_, lines) = try await ChildProcess.capture(command)
        #expect(
            lines.map(\.text.count) == [ChildProcess.maximumLineLength, ChildProcess.maximumLineLength, 40000 - 2 * ChildProcess.maximumLineLength])
    }

    @Test func aTimeoutStopsTheWholeGroupIncludingBackgroundProcesses() async throws {
        let marker = uniqueSleepDuration()
        let command = Command(arguments: ["/bin/sh", "-c", "sleep \(marker) & sleep \(marker)"], environment: environment)
        let started = ContinuousClock.now
        let (termination, _) = try await ChildProcess.capture(command, timeout: .milliseconds(300))
        #expect(termination.timedOut)
        #expect(ContinuousClock.now - started < .seconds(30))
        #expect(processesMatching(marker).isEmpty)
    }

    @Test func cancellingTheTaskKillsTheProcessGroup() async throws {
        let marker = uniqueSleepDuration()
        let started = Mutex(false)
        let task = Task {
            try await ChildProcess.run(
                Command(arguments: ["/bin/sh", "-c", "sleep \(marker) & echo up; sleep \(marker)"], environment: environment),
                gracePeriod: .milliseconds(200)
            ) { _ in started.withLock { $0 = true } }
        }
        while !started.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
        #expect(!processesMatching(marker).isEmpty)
        task.cancel()
        let termination = try await task.value
        #expect(termination.signal == 15 || termination.signal == 9)
        #expect(processesMatching(marker).isEmpty)
    }

    @Test func aMissingExecutableIsAnError() async throws {
        await #expect(throws: SpawnError.self) {
            try await ChildProcess.run(Command(arguments: ["/no/such/program"], environment: environment)) { _ in }
        }
    }
}

/// A sleep duration no other process uses, so that `processesMatching` finds exactly the test's sleeps.
func uniqueSleepDuration() -> String { "300.\(UInt32.random(in: 1...UInt32.max))" }

/// The pids of live processes whose command line contains `marker`.
func processesMatching(_ marker: String) -> [String] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.filter { entry in
        guard Int(entry) != nil, let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return false }
        let status = (try? String(contentsOfFile: "/proc/\(entry)/status", encoding: .utf8)) ?? ""
        if status.contains("State:\tZ") { return false }
        return String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self).contains(marker)
    }
}

@Suite struct ProcessHandleTests {
    let environment = ["PATH": Sandbox.defaultPath]

    @Test func stopWithAGracePeriodTerminatesTheGroupAndLetsItCleanUp() async throws {
        let marker = uniqueSleepDuration()
        let handle = ProcessHandle()
        let started = Mutex(false)
        let run = Task {
            try await ChildProcess.run(
                Command(
                    arguments: ["/bin/sh", "-c", "trap 'echo cleaning up; exit 143' TERM; sleep \(marker) & echo up; wait"], environment: environment),
                handle: handle
            ) { line in if line.text == "up" { started.withLock { $0 = true } } }
        }
        while !started.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
        handle.stop(gracePeriod: .seconds(5))
        let termination = try await run.value
        #expect(termination.exitCode == 143)
        #expect(processesMatching(marker).isEmpty)
        #expect(handle.isStopped)
    }

    @Test func aKillStopsAtOnceAndLaterCommandsNeverRun() async throws {
        let marker = uniqueSleepDuration()
        let handle = ProcessHandle()
        let started = Mutex(false)
        let run = Task {
            try await ChildProcess.run(
                Command(arguments: ["/bin/sh", "-c", "trap '' TERM; sleep \(marker) & echo up; wait"], environment: environment), handle: handle
            ) { _ in started.withLock { $0 = true } }
        }
        while !started.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
        handle.stop(gracePeriod: .zero)
        let termination = try await run.value
        // SIGKILL, not a TERM the shell ignores and a wait for its long sleep: no clock needed to tell (a 3 s bound
        // failed at 3.56 s on a loaded machine).
        #expect(termination.signal == 9)
        #expect(processesMatching(marker).isEmpty)

        let (later, lines) = try await ChildProcess.capture(Command(arguments: ["/bin/sh", "-c", "sleep 1; echo ran"], environment: environment))
        #expect(later.exitCode == 0 && lines.map(\.text) == ["ran"])
        let afterStop = try await ChildProcess.run(
            Command(arguments: ["/bin/sh", "-c", "sleep 5; echo ran"], environment: environment), handle: handle
        ) {
            _ in
        }
        #expect(afterStop.signal == 9)
    }
}
