import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A network namespace made for one image build and held open by a process of its own (`unshare --net`, then
/// `sleep`), with slirp4netns as its way out: the build's `RUN` steps join it (`--network ns:/proc/<pid>/ns/net`),
/// reach the internet for package downloads, resolve names through slirp4netns (10.0.2.3), and cannot reach the
/// host's loopback (`--disable-host-loopback`: 10.0.2.2 refuses). Buildah 1.28 has no slirp4netns mode for builds;
/// this gives its steps the same network sandboxed builds get.
public final class BuildNetworkNamespace: Sendable {
    /// The resolver slirp4netns answers on inside the namespace.
    public static let dnsServer = "10.0.2.3"

    /// `/proc/<holder pid>/ns/net`, for `--network ns:`.
    public let path: String
    private let holder: SpawnedProcess
    private let slirp: SlirpNetwork
    private let stopped = Atomic<Bool>(false)

    private init(path: String, holder: SpawnedProcess, slirp: SlirpNetwork) {
        self.path = path
        self.holder = holder
        self.slirp = slirp
    }

    /// The arguments of the process that holds the namespace: it says `ready` once it is inside, then sleeps.
    static func holderArguments(unshare: String) -> [String] {
        [unshare, "--net", "--", "/bin/sh", "-c", "echo ready && exec sleep infinity"]
    }

    /// Makes the namespace and starts slirp4netns on it; returns once both are ready.
    public static func start(
        unshare: String = "unshare", slirp4netns: String = "slirp4netns", onLine: @escaping @Sendable (OutputLine) -> Void = { _ in }
    ) async throws -> BuildNetworkNamespace {
        let holder = try SpawnedProcess.spawn(Command(arguments: holderArguments(unshare: unshare), environment: ["PATH": Sandbox.defaultPath]))
        _ = LineReader.start(fd: holder.stderrFD, stream: .stderr) { line in onLine(OutputLine(stream: .stderr, text: "unshare: " + line.text)) }
        let stdout = holder.stdoutFD
        let isReady = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            Thread.detachNewThread {
                var text: [UInt8] = []
                var byte: UInt8 = 0
                while text.count < 64 {
                    let count = read(stdout, &byte, 1)
                    if count < 0 && errno == EINTR { continue }
                    if count <= 0 || byte == 10 { break }
                    text.append(byte)
                }
                close(stdout)
                continuation.resume(returning: text == Array("ready".utf8))
            }
        }
        guard isReady else {
            stop(holder)
            throw SpawnError(description: "the build's network namespace could not be made")
        }
        do {
            let slirp = try await SlirpNetwork.start(executable: slirp4netns, processID: holder.pid, onLine: onLine)
            return BuildNetworkNamespace(path: "/proc/\(holder.pid)/ns/net", holder: holder, slirp: slirp)
        } catch {
            stop(holder)
            throw error
        }
    }

    /// The build's network, as `ImageBuildSpec.network` takes it.
    public var buildNetwork: BuildNetwork { .namespace(path: path, dnsServer: Self.dnsServer) }

    /// The holder's pid.
    public var processID: Int32 { holder.pid }

    /// Ends slirp4netns and the holder: the namespace goes away with the last process in it.
    public func stop() {
        guard !stopped.exchange(true, ordering: .sequentiallyConsistent) else { return }
        slirp.stop()
        Self.stop(holder)
    }

    deinit { stop() }

    private static func stop(_ holder: SpawnedProcess) {
        holder.killGroup()
        let pid = holder.pid
        Thread.detachNewThread {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        }
    }
}
