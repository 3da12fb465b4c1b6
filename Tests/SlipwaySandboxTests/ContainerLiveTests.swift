import Foundation
import SlipwayTesting
import Synchronization
import Testing

@testable import SlipwaySandbox

#if canImport(Glibc)
    import Glibc
#endif

/// The container engine layer against the real Podman of this machine: images made here from busybox (no registry is
/// reachable), containers reached through their own network namespace. Each test labels what it makes with a label
/// of its own and removes it by that label.
@Suite(
    .enabled("needs root, podman, runc and busybox-static (apt-get install podman buildah runc busybox-static)") {
        await PodmanMachine.canRunContainers()
    })
struct ContainerLiveTests {

    /// One test's engine, label and scratch directory.
    struct Scene {
        let client: ContainerClient
        let token = UUID().uuidString.prefix(8).lowercased()
        let directory: String
        var label: String { "slipway-test.run=\(token)" }
        var labels: [String: String] { ["slipway-test.run": token] }
        var baseImage: String { "localhost/slipway-test/busybox:\(token)" }

        init() async throws {
            client = ContainerClient(engine: try await ContainerEngine.detect(.podman).get())
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("slipway-containers-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }

        /// A build of `dockerfile` in a context of its own (with `busybox` in it), under a cgroup parent of its own.
        func buildSpec(_ dockerfile: String, tag: String) throws -> ImageBuildSpec {
            let context = directory + "/context-\(UUID().uuidString.prefix(6))"
            try FileManager.default.createDirectory(atPath: context, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: "/bin/busybox", toPath: context + "/busybox")
            try dockerfile.write(toFile: context + "/Dockerfile", atomically: true, encoding: .utf8)
            return ImageBuildSpec(
                contextDirectory: context, dockerfile: context + "/Dockerfile", tag: tag, labels: labels,
                cgroupParent: "/slipway-build-test-\(token)-\(UUID().uuidString.prefix(6).lowercased())"
            )
        }

        /// Builds `dockerfile` and returns how the build ended.
        func build(_ dockerfile: String, tag: String, onLine: @escaping @Sendable (OutputLine) -> Void = { _ in }) async throws -> Termination {
            try await client.build(try buildSpec(dockerfile, tag: tag), timeout: .seconds(300), onLine: onLine)
        }

        /// The busybox base image: every busybox applet linked in /bin.
        func buildBaseImage() async throws {
            let dockerfile = "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\n"
            let lines = Mutex<[String]>([])
            let termination = try await build(dockerfile, tag: baseImage) { line in lines.withLock { $0.append(line.text) } }
            try #require(termination.succeeded, "the base image did not build: \(lines.withLock { $0 }.joined(separator: "\n"))")
        }

        /// Runs `body` with a new scene, then removes what it made, also when `body` fails.
        static func with(_ body: (Scene) async throws -> Void) async throws {
            let scene = try await Scene()
            do {
                try await body(scene)
            } catch {
                try? await scene.tearDown()
                throw error
            }
            try await scene.tearDown()
        }

        /// Removes everything the test made, and checks that nothing is left.
        func tearDown() async throws {
            try? FileManager.default.removeItem(atPath: directory)
            try await client.removeAll(withLabel: label)
            #expect(try await client.containers(withLabel: label).isEmpty)
            #expect(try await client.images(withLabel: label).isEmpty)
        }
    }

    @Test func detectionReportsPodmanWithRuncAndHowContainersAreIsolated() async throws {
        let engine = try await ContainerEngine.detect(.podman).get()
        #expect(engine.kind == .podman)
        #expect(engine.version.first?.isNumber == true)
        #expect(engine.summary.hasPrefix("podman \(engine.version) with runc, "))
        #expect(engine.storageRoot != nil && engine.storageDriver != nil)
        #expect(engine.secretLauncher == "/bin/busybox")
        #expect(engine.network == .slirp4netns && engine.buildNetwork == .slirp4netns)
        #expect(engine.summary.contains("own network namespace (slirp4netns, no host loopback)"))
        let missing = await ContainerEngine.detect(.podman, secretLauncherCandidates: ["/bin/sh"])
        #expect(try missing.get().secretLauncher == nil)
    }

    /// Stopped through its `ProcessHandle` (the pipeline's cancel) or by cancelling its task (a timeout of the caller).
    @Test(arguments: [false, true])
    func aBuildThatIsCanceledMidStepLeavesNoProcessNoBuildContainerAndNoImage(cancellingTheTask: Bool) async throws {
        try await Scene.with { scene in try await canceledBuild(scene, cancellingTheTask: cancellingTheTask) }
    }

    func canceledBuild(_ scene: Scene, cancellingTheTask: Bool) async throws {
        try await scene.buildBaseImage()
        let handle = ProcessHandle()
        let sleeping = AsyncStream.makeStream(of: Void.self)
        let lines = Mutex<[String]>([])
        let dockerfile = "FROM \(scene.baseImage)\nRUN echo first-step-done\nRUN echo about-to-sleep && sleep 300\nRUN echo never\n"
        let spec = try scene.buildSpec(dockerfile, tag: "localhost/slipway-test/slow:\(scene.token)")
        let client = scene.client
        let build = Task {
            try await client.build(spec, timeout: .seconds(300), handle: handle) { line in
                lines.withLock { $0.append(line.text) }
                if line.text == "about-to-sleep" { sleeping.continuation.yield() }
            }
        }
        // The line arrives while the step still runs: output is streamed, not collected at the end.
        for await _ in sleeping.stream { break }
        #expect(lines.withLock { $0 }.contains("first-step-done"))
        if cancellingTheTask {
            build.cancel()
        } else {
            handle.stop(gracePeriod: .seconds(5))
        }
        await #expect(throws: CancellationError.self) { try await build.value }
        #expect(!lines.withLock { $0 }.contains("never"))

        let cgroupName = String(spec.cgroupParent.dropFirst())
        #expect(BuildLeftovers.processes(inCgroupNamed: cgroupName).isEmpty, "a RUN step's process survived")
        #expect(ProcessTable.matching(cgroupName).isEmpty, "a podman or buildah process survived")
        let storage = try await scene.client.execute(scene.client.commands.allContainersWithBuildContainers(), operation: "listing")
        #expect(!storage.lines.contains { BuildLeftovers.workingContainer($0, engine: scene.client.engine, hasCgroupParent: spec.cgroupParent) })
        #expect(!FileManager.default.fileExists(atPath: "/sys/fs/cgroup/pids/" + cgroupName))
        #expect(try await !scene.client.imageExists("localhost/slipway-test/slow:\(scene.token)"))
        #expect(try await scene.client.imageExists(scene.baseImage))
    }

    @Test func aBuildWithAWayOutGetsSlirpsRouteAndResolverButNotTheHostsLoopback() async throws {
        try await Scene.with { scene in
            try await scene.buildBaseImage()
            let hostServer = try LoopbackListener()
            defer { hostServer.close() }
            let holdersBefore = Set(ProcessTable.matching("sleep infinity"))
            let dockerfile = [
                "FROM \(scene.baseImage)",
                "RUN ip route && cat /etc/resolv.conf && (timeout 5 nc 10.0.2.2 \(hostServer.port) </dev/null || echo no-host-loopback)",
            ].joined(separator: "\n")
            let lines = Mutex<[String]>([])
            var spec = ImageBuildSpec(
                contextDirectory: scene.directory, dockerfile: scene.directory + "/Dockerfile", tag: "localhost/slipway-test/net:\(scene.token)",
                labels: scene.labels, network: .slirp4netns, cgroupParent: "/slipway-build-test-\(scene.token)-net"
            )
            try dockerfile.write(toFile: spec.dockerfile, atomically: true, encoding: .utf8)
            let termination = try await scene.client.build(spec, timeout: .seconds(120)) { line in lines.withLock { $0.append(line.text) } }
            let output = lines.withLock { $0 }
            #expect(termination.succeeded, "\(output)")
            #expect(output.contains { $0.hasPrefix("default via 10.0.2.2 dev tap0") })
            #expect(output.contains("nameserver 10.0.2.3"))
            #expect(output.contains { $0.contains("can't connect to remote host (10.0.2.2)") })
            #expect(output.contains("no-host-loopback"))
            #expect(hostServer.pendingConnections() == 0)
            // The namespace's holder ends with the build.
            var holders = Set(ProcessTable.matching("sleep infinity")).subtracting(holdersBefore)
            for _ in 0..<100 where !holders.isEmpty {
                try await Task.sleep(for: .milliseconds(20))
                holders = Set(ProcessTable.matching("sleep infinity")).subtracting(holdersBefore)
            }
            #expect(holders.isEmpty)
            spec.network = .none
            #expect(throws: Never.self) { try scene.client.commands.build(spec) }
        }
    }

    @Test func aServiceContainerIsReachedOnItsOwnLoopbackRunsUnprivilegedAndCannotReachTheHostsLoopback() async throws {
        try await Scene.with { scene in try await serviceContainer(scene) }
    }

    func serviceContainer(_ scene: Scene) async throws {
        try await scene.buildBaseImage()
        let image = "localhost/slipway-test/web:\(scene.token)"
        let built = try await scene.build(
            "FROM \(scene.baseImage)\nRUN mkdir /www && echo hello-from-the-container > /www/index.html\n", tag: image)
        try #require(built.succeeded)

        // A TCP server of the test on the host's loopback: the container must not reach it.
        let hostServer = try LoopbackListener()
        defer { hostServer.close() }
        let secret = "s3cret-\(UUID().uuidString)"
        let script = [
            // Where slirp4netns would forward to the host's loopback, then the container's own loopback.
            "timeout 5 nc 10.0.2.2 \(hostServer.port) </dev/null > /www/host.txt 2>&1",
            "timeout 5 nc 127.0.0.1 \(hostServer.port) </dev/null >> /www/host.txt 2>&1",
            "printf '%s' \"$API_TOKEN\" > /www/secret.txt",
            "printf '%s' \"$GREETING\" > /www/greeting.txt",
            "id -u > /www/uid.txt",
            "exec httpd -f -p 127.0.0.1:$PORT -h /www",
        ].joined(separator: "\n")
        let name = "slipway-test-\(scene.token)"
        let spec = ContainerRunSpec(
            name: name, image: image, labels: scene.labels, environment: ["PORT": "8080", "GREETING": "hi \"there\" = yes"],
            secrets: ["API_TOKEN": secret], command: ["sh", "-c", script],
            limits: ContainerLimits(resources: ResourceLimits(memoryBytes: 64 * 1024 * 1024, maxProcesses: 64))
        )
        try await scene.client.run(spec)

        let namespace = try await scene.client.networkNamespace(of: name)
        let page = try await Self.fetch("/index.html", port: 8080, in: namespace)
        #expect(page.hasSuffix("hello-from-the-container\n"))
        #expect(try await Self.fetch("/greeting.txt", port: 8080, in: namespace).hasSuffix("\r\n\r\nhi \"there\" = yes"))

        // Unprivileged: root inside, a subordinate uid outside.
        let state = try await scene.client.inspect(name)
        let pid = try #require(state.processID)
        let hostUID = try Self.hostUID(of: pid)
        #expect(hostUID != 0)
        switch scene.client.engine.userMode {
        case .automaticNamespace:
            #expect(try await Self.fetch("/uid.txt", port: 8080, in: namespace).hasSuffix("\r\n\r\n0\n"))
            #expect(hostUID >= 65536)
        case .fixed(let uid, _):
            #expect(hostUID == Int(uid))
        }
        #expect(state.running && state.status == "running" && !state.outOfMemoryKilled)

        // The host's loopback is out of reach (slirp's gateway refuses), and nothing arrived at the test's server.
        let host = try await Self.fetch("/host.txt", port: 8080, in: namespace)
        #expect(host.contains("can't connect to remote host (10.0.2.2)"))
        #expect(host.contains("can't connect to remote host (127.0.0.1)"))
        #expect(hostServer.pendingConnections() == 0)

        // The secret: seen inside, absent from inspect, from every command line, and no engine secret is left.
        #expect(try await Self.fetch("/secret.txt", port: 8080, in: namespace).hasSuffix("\r\n\r\n" + secret))
        let inspect = try await scene.client.execute(scene.client.commands.inspect(name), operation: "inspect")
        #expect(inspect.standardOutput.contains("\"Pid\": \(pid)"))
        #expect(!inspect.standardOutput.contains(secret))
        #expect(ProcessTable.matching(secret).isEmpty)
        let secrets = try await scene.client.execute(
            Command(arguments: ["podman", "secret", "ls", "--format", "{{.Name}}"], environment: ["PATH": Sandbox.defaultPath]),
            operation: "secret ls")
        #expect(!secrets.standardOutput.contains(name))

        try await scene.client.stop(name, timeoutSeconds: 1)
        #expect(try await scene.client.inspect(name).running == false)
    }

    /// Podman 4.3 sometimes mounts a container's network namespace file from inside another mount namespace; here the
    /// same state is made by unmounting it in ours. Every `ps` then fails on the container until the listing repairs
    /// the file (without the repair the listing throws); removing the container leaves no mount behind.
    @Test func aListingRepairsAContainerWhoseNetworkNamespaceFileIsNotANamespace() async throws {
        try await Scene.with { scene in
            try await scene.buildBaseImage()
            let name = "slipway-test-\(scene.token)"
            let spec = ContainerRunSpec(
                name: name, image: scene.baseImage, labels: scene.labels, command: ["sleep", "300"],
                limits: ContainerLimits(resources: ResourceLimits(memoryBytes: 64 * 1024 * 1024, maxProcesses: 64)))
            try await scene.client.run(spec)
            let state = try await scene.client.inspect(name)
            let path = try #require(state.networkNamespacePath, "slirp4netns containers have a namespace file")
            #expect(NetworkNamespaceFile.isNamespace(path) == true)
            try #require(umount2(path, Int32(MNT_DETACH)) == 0, "unmounting \(path): \(String(cString: strerror(errno)))")
            #expect(NetworkNamespaceFile.isNamespace(path) == false)
            let broken = try await ContainerClient.execute(scene.client.commands.containersWithLabel(scene.label), timeout: .seconds(30))
            #expect(!broken.termination.succeeded, "podman ps fails on the container")
            #expect(BrokenNetworkNamespace(reportedIn: broken) == BrokenNetworkNamespace(container: state.id, path: path))

            #expect(try await scene.client.containers(withLabel: scene.label) == [state.id])
            #expect(NetworkNamespaceFile.isNamespace(path) == true)
            try await scene.client.remove(name)
            #expect(try await scene.client.containers(withLabel: scene.label).isEmpty)
            let mounts = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
            #expect(!mounts.contains(path))
        }
    }

    // MARK: Helpers

    /// A GET through a socket made in `namespace`, on a thread of its own; the whole answer.
    static func fetch(_ path: String, port: UInt16, in namespace: NetworkNamespace) async throws -> String {
        for attempt in 0..<200 {
            if let answer = await Self.onThread({ Self.get(path, port: port, namespace: namespace) }) {
                if answer.hasPrefix("HTTP/1.0 200") || answer.hasPrefix("HTTP/1.1 200") { return answer }
            }
            // The server starts a moment after the container (its command first tries the host).
            try await Task.sleep(for: .milliseconds(50 + attempt * 5))
        }
        throw ContainerEngineError("no answer for \(path) on 127.0.0.1:\(port) inside the container")
    }

    private static func onThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in Thread.detachNewThread { continuation.resume(returning: work()) } }
    }

    private static func get(_ path: String, port: UInt16, namespace: NetworkNamespace) -> String? {
        let fd = namespace.makeSocket()
        guard fd >= 0 else { return nil }
        defer { Glibc.close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: localhost\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == request.count else { return nil }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            answer += buffer[..<count]
        }
        return String(decoding: answer, as: UTF8.self)
    }

    /// The real uid (on the host) of process `pid`.
    static func hostUID(of pid: Int32) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("Uid:") })
        return try #require(Int(line.split(whereSeparator: \.isWhitespace)[1]))
    }
}

/// A TCP listener on 127.0.0.1 that never accepts: a connection that reaches it stays in its backlog.
final class LoopbackListener: Sendable {
    let descriptor: Int32
    let port: UInt16

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound, listen(fd, 16) == 0 else {
            Glibc.close(fd)
            throw ContainerEngineError("cannot listen on 127.0.0.1")
        }
        descriptor = fd
        port = UInt16(bigEndian: address.sin_port)
    }

    /// How many connections arrived (accepting and closing each).
    func pendingConnections() -> Int {
        var count = 0
        while true {
            let connection = accept(descriptor, nil, nil)
            if connection < 0 { return count }
            Glibc.close(connection)
            count += 1
        }
    }

    func close() { Glibc.close(descriptor) }
}
