import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The container engine found on this machine at start-up (`ContainerEngine.detect`): which command-line tool,
/// its version, and how containers are isolated with it here.
public struct ContainerEngine: Sendable, Equatable {
    /// The two engines Slipway drives. The Docker CLI takes Podman's arguments for most of what Slipway uses; where
    /// it does not (user namespaces, secrets, build cgroups), `ContainerCommands` says so.
    public enum Kind: String, Sendable, CaseIterable {
        case podman
        case docker
    }

    /// Which host identity a container's processes get.
    public enum UserMode: Sendable, Equatable {
        /// `--userns=auto`: a user namespace of its own per container, root inside mapped to an unused range of
        /// `/etc/subuid` (the `containers` entry) outside. Podman as root only.
        case automaticNamespace
        /// `--user uid:gid` without a user namespace: the processes are this unprivileged uid on the host.
        case fixed(uid: UInt32, gid: UInt32)
    }

    /// Which network a container gets.
    public enum NetworkMode: Sendable, Equatable {
        /// `--network slirp4netns:allow_host_loopback=false`: a network namespace of its own with a way out through
        /// a user-mode stack that does not reach the host's loopback.
        case slirp4netns
        /// `--network none`: only its own loopback.
        case none
    }

    public var kind: Kind
    /// The engine's executable (absolute path).
    public var executable: String
    /// Its version, as it reports it ("4.3.1").
    public var version: String
    /// The OCI runtime every container and build step runs with (`--runtime`), when the engine takes one.
    public var runtime: String?
    /// How containers are made unprivileged.
    public var userMode: UserMode
    /// Which network containers get.
    public var network: NetworkMode
    /// Which network image builds get: `.slirp4netns` where slirp4netns and unshare exist and the server is root
    /// (`BuildNetworkNamespace`), `.none` otherwise.
    public var buildNetwork: BuildNetwork
    /// The engine's storage root and driver (`/var/lib/containers/storage`, `overlay`): a canceled build's working
    /// containers are recognised there (see `ContainerClient.removeBuildLeftovers`).
    public var storageRoot: String?
    public var storageDriver: String?
    /// A statically linked busybox bound read-only into containers that receive secrets: it turns the secret files
    /// into environment variables and starts the image's own command (see `ContainerCommands.secretLauncherScript`).
    /// Nil: containers cannot receive secrets.
    public var secretLauncher: String?

    public init(
        kind: Kind, executable: String, version: String, runtime: String? = "runc", userMode: UserMode = .automaticNamespace,
        network: NetworkMode = .slirp4netns, buildNetwork: BuildNetwork = .none, storageRoot: String? = nil, storageDriver: String? = nil,
        secretLauncher: String? = nil
    ) {
        self.kind = kind
        self.executable = executable
        self.version = version
        self.runtime = runtime
        self.userMode = userMode
        self.network = network
        self.buildNetwork = buildNetwork
        self.storageRoot = storageRoot
        self.storageDriver = storageDriver
        self.secretLauncher = secretLauncher
    }

    /// One line for the start-up log: "podman 4.3.1 with runc, user namespace per container, slirp4netns network".
    public var summary: String {
        var parts = ["\(kind.rawValue) \(version)" + (runtime.map { " with \($0)" } ?? "")]
        switch userMode {
        case .automaticNamespace: parts.append("a user namespace per container (--userns=auto)")
        case .fixed(let uid, let gid): parts.append("containers run as \(uid):\(gid)")
        }
        switch network {
        case .slirp4netns: parts.append("own network namespace (slirp4netns, no host loopback)")
        case .none: parts.append("no network but the container's own loopback")
        }
        switch buildNetwork {
        case .slirp4netns: parts.append("builds reach out through slirp4netns (no host loopback)")
        case .none: parts.append("builds have no network")
        case .namespace(let path, _): parts.append("builds join \(path)")
        }
        if kind == .docker {
            parts.append("no secrets (docker run has none outside swarm)")
        } else {
            parts.append(secretLauncher == nil ? "no secrets (static busybox missing)" : "secrets as files turned into environment variables")
        }
        return parts.joined(separator: ", ")
    }
}

/// Why no container engine can be used here (for the start-up log: "containers unavailable: podman not found").
public struct ContainerEngineUnavailable: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String

    public init(_ reason: String) { self.reason = reason }

    public var description: String { "containers unavailable: \(reason)" }
}

extension ContainerEngine {
    /// How long each detection command may take: a hanging engine (a Docker CLI waiting for its daemon) costs this,
    /// never the start-up.
    public static let detectionTimeout: Duration = .seconds(20)

    /// The unprivileged identity containers get when no user namespace can be made: nobody.
    public static let fallbackUser = UserMode.fixed(uid: 65534, gid: 65534)

    /// Finds `kind`'s engine (Podman when nil: it is daemonless) and what it can do here, by running
    /// `<engine> version --format json` and `<engine> info --format json`, each for at most `timeout`.
    public static func detect(
        _ kind: Kind? = nil, timeout: Duration = detectionTimeout, subordinateIDs: String = "/etc/subuid",
        secretLauncherCandidates: [String] = ["/bin/busybox", "/usr/bin/busybox"]
    ) async -> Result<ContainerEngine, ContainerEngineUnavailable> {
        let kind = kind ?? .podman
        guard let executable = Sandbox.findExecutable(kind.rawValue) else {
            return .failure(ContainerEngineUnavailable("\(kind.rawValue) not found"))
        }
        let commands = ContainerCommands(engine: ContainerEngine(kind: kind, executable: executable, version: ""))
        let version: String
        switch await jsonOutput(of: commands.version(), timeout: timeout) {
        case .failure(let problem): return .failure(ContainerEngineUnavailable("\(kind.rawValue) version: \(problem.reason)"))
        case .success(let json):
            switch parseVersion(json, kind: kind) {
            case .failure(let problem): return .failure(problem)
            case .success(let found): version = found
            }
        }
        var engine = ContainerEngine(kind: kind, executable: executable, version: version)
        switch await jsonOutput(of: commands.info(), timeout: timeout) {
        case .failure(let problem): return .failure(ContainerEngineUnavailable("\(kind.rawValue) info: \(problem.reason)"))
        case .success(let json): engine.apply(info: json)
        }
        if kind == .podman {
            // crun, Podman's default, fails on hybrid cgroups; runc works on both kinds of machine.
            guard Sandbox.findExecutable("runc") != nil else {
                return .failure(ContainerEngineUnavailable("podman \(version) found, but runc is not installed"))
            }
            engine.runtime = "runc"
            let subordinate = (try? String(contentsOfFile: subordinateIDs, encoding: .utf8)) ?? ""
            engine.userMode = geteuid() == 0 && hasContainersRange(subordinate) ? .automaticNamespace : fallbackUser
            let slirp = Sandbox.findExecutable("slirp4netns") != nil
            engine.network = slirp ? .slirp4netns : .none
            engine.buildNetwork = slirp && geteuid() == 0 && Sandbox.findExecutable("unshare") != nil ? .slirp4netns : .none
            engine.secretLauncher = secretLauncherCandidates.first { isStaticExecutable($0) }
        } else {
            engine.runtime = nil
            engine.userMode = fallbackUser
            engine.network = .none
            engine.buildNetwork = .none
        }
        return .success(engine)
    }

    /// Whether `/etc/subuid` holds the `containers` range Podman's `--userns=auto` takes its ids from.
    static func hasContainersRange(_ subordinateIDs: String) -> Bool {
        subordinateIDs.split(separator: "\n").contains { line in
            let fields = line.split(separator: ":")
            return fields.count == 3 && fields[0] == "containers" && (Int(fields[2]) ?? 0) >= 65536
        }
    }

    /// The version from `version --format json`; Docker without a reachable daemon is unavailable.
    static func parseVersion(_ json: [String: Any], kind: Kind) -> Result<String, ContainerEngineUnavailable> {
        let client = json["Client"] as? [String: Any]
        guard let version = client?["Version"] as? String else {
            return .failure(ContainerEngineUnavailable("\(kind.rawValue) version: no Client.Version in its answer"))
        }
        if kind == .docker, json["Server"] as? [String: Any] == nil {
            return .failure(ContainerEngineUnavailable("docker \(version) cannot reach its daemon"))
        }
        return .success(version)
    }

    /// Takes the storage root and driver from `info --format json` (Podman's `store`, Docker's `DockerRootDir`).
    mutating func apply(info json: [String: Any]) {
        if let store = json["store"] as? [String: Any] {
            storageRoot = store["graphRoot"] as? String
            storageDriver = store["graphDriverName"] as? String
        } else {
            storageRoot = json["DockerRootDir"] as? String
            storageDriver = json["Driver"] as? String
        }
    }

    /// Whether `path` is an ELF executable without a program interpreter (statically linked): only such a binary
    /// runs inside any image.
    public static func isStaticExecutable(_ path: String) -> Bool {
        guard FileManager.default.isExecutableFile(atPath: path), let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        guard let header = try? handle.read(upToCount: 64), header.count == 64 else { return false }
        let bytes = [UInt8](header)
        // ELF, 64-bit, little-endian.
        guard bytes[0..<4] == [0x7f, 0x45, 0x4c, 0x46], bytes[4] == 2, bytes[5] == 1 else { return false }
        func integer(_ offset: Int, _ size: Int, in data: [UInt8]) -> Int {
            (0..<size).reduce(0) { $0 | Int(data[offset + $1]) << (8 * $1) }
        }
        let programHeaders = integer(32, 8, in: bytes)
        let entrySize = integer(54, 2, in: bytes)
        let count = integer(56, 2, in: bytes)
        guard entrySize >= 4, count > 0, count < 256 else { return false }
        try? handle.seek(toOffset: UInt64(programHeaders))
        guard let table = try? handle.read(upToCount: entrySize * count), table.count == entrySize * count else { return false }
        let entries = [UInt8](table)
        let interpreter = 3  // PT_INTERP
        return !(0..<count).contains { integer($0 * entrySize, 4, in: entries) == interpreter }
    }

    /// Runs a short detection command and parses its standard output as one JSON object.
    private static func jsonOutput(of command: Command, timeout: Duration) async -> Result<[String: Any], ContainerEngineUnavailable> {
        let output: ContainerOutput
        do {
            output = try await ContainerClient.execute(command, timeout: timeout)
        } catch {
            return .failure(ContainerEngineUnavailable("\(error)"))
        }
        if output.termination.timedOut { return .failure(ContainerEngineUnavailable("no answer within \(timeout)")) }
        guard let object = try? JSONSerialization.jsonObject(with: Data(output.standardOutput.utf8)) as? [String: Any] else {
            let detail = output.standardError.isEmpty ? output.termination.summary : output.standardError
            return .failure(ContainerEngineUnavailable(detail.trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        return .success(object)
    }
}
