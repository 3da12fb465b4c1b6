import CSlipwaySpawn
import Foundation
import SlipwayCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Runs one `SandboxSpec` under a `Sandbox`: hands bubblewrap its descriptors (seccomp program, and with a private
/// network its info pipe, start signal and `resolv.conf`), and for a private network starts `slirp4netns` on the
/// sandbox's namespace before the command may begin, then stops it when the command has ended. Everything else is
/// `ChildProcess.run`: process group, timeout, cancel, cgroup, output lines.
public enum SandboxedProcess {
    /// Runs `spec` to its end. `onNetwork` receives the sandbox's network namespace (private network only) before the
    /// command starts: a service's address is known before it can listen.
    public static func run(
        _ spec: SandboxSpec,
        in sandbox: Sandbox,
        timeout: Duration? = nil,
        gracePeriod: Duration = .seconds(5),
        handle: ProcessHandle? = nil,
        cgroup: BuildCgroup? = nil,
        onNetwork: (@Sendable (NetworkNamespace) -> Void)? = nil,
        onLine: @escaping @Sendable (OutputLine) -> Void
    ) async throws -> Termination {
        let command = sandbox.command(for: spec)
        guard case .bubblewrap(let setup) = sandbox.isolation else {
            return try await ChildProcess.run(command, timeout: timeout, gracePeriod: gracePeriod, handle: handle, cgroup: cgroup, onLine: onLine)
        }
        // bubblewrap sometimes fails to bring up a new namespace's loopback when many start at once ("loopback:
        // Failed RTM_NEWADDR"), before the command runs: such a start is tried again.
        var attempt = 1
        while true {
            let setupFailed = Atomic<Bool>(false)
            let isLastAttempt = attempt >= maximumAttempts
            let filtered: @Sendable (OutputLine) -> Void = { line in
                if line.stream == .stderr && line.text.hasPrefix("bwrap: loopback: ") {
                    setupFailed.store(true, ordering: .relaxed)
                    if !isLastAttempt { return }
                }
                onLine(line)
            }
            do {
                let termination = try await runOnce(
                    command, setup: setup, timeout: timeout, gracePeriod: gracePeriod, handle: handle, cgroup: cgroup, onNetwork: onNetwork,
                    onLine: filtered)
                guard setupFailed.load(ordering: .relaxed), !termination.succeeded, attempt < maximumAttempts else { return termination }
            } catch {
                guard setupFailed.load(ordering: .relaxed), attempt < maximumAttempts else { throw error }
            }
            attempt += 1
            try await Task.sleep(for: .milliseconds(10 * attempt))
        }
    }

    /// How often a sandbox whose namespace could not be set up is started.
    static let maximumAttempts = 4

    private static func runOnce(
        _ command: Command, setup: BubblewrapSetup, timeout: Duration?, gracePeriod: Duration, handle: ProcessHandle?,
        cgroup: BuildCgroup?, onNetwork: (@Sendable (NetworkNamespace) -> Void)?, onLine: @escaping @Sendable (OutputLine) -> Void
    ) async throws -> Termination {
        var command = command
        let descriptors = try Descriptors(setup: setup)
        defer { descriptors.closeAll() }
        command.inheritedDescriptors = descriptors.forChild
        let network = Mutex<SlirpNetwork?>(nil)
        defer { network.withLock { $0 }?.stop() }
        return try await ChildProcess.run(
            command, timeout: timeout, gracePeriod: gracePeriod, handle: handle, cgroup: cgroup,
            started: { _ in
                descriptors.closeChildEnds()
                guard let slirp4netns = setup.slirp4netns, let info = descriptors.info, let start = descriptors.start else { return }
                let sandboxPID = try await readChildPID(from: info)
                guard let namespace = try? NetworkNamespace.of(processID: sandboxPID) else {
                    throw SpawnError(description: "the sandbox ended before it could start")
                }
                let started = try await SlirpNetwork.start(executable: slirp4netns, processID: sandboxPID, onLine: onLine)
                network.withLock { $0 = started }
                onNetwork?(namespace)
                guard send(start, "1", 1, Int32(MSG_NOSIGNAL)) == 1 else { throw SpawnError(description: "the sandbox ended before it could start") }
            },
            onLine: onLine
        )
    }

    /// Reads bubblewrap's `--info-fd` JSON (`{"child-pid": N, …}`) on a thread of its own.
    static func readChildPID(from descriptor: Int32) async throws -> Int32 {
        let data = await withCheckedContinuation { (continuation: CheckedContinuation<[UInt8], Never>) in
            Thread.detachNewThread {
                var data: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 1024)
                while data.count < 64 * 1024 {
                    let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                    if count < 0 && errno == EINTR { continue }
                    if count <= 0 { break }
                    data += buffer[0..<count]
                    if childPID(in: data) != nil { break }
                }
                continuation.resume(returning: data)
            }
        }
        guard let pid = childPID(in: data) else {
            throw SpawnError(description: "the sandbox did not start (bubblewrap reported no process)")
        }
        return pid
    }

    /// The `child-pid` of bubblewrap's info JSON, once it is complete.
    static func childPID(in data: [UInt8]) -> Int32? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(data)) as? [String: Any],
            let pid = (object["child-pid"] as? NSNumber)?.int32Value, pid > 0
        else { return nil }
        return pid
    }

    /// The descriptors of one bubblewrap run: ours and the child's ends, each closed exactly once.
    final class Descriptors: Sendable {
        private let open: Mutex<Set<Int32>>
        /// The child's descriptors in the order of `Sandbox.Descriptor`: seccomp, info, start, resolv.conf.
        let forChild: [Int32]
        /// Our end of the info pipe and of the start signal (private network only).
        let info: Int32?
        let start: Int32?

        init(setup: BubblewrapSetup) throws {
            var all: [Int32] = []
            func pipe() throws -> (read: Int32, write: Int32) {
                var ends: [Int32] = [-1, -1]
                guard slipway_pipe_cloexec(&ends) == 0 else {
                    throw SpawnError(description: "cannot create a pipe: \(String(cString: strerror(errno)))")
                }
                all += ends
                return (ends[0], ends[1])
            }
            /// A connected pair of sockets used like a pipe: a write to it when the other end is gone fails with
            /// EPIPE instead of raising SIGPIPE (`send` with `MSG_NOSIGNAL`).
            func socketPair() throws -> (read: Int32, write: Int32) {
                var ends: [Int32] = [-1, -1]
                guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &ends) == 0 else {
                    throw SpawnError(description: "cannot create a socket pair: \(String(cString: strerror(errno)))")
                }
                all += ends
                return (ends[0], ends[1])
            }
            /// A pipe holding `bytes` and then its end (small enough for the pipe's buffer); returns the read end.
            func filled(with bytes: [UInt8]) throws -> Int32 {
                let ends = try pipe()
                let written = bytes.withUnsafeBytes { Glibc.write(ends.write, $0.baseAddress, $0.count) }
                all.removeLast()
                Glibc.close(ends.write)
                guard written == bytes.count else { throw SpawnError(description: "cannot fill a pipe for the sandbox") }
                return ends.read
            }
            do {
                var child = [try filled(with: setup.seccomp?.bytes ?? [])]
                if setup.hasPrivateNetwork {
                    let info = try pipe()
                    let start = try socketPair()
                    child += [info.write, start.read, try filled(with: Array("nameserver 10.0.2.3\n".utf8))]
                    self.info = info.read
                    self.start = start.write
                } else {
                    self.info = nil
                    self.start = nil
                }
                self.forChild = child
            } catch {
                all.forEach { _ = Glibc.close($0) }
                throw error
            }
            self.open = Mutex(Set(all))
        }

        /// Closes our copies of the child's ends once it has them (its end of the info pipe must be the only one,
        /// so that a sandbox that dies early shows as the end of the pipe).
        func closeChildEnds() {
            forChild.forEach(close)
        }

        func closeAll() {
            open.withLock { $0 }.forEach(close)
        }

        private func close(_ descriptor: Int32) {
            if open.withLock({ $0.remove(descriptor) != nil }) { _ = Glibc.close(descriptor) }
        }
    }
}

/// One `slirp4netns` giving a sandbox's network namespace a way out: its own TCP/IP stack in user space, the
/// namespace's default route through it, DNS on 10.0.2.3, and no way to the host's loopback
/// (`--disable-host-loopback`). It runs sandboxed itself (`--enable-sandbox`, `--enable-seccomp`) and ends when
/// `stop` closes its exit descriptor (or when the server dies, which closes it too).
final class SlirpNetwork: Sendable {
    private let process: SpawnedProcess
    private let exitDescriptor: Int32

    private init(process: SpawnedProcess, exitDescriptor: Int32) {
        self.process = process
        self.exitDescriptor = exitDescriptor
    }

    /// The arguments that start slirp4netns for the namespace of `pid`; it reports readiness on descriptor 3 and
    /// exits when descriptor 4 reaches its end.
    static func arguments(executable: String, processID pid: Int32) -> [String] {
        [
            executable, "--configure", "--mtu=65520", "--disable-host-loopback", "--enable-sandbox", "--enable-seccomp",
            "--ready-fd=3", "--exit-fd=4", String(pid), "tap0",
        ]
    }

    /// Starts slirp4netns and returns once the namespace is configured.
    static func start(executable: String, processID pid: Int32, onLine: @escaping @Sendable (OutputLine) -> Void) async throws -> SlirpNetwork {
        var ready: [Int32] = [-1, -1]
        var exit: [Int32] = [-1, -1]
        guard slipway_pipe_cloexec(&ready) == 0 else { throw SpawnError(description: "cannot create a pipe: \(String(cString: strerror(errno)))") }
        guard slipway_pipe_cloexec(&exit) == 0 else {
            close(ready[0])
            close(ready[1])
            throw SpawnError(description: "cannot create a pipe: \(String(cString: strerror(errno)))")
        }
        let process: SpawnedProcess
        do {
            process = try SpawnedProcess.spawn(
                Command(
                    arguments: arguments(executable: executable, processID: pid), environment: ["PATH": Sandbox.defaultPath],
                    inheritedDescriptors: [ready[1], exit[0]])
            )
        } catch {
            [ready[0], ready[1], exit[0], exit[1]].forEach { _ = close($0) }
            throw error
        }
        close(ready[1])
        close(exit[0])
        let readyDescriptor = ready[0]
        // Its output is drained so that it never blocks; only failures are worth a line in the log.
        for (descriptor, stream) in [(process.stdoutFD, OutputStream.stdout), (process.stderrFD, .stderr)] {
            _ = LineReader.start(fd: descriptor, stream: stream) { line in
                if stream == .stderr, line.text.contains("rror") { onLine(OutputLine(stream: .stderr, text: "slirp4netns: " + line.text)) }
            }
        }
        let isReady = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            Thread.detachNewThread {
                var byte: UInt8 = 0
                var count = 0
                repeat { count = read(readyDescriptor, &byte, 1) } while count < 0 && errno == EINTR
                close(readyDescriptor)
                continuation.resume(returning: count == 1)
            }
        }
        let network = SlirpNetwork(process: process, exitDescriptor: exit[1])
        guard isReady else {
            network.stop()
            throw SpawnError(description: "slirp4netns could not give the sandbox its network")
        }
        return network
    }

    /// Ends slirp4netns and reaps it.
    func stop() {
        close(exitDescriptor)
        process.killGroup()
        let pid = process.pid
        Thread.detachNewThread {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        }
    }
}
