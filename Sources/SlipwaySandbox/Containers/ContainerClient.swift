import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// What an engine command printed and how it ended.
public struct ContainerOutput: Sendable, Equatable {
    public var termination: Termination
    /// Standard output, lines joined with `\n`.
    public var standardOutput: String
    /// Standard error, lines joined with `\n`.
    public var standardError: String

    public init(termination: Termination, standardOutput: String, standardError: String) {
        self.termination = termination
        self.standardOutput = standardOutput
        self.standardError = standardError
    }

    /// Standard output's lines, without empty ones.
    public var lines: [String] { standardOutput.split(separator: "\n").map(String.init).filter { !$0.isEmpty } }
}

/// An engine command that failed: which one and what it said.
public struct ContainerEngineError: Error, Sendable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) { self.description = description }

    init(_ operation: String, _ output: ContainerOutput) {
        let detail = output.standardError.trimmingCharacters(in: .whitespacesAndNewlines)
        self.description = "\(operation) \(output.termination.summary)" + (detail.isEmpty ? "" : ": \(detail)")
    }
}

/// What `inspect` says about a container.
public struct ContainerState: Sendable, Equatable {
    public var id: String
    /// `created`, `running`, `exited`, …
    public var status: String
    public var running: Bool
    /// The host pid of the container's main process while it runs.
    public var processID: Int32?
    public var exitCode: Int32
    /// Whether the kernel killed it for running out of its memory limit.
    public var outOfMemoryKilled: Bool
    /// The file the engine keeps the container's network namespace at (`NetworkSettings.SandboxKey`), when it made one.
    public var networkNamespacePath: String?

    public init(
        id: String, status: String, running: Bool, processID: Int32?, exitCode: Int32, outOfMemoryKilled: Bool,
        networkNamespacePath: String? = nil
    ) {
        self.id = id
        self.status = status
        self.running = running
        self.processID = processID
        self.exitCode = exitCode
        self.outOfMemoryKilled = outOfMemoryKilled
        self.networkNamespacePath = networkNamespacePath
    }

    /// Reads the first object of `container inspect`'s JSON array (Podman and Docker write the same `State` fields).
    public static func parse(inspectOutput: String) throws(ContainerEngineError) -> ContainerState {
        guard
            let array = try? JSONSerialization.jsonObject(with: Data(inspectOutput.utf8)) as? [[String: Any]],
            let object = array.first, let state = object["State"] as? [String: Any]
        else { throw ContainerEngineError("inspect: no container state in the engine's answer") }
        let pid = (state["Pid"] as? NSNumber)?.int32Value ?? 0
        let sandboxKey = (object["NetworkSettings"] as? [String: Any])?["SandboxKey"] as? String
        return ContainerState(
            id: object["Id"] as? String ?? "", status: state["Status"] as? String ?? "", running: state["Running"] as? Bool ?? false,
            processID: pid > 0 ? pid : nil, exitCode: (state["ExitCode"] as? NSNumber)?.int32Value ?? 0,
            outOfMemoryKilled: state["OOMKilled"] as? Bool ?? false, networkNamespacePath: sandboxKey?.isEmpty == false ? sandboxKey : nil
        )
    }
}

/// Runs `ContainerCommands` with the process machinery of the sandbox (`ChildProcess`, `PipedProcess`): commands to
/// completion with their output, image builds streamed line by line and killed with everything they started.
public struct ContainerClient: Sendable {
    public let commands: ContainerCommands
    /// How long a short command (inspect, stop, rm, …) may take.
    public var commandTimeout: Duration

    public init(engine: ContainerEngine, commandTimeout: Duration = .seconds(60)) {
        self.commands = ContainerCommands(engine: engine)
        self.commandTimeout = commandTimeout
    }

    public var engine: ContainerEngine { commands.engine }

    /// Runs `command` to its end and returns its output.
    public static func execute(_ command: Command, timeout: Duration?) async throws -> ContainerOutput {
        let (termination, lines) = try await ChildProcess.capture(command, timeout: timeout)
        func joined(_ stream: OutputStream) -> String {
            lines.filter { $0.stream == stream }.map(\.text).joined(separator: "\n")
        }
        return ContainerOutput(termination: termination, standardOutput: joined(.stdout), standardError: joined(.stderr))
    }

    /// Runs `command`; throws unless it succeeded.
    @discardableResult
    public func execute(_ command: Command, operation: String) async throws -> ContainerOutput {
        let output = try await Self.execute(command, timeout: commandTimeout)
        guard output.termination.succeeded else { throw ContainerEngineError(operation, output) }
        return output
    }

    // MARK: Builds

    /// Builds an image, handing each output line to `onLine` as it comes. When the build does not succeed (it failed,
    /// ran past `timeout`, was stopped through `handle` or its task was cancelled), whatever it left is removed before
    /// this returns: the processes of its `RUN` steps and Buildah's working containers. A build stopped through
    /// `handle` or cancelled throws `CancellationError` (`podman build` exits with status 0 on SIGTERM, even mid-step).
    /// A `.slirp4netns` build gets a `BuildNetworkNamespace` for as long as it runs.
    public func build(
        _ spec: ImageBuildSpec, timeout: Duration? = nil, handle: ProcessHandle? = nil, onLine: @escaping @Sendable (OutputLine) -> Void
    ) async throws -> Termination {
        var spec = spec
        var network: BuildNetworkNamespace?
        if spec.network == .slirp4netns {
            let made = try await BuildNetworkNamespace.start(onLine: onLine)
            network = made
            spec.network = made.buildNetwork
        }
        defer { network?.stop() }
        let command = try commands.build(spec)
        let termination: Termination
        do {
            termination = try await ChildProcess.run(command, timeout: timeout, gracePeriod: .seconds(2), handle: handle, onLine: onLine)
        } catch {
            await removeBuildLeftoversEvenIfCancelled(cgroupParent: spec.cgroupParent)
            throw error
        }
        let interrupted = Task.isCancelled || handle?.isStopped == true
        if !termination.succeeded || interrupted { await removeBuildLeftoversEvenIfCancelled(cgroupParent: spec.cgroupParent) }
        if interrupted { throw CancellationError() }
        return termination
    }

    /// The cleanup of a canceled build runs its own engine commands: in the canceled task they would be stopped as
    /// soon as they started, so it runs in a task of its own that is not canceled.
    private func removeBuildLeftoversEvenIfCancelled(cgroupParent: String) async {
        let client = self
        await Task.detached { await client.removeBuildLeftovers(cgroupParent: cgroupParent) }.value
    }

    /// Kills every process under a build's cgroup (a killed `podman build` leaves its running `RUN` step behind), removes
    /// the Buildah working containers made with that cgroup parent, and the build's empty cgroups. Podman only: a
    /// Docker build runs in the daemon, which cancels it when its client goes away.
    public func removeBuildLeftovers(cgroupParent: String) async {
        guard engine.kind == .podman else { return }
        let name = cgroupParent.split(separator: "/").last.map(String.init) ?? cgroupParent
        await BuildLeftovers.killProcesses(inCgroupNamed: name)
        if let ids = try? await listing(commands.allContainersWithBuildContainers(), operation: "listing containers") {
            let leftovers = ids.filter { BuildLeftovers.workingContainer($0, engine: engine, hasCgroupParent: cgroupParent) }
            if !leftovers.isEmpty { _ = try? await execute(commands.remove(containers: leftovers), operation: "removing build containers") }
        }
        BuildLeftovers.removeCgroups(named: name)
    }

    // MARK: Containers

    /// Starts a container and returns its id. The environment goes through a private file that is deleted once the
    /// engine has read it; secrets become engine secrets for the moment of the start (the container keeps its copy).
    /// A container with secrets and no command gets the image's entrypoint and command.
    @discardableResult
    public func run(_ spec: ContainerRunSpec) async throws -> String {
        var spec = spec
        if !spec.secrets.isEmpty, let entrypoint = spec.entrypoint {
            // The launcher is the entrypoint then: it starts the given one with the command.
            spec.command = entrypoint + (spec.command ?? [])
            spec.entrypoint = nil
        }
        if !spec.secrets.isEmpty && (spec.command ?? []).isEmpty {
            spec.command = try await imageCommand(spec.image)
        }
        let directory = try PrivateDirectory()
        defer { directory.remove() }
        var environmentFile: String?
        if !spec.environment.isEmpty {
            environmentFile = try directory.write(name: "env", contents: try ContainerCommands.environmentFile(for: spec.environment))
        }
        let command = try commands.run(spec, environmentFile: environmentFile)
        let secretNames = spec.secrets.keys.sorted().map { ContainerCommands.secretName(container: spec.name, variable: $0) }
        if !secretNames.isEmpty { _ = try? await Self.execute(commands.secretRemove(secretNames), timeout: commandTimeout) }
        do {
            for variable in spec.secrets.keys.sorted() {
                let name = ContainerCommands.secretName(container: spec.name, variable: variable)
                try await createSecret(name, value: spec.secrets[variable] ?? "", labels: spec.labels)
            }
            let output = try await execute(command, operation: "starting container \(spec.name)")
            if !secretNames.isEmpty { try await execute(commands.secretRemove(secretNames), operation: "removing secrets") }
            await repairNetworkNamespace(of: spec.name)
            return output.lines.last ?? spec.name
        } catch {
            if !secretNames.isEmpty { _ = try? await Self.execute(commands.secretRemove(secretNames), timeout: commandTimeout) }
            throw error
        }
    }

    /// Creates an engine secret, its value written to the engine's standard input.
    public func createSecret(_ name: String, value: String, labels: [String: String] = [:]) async throws {
        let process = try PipedProcess(commands.secretCreate(name, labels: labels))
        try await process.write(Array(value.utf8))
        process.closeInput()
        while await process.read() != nil {}
        let termination = await process.wait()
        guard termination.succeeded else {
            throw ContainerEngineError("creating secret \(name) \(termination.summary): \(process.standardError.joined(separator: " "))")
        }
    }

    /// The image's entrypoint followed by its command.
    public func imageCommand(_ image: String) async throws -> [String] {
        let output = try await execute(commands.imageInspect(image), operation: "inspecting image \(image)")
        guard
            let array = try? JSONSerialization.jsonObject(with: Data(output.standardOutput.utf8)) as? [[String: Any]],
            let config = array.first?["Config"] as? [String: Any]
        else { throw ContainerEngineError("inspecting image \(image): no configuration in the engine's answer") }
        let command = (config["Entrypoint"] as? [String] ?? []) + (config["Cmd"] as? [String] ?? [])
        guard !command.isEmpty else { throw ContainerEngineError("image \(image) has neither an entrypoint nor a command") }
        return command
    }

    /// The image's working directory (`WORKDIR`; `/` when it sets none).
    public func imageWorkingDirectory(_ image: String) async throws -> String {
        let output = try await execute(commands.imageInspect(image), operation: "inspecting image \(image)")
        guard
            let array = try? JSONSerialization.jsonObject(with: Data(output.standardOutput.utf8)) as? [[String: Any]],
            let config = array.first?["Config"] as? [String: Any]
        else { throw ContainerEngineError("inspecting image \(image): no configuration in the engine's answer") }
        let directory = config["WorkingDir"] as? String ?? ""
        return directory.isEmpty ? "/" : directory
    }

    /// Copies the contents of the directory `path` of `image` (absolute; resolved inside the image's own files, never
    /// the host's) into the existing host directory `destination`, through a container named `name` that is created
    /// for it, never started, and removed (also when the copy fails or the task is cancelled). Links are copied as
    /// links: what they point at is the caller's to check.
    public func copyDirectory(_ path: String, of image: String, to destination: String, name: String, labels: [String: String]) async throws {
        // A container of that name left by a crash is in the way.
        _ = try? await Self.execute(commands.remove(name), timeout: commandTimeout)
        try await execute(commands.createForCopy(image: image, name: name, labels: labels), operation: "creating a container of \(image)")
        let client = self
        do {
            let source = path.hasSuffix("/") ? path + "." : path + "/."
            try await execute(commands.copy(from: name, path: source, to: destination), operation: "copying \(path) out of the image")
        } catch {
            try? await Task.detached { try await client.remove(name) }.value
            throw error
        }
        try await Task.detached { try await client.remove(name) }.value
    }

    /// The container's state.
    public func inspect(_ container: String) async throws -> ContainerState {
        let output = try await execute(commands.inspect(container), operation: "inspecting container \(container)")
        return try ContainerState.parse(inspectOutput: output.standardOutput)
    }

    /// The network namespace of the running container: a socket made in it reaches `127.0.0.1:$PORT` inside the
    /// container, with no port published on the host.
    public func networkNamespace(of container: String) async throws -> NetworkNamespace {
        let state = try await inspect(container)
        guard state.running, let pid = state.processID else { throw ContainerEngineError("container \(container) is not running") }
        return try NetworkNamespace.of(processID: pid)
    }

    /// Stops a container (SIGTERM, then SIGKILL after `timeoutSeconds`).
    public func stop(_ container: String, timeoutSeconds: Int = 10) async throws {
        try await execute(commands.stop(container, timeoutSeconds: timeoutSeconds), operation: "stopping container \(container)")
    }

    /// Kills and removes a container.
    public func remove(_ container: String) async throws {
        try await removeContainers([container], operation: "removing container \(container)")
    }

    /// Removes containers, again when a removal failed: Podman sometimes cannot unmount a container's `/dev/shm` at
    /// the first try ("device or resource busy") while another process's new mount namespace still holds a copy of
    /// it (a build starting at that moment), and a container already gone counts as removed.
    func removeContainers(_ containers: [String], operation: String) async throws {
        var failure: ContainerOutput?
        for attempt in 0..<5 {
            if attempt > 0 { try await Task.sleep(for: .milliseconds(100 * attempt)) }
            let output = try await Self.execute(commands.remove(containers: containers), timeout: commandTimeout)
            if output.termination.succeeded { return }
            failure = output
            let all = try await Self.execute(commands.allContainerIDsAndNames(), timeout: commandTimeout)
            let present = all.lines.flatMap { $0.split(separator: " ").map(String.init) }
            let left = containers.filter { wanted in present.contains { $0 == wanted || $0.hasPrefix(wanted) } }
            if all.termination.succeeded && left.isEmpty { return }
        }
        if let failure { throw ContainerEngineError(operation, failure) }
    }

    /// Whether the image exists locally.
    public func imageExists(_ image: String) async throws -> Bool {
        try await Self.execute(commands.imageExists(image), timeout: commandTimeout).termination.succeeded
    }

    /// Removes an image by its name (its layers stay while other images use them); one that is not there is no error.
    public func removeImage(_ image: String) async throws {
        try await execute(commands.imageRemove(image), operation: "removing image \(image)")
    }

    /// The ids of the containers carrying `label`. When Podman's listing fails (below), the containers in its storage
    /// are inspected instead.
    ///
    /// `podman ps` fails as a whole ("joining network namespace of container …: unknown FS magic") while any one
    /// container on the machine has a network namespace path that is no longer a namespace: for a moment during a
    /// container's cleanup, and for as long as it runs when its namespace was unmounted under it (seen here with a
    /// warm standby, docs/containers.md "Restarts"). `inspect` of a named container still works then, so a server
    /// that must find its leftovers after a crash does not depend on every other container being sound.
    public func containers(withLabel label: String) async throws -> [String] {
        do {
            return try await listing(commands.containersWithLabel(label), operation: "listing containers")
        } catch {
            guard engine.kind == .podman, let stored = Self.storedContainerIDs(engine: engine), !stored.isEmpty else { throw error }
            let output = try await Self.execute(commands.inspect(containers: stored), timeout: commandTimeout)
            // Containers removed since the storage was read are reported on standard error; the others are listed.
            guard let found = Self.containers(inInspectOutput: output.standardOutput, withLabel: label) else { throw error }
            return found
        }
    }

    /// The ids of every container in Podman's storage (`<storage root>/<driver>-containers/containers.json`), or nil
    /// when it cannot be read.
    static func storedContainerIDs(engine: ContainerEngine) -> [String]? {
        guard let root = engine.storageRoot, let driver = engine.storageDriver else { return nil }
        guard
            let data = FileManager.default.contents(atPath: "\(root)/\(driver)-containers/containers.json"),
            let entries = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]]
        else { return nil }
        return entries.compactMap { $0["id"] as? String }
    }

    /// The ids of the containers of an `inspect` answer (a JSON array) whose `Config.Labels` have `label` (`key` or
    /// `key=value`); nil when the answer is no JSON array.
    static func containers(inInspectOutput output: String, withLabel label: String) -> [String]? {
        guard let array = try? JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]] else { return nil }
        let key = label.split(separator: "=", maxSplits: 1).first.map(String.init) ?? label
        let value = label.contains("=") ? String(label.drop { $0 != "=" }.dropFirst()) : nil
        return array.compactMap { container in
            let labels = (container["Config"] as? [String: Any])?["Labels"] as? [String: String] ?? [:]
            guard let found = labels[key], value == nil || found == value else { return nil }
            return container["Id"] as? String
        }
    }

    /// The ids of the images carrying `label`.
    public func images(withLabel label: String) async throws -> [String] {
        try await listing(commands.imagesWithLabel(label), operation: "listing images")
    }

    /// Podman 4.3 sometimes bind-mounts a new container's network namespace onto its file under `/run/netns` from a
    /// thread that is inside another mount namespace (one it uses for `--userns auto`): the file stays an empty file
    /// everywhere else, and from then on every `podman ps` and `rm` run anywhere fails on the container ("joining
    /// network namespace of container …: unknown FS magic"), Slipway's own listings included. `inspect` still answers
    /// (with the complaint on standard error), so it is asked, and when it complains the container's namespace
    /// (`/proc/<pid>/ns/net`) is mounted on the file, as Podman meant to; Podman's cleanup unmounts it when the
    /// container goes. Nothing happens when the engine does not complain (the file is right, Docker, `--network none`).
    public func repairNetworkNamespace(of container: String) async {
        guard let output = try? await Self.execute(commands.inspect(container), timeout: commandTimeout),
            let broken = BrokenNetworkNamespace(reportedIn: output),
            let state = try? ContainerState.parse(inspectOutput: output.standardOutput), let pid = state.processID
        else { return }
        NetworkNamespaceFile.repair(path: broken.path, processID: pid)
    }

    /// A listing's lines, asked again when it failed: Podman's listings fail while another command removes an image
    /// they are looking at ("checking if image … is dangling: … image not known"), and on a container whose network
    /// namespace file is not a namespace (repaired first: `repairNetworkNamespace(of:)`). Asked for about 6 s in all.
    private func listing(_ command: Command, operation: String) async throws -> [String] {
        var output = try await Self.execute(command, timeout: commandTimeout)
        for pause in [50, 100, 200, 400, 800, 1_000, 1_500, 2_000] where !output.termination.succeeded {
            if let broken = BrokenNetworkNamespace(reportedIn: output) { await repairNetworkNamespace(of: broken.container) }
            try await Task.sleep(for: .milliseconds(pause))
            output = try await Self.execute(command, timeout: commandTimeout)
        }
        guard output.termination.succeeded else { throw ContainerEngineError(operation, output) }
        return output.lines
    }

    // MARK: Pods and volumes

    /// Creates and starts a pod (its infra container holds the network and user namespaces).
    public func createPod(_ spec: PodSpec) async throws {
        let directory = try PrivateDirectory()
        defer { directory.remove() }
        let configuration = try directory.write(name: "containers.conf", contents: commands.podConfiguration(limits: spec.limits))
        try await execute(commands.podCreate(spec, configurationFile: configuration), operation: "creating pod \(spec.name)")
        try await execute(commands.podStart(spec.name), operation: "starting pod \(spec.name)")
    }

    /// Stops a pod's containers (SIGTERM, SIGKILL after `timeoutSeconds`), then removes the pod with them.
    public func stopPod(_ pod: String, timeoutSeconds: Int) async throws {
        if timeoutSeconds > 0 { _ = try? await Self.execute(commands.podStop(pod, timeoutSeconds: timeoutSeconds), timeout: commandTimeout) }
        try await removePods([pod])
    }

    /// Removes pods with their containers; missing ones are no error. Asked again like container removals.
    public func removePods(_ pods: [String]) async throws {
        var output = try await Self.execute(commands.podRemove(pods), timeout: commandTimeout)
        for attempt in 1..<5 where !output.termination.succeeded {
            try await Task.sleep(for: .milliseconds(100 * attempt))
            output = try await Self.execute(commands.podRemove(pods), timeout: commandTimeout)
        }
        guard output.termination.succeeded else { throw ContainerEngineError("removing pods \(pods.joined(separator: ", "))", output) }
    }

    /// Creates the volume unless it exists.
    public func ensureVolume(_ volume: String, labels: [String: String]) async throws {
        if try await Self.execute(commands.volumeExists(volume), timeout: commandTimeout).termination.succeeded { return }
        let output = try await Self.execute(commands.volumeCreate(volume, labels: labels), timeout: commandTimeout)
        // Made meanwhile by another start of the same set: fine.
        if output.termination.succeeded { return }
        if try await Self.execute(commands.volumeExists(volume), timeout: commandTimeout).termination.succeeded { return }
        throw ContainerEngineError("creating volume \(volume)", output)
    }

    /// Removes the volumes carrying `label`; returns their names.
    @discardableResult
    public func removeVolumes(withLabel label: String) async throws -> [String] {
        let volumes = try await listing(commands.volumesWithLabel(label), operation: "listing volumes")
        if !volumes.isEmpty { try await execute(commands.volumeRemove(volumes), operation: "removing volumes labelled \(label)") }
        return volumes
    }

    /// Runs `arguments` in the running container for at most `timeout`; returns how it ended and its output.
    public func exec(_ container: String, _ arguments: [String], timeout: Duration) async throws -> ContainerOutput {
        try await Self.execute(commands.exec(container, arguments), timeout: timeout)
    }

    /// Removes every pod, container and image that carries `label` (leftovers of a crash, or a test's).
    public func removeAll(withLabel label: String) async throws {
        if engine.kind == .podman {
            let pods = try await listing(commands.podsWithLabel(label), operation: "listing pods")
            if !pods.isEmpty { try await removePods(pods) }
        }
        let containers = try await containers(withLabel: label)
        if !containers.isEmpty { try await removeContainers(containers, operation: "removing containers labelled \(label)") }
        for image in Set(try await images(withLabel: label)) {
            // Removing a tagged image may take its labelled parents with it: a later one that is gone is fine.
            _ = try await Self.execute(commands.imageRemove(image), timeout: commandTimeout)
        }
        let left = try await images(withLabel: label)
        if !left.isEmpty { throw ContainerEngineError("images labelled \(label) could not be removed: \(left.joined(separator: ", "))") }
    }
}

/// A directory only root (or the server's user) can read, for the moment a file is handed to the engine.
struct PrivateDirectory {
    let path: String

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/slipway-container-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw ContainerEngineError("cannot make a private directory: \(String(cString: strerror(errno)))")
        }
        path = String(cString: made)
    }

    /// Writes `contents` to `name` with mode 0600 and returns its path.
    func write(name: String, contents: String) throws -> String {
        let file = path + "/" + name
        guard FileManager.default.createFile(atPath: file, contents: Data(contents.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw ContainerEngineError("cannot write \(file)")
        }
        return file
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Finding what a killed `podman build` left behind.
enum BuildLeftovers {
    /// The pids whose cgroup path, in any hierarchy, has a component named `name`.
    static func processes(inCgroupNamed name: String, proc: String = "/proc") -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: proc)) ?? []
        return entries.compactMap { entry -> Int32? in
            guard let pid = Int32(entry), let text = try? String(contentsOfFile: "\(proc)/\(entry)/cgroup", encoding: .utf8) else { return nil }
            let inside = text.split(separator: "\n").contains { line in
                line.split(separator: ":", maxSplits: 2).last.map { $0.split(separator: "/").contains { $0 == name } } ?? false
            }
            return inside ? pid : nil
        }
    }

    /// SIGKILL to every process under the cgroup, again until none is left (a dying step may still fork).
    static func killProcesses(inCgroupNamed name: String) async {
        for _ in 0..<200 {
            let pids = processes(inCgroupNamed: name)
            if pids.isEmpty { return }
            for pid in pids { _ = Glibc.kill(pid, SIGKILL) }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Whether container `id` is a Buildah working container made under `cgroupParent` (Buildah writes its build
    /// options, the cgroup parent among them, to `buildah.json` in the container's directory).
    static func workingContainer(_ id: String, engine: ContainerEngine, hasCgroupParent cgroupParent: String) -> Bool {
        guard let root = engine.storageRoot, let driver = engine.storageDriver, !id.contains("/") else { return false }
        let path = "\(root)/\(driver)-containers/\(id)/userdata/buildah.json"
        guard
            let data = FileManager.default.contents(atPath: path),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let options = object["CommonBuildOpts"] as? [String: Any]
        else { return false }
        return options["CgroupParent"] as? String == cgroupParent
    }

    /// Removes the build's (empty) cgroups from every hierarchy under `root`.
    static func removeCgroups(named name: String, root: String = "/sys/fs/cgroup") {
        let hierarchies = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).map { root + "/" + $0 } + [root]
        for hierarchy in hierarchies {
            let top = hierarchy + "/" + name
            guard let enumerator = FileManager.default.enumerator(atPath: top) else { continue }
            var directories: [String] = []
            while let entry = enumerator.nextObject() as? String {
                if enumerator.fileAttributes?[.type] as? FileAttributeType == .typeDirectory { directories.append(top + "/" + entry) }
            }
            for directory in directories.sorted(by: { $0.count > $1.count }) + [top] { rmdir(directory) }
        }
    }
}
