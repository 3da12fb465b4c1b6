import CSlipwaySpawn
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A command to run: the argument array, the complete environment and the working directory.
public struct Command: Sendable, Equatable {
    public var arguments: [String]
    public var environment: [String: String]
    public var workingDirectory: String?
    /// Descriptors of ours the command receives, as 3, 4, 5, … in this order (it gets no other descriptor of ours).
    public var inheritedDescriptors: [Int32]

    public init(arguments: [String], environment: [String: String], workingDirectory: String? = nil, inheritedDescriptors: [Int32] = []) {
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.inheritedDescriptors = inheritedDescriptors
    }
}

/// Which output stream a line came from.
public enum OutputStream: String, Sendable {
    case stdout
    case stderr
}

/// One line of a child's output, without its line break.
public struct OutputLine: Sendable, Equatable {
    public var stream: OutputStream
    public var text: String

    public init(stream: OutputStream, text: String) {
        self.stream = stream
        self.text = text
    }
}

/// How a child process ended.
public struct Termination: Sendable, Equatable {
    /// The exit status, when it exited.
    public var exitCode: Int32?
    /// The signal that ended it, when one did.
    public var signal: Int32?
    /// Whether it ran past its time limit and was killed for it.
    public var timedOut: Bool

    public init(exitCode: Int32?, signal: Int32?, timedOut: Bool = false) {
        self.exitCode = exitCode
        self.signal = signal
        self.timedOut = timedOut
    }

    public var succeeded: Bool { exitCode == 0 && !timedOut }

    /// A sentence for logs: "exited with status 2", "was killed by signal 9".
    public var summary: String {
        if timedOut { return "ran past its time limit and was stopped" }
        if let exitCode { return "exited with status \(exitCode)" }
        if let signal { return "was killed by signal \(signal)" }
        return "ended"
    }
}

/// Failures to start a process (not a process that ran and failed).
public struct SpawnError: Error, CustomStringConvertible {
    public var description: String
}

/// Runs one command in its own process group, captures its output line by line, and stops the whole group
/// when the calling task is cancelled or the time limit passes (SIGTERM, then SIGKILL after `gracePeriod`).
public enum ChildProcess {
    /// The longest line kept whole; longer lines are cut and continued on the next line.
    public static let maximumLineLength = 16 * 1024

    /// Runs `command` to its end. `onLine` is called for every output line, from a reader thread, in order per stream.
    /// `handle`, when given, lets another task stop the process group while it runs (see `ProcessHandle`).
    /// `cgroup`, when given, is joined before the command starts (see `BuildCgroup.wrap`), and everything still in it
    /// once the command has exited (even processes that left the process group) is killed before the output is drained.
    /// `started`, when given, runs once the process exists (with its pid) and before it is waited for; when it throws,
    /// the process group is killed, waited for, and the error is thrown.
    public static func run(
        _ command: Command,
        timeout: Duration? = nil,
        gracePeriod: Duration = .seconds(5),
        handle: ProcessHandle? = nil,
        cgroup: BuildCgroup? = nil,
        started: (@Sendable (Int32) async throws -> Void)? = nil,
        onLine: @escaping @Sendable (OutputLine) -> Void
    ) async throws -> Termination {
        let process = try SpawnedProcess.spawn(cgroup?.wrap(command) ?? command)
        handle?.attach(process)
        defer { handle?.detach(process) }
        let readers = [
            LineReader.start(fd: process.stdoutFD, stream: .stdout, onLine: onLine),
            LineReader.start(fd: process.stderrFD, stream: .stderr, onLine: onLine),
        ]
        if let started {
            do {
                try await started(process.pid)
            } catch {
                process.killGroup()
                _ = await process.waitForExit()
                if let cgroup { await cgroup.killAll() }
                for reader in readers { await reader.finished() }
                throw error
            }
        }
        enum Event: Sendable {
            case exited(Int32)
            case timedOut
            case timerCancelled
        }
        let (status, timedOut) = await withTaskCancellationHandler {
            await withTaskGroup(of: Event.self) { group in
                group.addTask { .exited(await process.waitForExit()) }
                if let timeout {
                    group.addTask {
                        do { try await Task.sleep(for: timeout) } catch { return .timerCancelled }
                        await process.terminateGroup(gracePeriod: gracePeriod)
                        return .timedOut
                    }
                }
                var status: Int32 = 0
                var timedOut = false
                while let event = await group.next() {
                    switch event {
                    case .exited(let exitStatus):
                        status = exitStatus
                        group.cancelAll()
                    case .timedOut: timedOut = true
                    case .timerCancelled: break
                    }
                }
                return (status, timedOut)
            }
        } onCancel: {
            // A synchronous handler: SIGTERM now, SIGKILL from a timer (the wait above returns when it exits).
            process.scheduleTermination(gracePeriod: gracePeriod)
        }
        // The group may still hold the pipes open (a background process): make sure nothing of it survives.
        process.killGroup()
        if let cgroup { await cgroup.killAll() }
        for reader in readers { await reader.finished() }
        return decode(status: status, timedOut: timedOut)
    }

    /// Runs `command` and returns its stdout and stderr lines, for short helper commands such as git.
    public static func capture(_ command: Command, timeout: Duration? = nil) async throws -> (Termination, [OutputLine]) {
        let lines = Mutex<[OutputLine]>([])
        let termination = try await run(command, timeout: timeout) { line in lines.withLock { $0.append(line) } }
        return (termination, lines.withLock { $0 })
    }

    private static func decode(status: Int32, timedOut: Bool) -> Termination {
        let signal = status & 0x7f
        if signal == 0 { return Termination(exitCode: (status >> 8) & 0xff, signal: nil, timedOut: timedOut) }
        return Termination(exitCode: nil, signal: signal, timedOut: timedOut)
    }
}

/// Lets one task stop the command another task is running: cancel (SIGTERM, then SIGKILL after a grace period)
/// or kill (SIGKILL at once) its whole process group. A stop asked for before a command starts (or between two
/// commands) stops every later command as soon as it is spawned.
public final class ProcessHandle: Sendable {
    private struct State {
        var process: SpawnedProcess?
        var stop: Duration?
    }

    private let state = Mutex(State())

    public init() {}

    /// Whether a stop was asked for.
    public var isStopped: Bool { state.withLock { $0.stop != nil } }

    /// The pid of the command running now (the leader of its process group), if one runs.
    public var processID: Int32? { state.withLock { $0.process?.pid } }

    /// Stops the running command's process group: SIGTERM, then SIGKILL once `gracePeriod` has passed
    /// (at once when it is zero). Later commands attached to this handle are killed as they start.
    public func stop(gracePeriod: Duration) {
        let process = state.withLock { state -> SpawnedProcess? in
            state.stop = min(state.stop ?? gracePeriod, gracePeriod)
            return state.process
        }
        guard let process else { return }
        if gracePeriod <= .zero {
            process.killGroup()
        } else {
            process.scheduleTermination(gracePeriod: gracePeriod)
        }
    }

    func attach(_ process: SpawnedProcess) {
        let stop = state.withLock { state -> Duration? in
            state.process = process
            return state.stop
        }
        if stop != nil { process.killGroup() }
    }

    func detach(_ process: SpawnedProcess) {
        state.withLock { state in
            if state.process === process { state.process = nil }
        }
    }
}

/// The one place that calls `posix_spawn`: the child leads a new process group, has default signal dispositions
/// and an empty signal mask, gets the given descriptors as 0, 1 and 2 and no other descriptor of ours.
enum ProcessSpawner {
    /// Starts `command`; `standardInput` nil means /dev/null. Returns the child's pid.
    static func spawn(_ command: Command, standardInput: Int32?, standardOutput: Int32, standardError: Int32) throws -> pid_t {
        guard let executable = command.arguments.first else { throw SpawnError(description: "empty command") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let standardInput {
            posix_spawn_file_actions_adddup2(&actions, standardInput, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, standardOutput, 1)
        posix_spawn_file_actions_adddup2(&actions, standardError, 2)
        // Inherited descriptors go to 3, 4, …: first above every source (so that no source is overwritten before it
        // is copied), then down to their places.
        let inherited = command.inheritedDescriptors
        let above = max(inherited.max() ?? 0, 2 + Int32(inherited.count)) + 1
        for (index, descriptor) in inherited.enumerated() {
            posix_spawn_file_actions_adddup2(&actions, descriptor, above + Int32(index))
        }
        for index in inherited.indices {
            posix_spawn_file_actions_adddup2(&actions, above + Int32(index), 3 + Int32(index))
        }
        slipway_spawn_addclosefrom(&actions, 3 + Int32(inherited.count))
        if let directory = command.workingDirectory {
            slipway_spawn_addchdir(&actions, directory)
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaultSignals = sigset_t()
        sigfillset(&defaultSignals)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigdefault(&attributes, &defaultSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = command.arguments.map { strdup($0) } + [nil]
        let envp = command.environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }

        var pid: pid_t = 0
        let result = posix_spawnp(&pid, executable, &actions, &attributes, argv, envp)
        guard result == 0 else { throw SpawnError(description: "cannot start \(executable): \(String(cString: strerror(result)))") }
        return pid
    }
}

/// A process started with `posix_spawn` as the leader of a new process group.
final class SpawnedProcess: Sendable {
    let pid: pid_t
    let stdoutFD: Int32
    let stderrFD: Int32
    private let exited = Atomic<Bool>(false)

    private init(pid: pid_t, stdoutFD: Int32, stderrFD: Int32) {
        self.pid = pid
        self.stdoutFD = stdoutFD
        self.stderrFD = stderrFD
    }

    static func spawn(_ command: Command) throws -> SpawnedProcess {
        var stdoutPipe: [Int32] = [-1, -1]
        var stderrPipe: [Int32] = [-1, -1]
        guard slipway_pipe_cloexec(&stdoutPipe) == 0, slipway_pipe_cloexec(&stderrPipe) == 0 else {
            throw SpawnError(description: "cannot create pipes: \(String(cString: strerror(errno)))")
        }
        defer {
            close(stdoutPipe[1])
            close(stderrPipe[1])
        }

        let pid: pid_t
        do {
            pid = try ProcessSpawner.spawn(command, standardInput: nil, standardOutput: stdoutPipe[1], standardError: stderrPipe[1])
        } catch {
            close(stdoutPipe[0])
            close(stderrPipe[0])
            throw error
        }
        return SpawnedProcess(pid: pid, stdoutFD: stdoutPipe[0], stderrFD: stderrPipe[0])
    }

    /// Waits (on a thread of its own) for the process to exit and returns its raw wait status.
    func waitForExit() async -> Int32 {
        let pid = self.pid
        let status = await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
            Thread.detachNewThread {
                var status: Int32 = 0
                while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
                continuation.resume(returning: status)
            }
        }
        exited.store(true, ordering: .sequentiallyConsistent)
        return status
    }

    /// SIGTERM to the whole group, then SIGKILL once the grace period has passed.
    func terminateGroup(gracePeriod: Duration) async {
        guard !exited.load(ordering: .sequentiallyConsistent) else { return }
        kill(-pid, SIGTERM)
        let deadline = ContinuousClock.now + gracePeriod
        while ContinuousClock.now < deadline, !exited.load(ordering: .sequentiallyConsistent) {
            try? await Task.sleep(for: .milliseconds(20))
        }
        killGroup()
    }

    /// SIGTERM to the group now, and SIGKILL once `gracePeriod` has passed if the command has not exited by then:
    /// for synchronous callers (a cancellation handler, `ProcessHandle.stop`), with a timer instead of a task.
    /// Whoever waits for the command kills what is left of its group after it exits.
    func scheduleTermination(gracePeriod: Duration) {
        guard !exited.load(ordering: .sequentiallyConsistent) else { return }
        kill(-pid, SIGTERM)
        let nanoseconds = gracePeriod.components.seconds * 1_000_000_000 + gracePeriod.components.attoseconds / 1_000_000_000
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(nanoseconds))) { [self] in
            if !exited.load(ordering: .sequentiallyConsistent) { killGroup() }
        }
    }

    /// SIGKILL to every process still in the group.
    func killGroup() {
        kill(-pid, SIGKILL)
    }
}

/// Reads one pipe on a thread of its own and splits it into lines.
final class LineReader: Sendable {
    private let done = Mutex<(finished: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    static func start(fd: Int32, stream: OutputStream, onLine: @escaping @Sendable (OutputLine) -> Void) -> LineReader {
        let reader = LineReader()
        Thread.detachNewThread {
            reader.readAll(fd: fd, stream: stream, onLine: onLine)
            close(fd)
            let waiters = reader.done.withLock { state in
                state.finished = true
                defer { state.waiters = [] }
                return state.waiters
            }
            waiters.forEach { $0.resume() }
        }
        return reader
    }

    /// Returns once the pipe reached its end and every line was delivered.
    func finished() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let alreadyDone = done.withLock { state -> Bool in
                if state.finished { return true }
                state.waiters.append(continuation)
                return false
            }
            if alreadyDone { continuation.resume() }
        }
    }

    private func readAll(fd: Int32, stream: OutputStream, onLine: (OutputLine) -> Void) {
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        func emit(_ bytes: ArraySlice<UInt8>) {
            var slice = bytes
            if slice.last == 13 { slice = slice.dropLast() }  // \r\n
            while slice.count > ChildProcess.maximumLineLength {
                onLine(OutputLine(stream: stream, text: String(decoding: slice.prefix(ChildProcess.maximumLineLength), as: UTF8.self)))
                slice = slice.dropFirst(ChildProcess.maximumLineLength)
            }
            onLine(OutputLine(stream: stream, text: String(decoding: slice, as: UTF8.self)))
        }
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            var start = 0
            for index in 0..<count where buffer[index] == 10 {
                if pending.isEmpty {
                    emit(buffer[start..<index])
                } else {
                    pending.append(contentsOf: buffer[start..<index])
                    emit(pending[...])
                    pending.removeAll(keepingCapacity: true)
                }
                start = index + 1
            }
            pending.append(contentsOf: buffer[start..<count])
            if pending.count > ChildProcess.maximumLineLength {
                let whole = pending.count / ChildProcess.maximumLineLength * ChildProcess.maximumLineLength
                emit(pending[..<whole])
                pending.removeFirst(whole)
            }
        }
        if !pending.isEmpty { emit(pending[...]) }
    }
}
