import Foundation

/// The limits of one container or one image build: memory and processes as for sandboxed builds, and the rlimits
/// passed explicitly (a machine without CAP_SYS_RESOURCE cannot raise the engine's defaults, see docs/containers.md).
public struct ContainerLimits: Sendable, Equatable {
    /// Memory (no swap on top of it) and the most processes of the whole container or build.
    public var resources: ResourceLimits
    /// `RLIMIT_NOFILE`, soft and hard.
    public var openFiles: Int
    /// `RLIMIT_NPROC` per user inside, soft and hard.
    public var userProcesses: Int

    public init(resources: ResourceLimits = .buildDefaults, openFiles: Int = 1024, userProcesses: Int = 1024) {
        self.resources = resources
        self.openFiles = openFiles
        self.userProcesses = userProcesses
    }
}

/// Where the `RUN` steps of an image build may connect to. Buildah 1.28 offers `none`, `host`, `private` (Podman's
/// bridge, whose 10.88.0.0/16 must carry no traffic here) and `ns:<path>`; it has no slirp4netns mode for builds.
public enum BuildNetwork: Sendable, Equatable {
    /// `--network none`: only the step's own loopback.
    case none
    /// A network namespace made for the build and held open while it runs, with a slirp4netns way out that does not
    /// reach the host's loopback (`BuildNetworkNamespace`): package downloads work, the host's services do not.
    case slirp4netns
    /// `--network ns:<path>`: the steps join an existing network namespace; `dnsServer` is their resolver.
    case namespace(path: String, dnsServer: String?)
}

/// One image build (`podman build`): a Dockerfile, its context, and how the result is named and labelled.
public struct ImageBuildSpec: Sendable, Equatable {
    /// The build context directory.
    public var contextDirectory: String
    /// The Dockerfile (a path; relative ones are taken from the working directory of the engine, so pass absolute).
    public var dockerfile: String
    /// The full image name and tag: `localhost/slipway/<project>:<build id>`.
    public var tag: String
    /// Labels of the image (and of its intermediate layers).
    public var labels: [String: String]
    /// Build arguments: only their names reach the command line; the values reach the engine through its environment.
    public var buildArguments: [String: String]
    public var limits: ContainerLimits
    public var network: BuildNetwork
    /// The cgroup every `RUN` step's processes go under, unique per build: a killed build's processes and working
    /// containers are found by it (`ContainerClient.removeBuildLeftovers`).
    public var cgroupParent: String
    /// Variables added to the engine process's own environment, not build arguments (the steps do not see them): the
    /// pipeline marks a deployment's build with `SLIPWAY_DEPLOYMENT_UID`, so that a server that died during it finds
    /// the engine process by it (`OrphanProcesses`).
    public var engineEnvironment: [String: String] = [:]

    public init(
        contextDirectory: String, dockerfile: String, tag: String, labels: [String: String], buildArguments: [String: String] = [:],
        limits: ContainerLimits = ContainerLimits(), network: BuildNetwork = .none, cgroupParent: String
    ) {
        self.contextDirectory = contextDirectory
        self.dockerfile = dockerfile
        self.tag = tag
        self.labels = labels
        self.buildArguments = buildArguments
        self.limits = limits
        self.network = network
        self.cgroupParent = cgroupParent
    }

    /// The build of one deployment: tagged `localhost/slipway/<project>:<build id>`, labelled `slipway.build` and
    /// `slipway.project`, under the cgroup `/slipway-build-<build id>`.
    public init(
        project: String, buildID: String, contextDirectory: String, dockerfile: String, buildArguments: [String: String] = [:],
        limits: ContainerLimits = ContainerLimits(), network: BuildNetwork = .none
    ) {
        self.init(
            contextDirectory: contextDirectory, dockerfile: dockerfile, tag: Self.imageName(project: project, buildID: buildID),
            labels: ["slipway.build": buildID, "slipway.project": project], buildArguments: buildArguments, limits: limits,
            network: network, cgroupParent: Self.cgroupParent(buildID: buildID)
        )
    }

    /// `/slipway-build-<build id>`: the cgroup parent of a deployment's build, known from its id alone, so that a
    /// server that died during a build can remove what it left (`ContainerClient.removeBuildLeftovers`) on restart.
    public static func cgroupParent(buildID: String) -> String { "/slipway-build-" + ContainerNames.component(buildID) }

    /// `localhost/slipway/<project>/<service>:<build id>`: the image a compose build made for one service.
    public static func composeImageName(project: String, service: String, buildID: String) -> String {
        "localhost/slipway/\(ContainerNames.component(project))/\(ContainerNames.component(service)):\(ContainerNames.component(buildID))"
    }

    /// `localhost/slipway/<project>:<build id>`, each part reduced to the characters image names allow.
    public static func imageName(project: String, buildID: String) -> String {
        "localhost/slipway/\(ContainerNames.component(project)):\(ContainerNames.component(buildID))"
    }
}

/// One container of a service.
public struct ContainerRunSpec: Sendable, Equatable {
    /// The container's name: `slipway-<deployment uid>` for a service.
    public var name: String
    public var image: String
    public var labels: [String: String]
    /// Environment variables (with `PORT`): they reach the engine in a private file, never the command line.
    public var environment: [String: String]
    /// Secret environment variables: they reach the container as engine secrets (files the launcher turns into
    /// variables), never a command line, the engine's environment or `inspect` output.
    public var secrets: [String: String]
    /// The command to start: the image's entrypoint and command unless given. Needed when there are secrets (the
    /// launcher starts it); `ContainerClient.run` reads it from the image then.
    public var command: [String]?
    public var limits: ContainerLimits
    /// `--read-only`: the image's files cannot be changed. Off by default: most images write into their own
    /// directories, and the secret files need a place under `/run`.
    public var readOnlyRootFilesystem: Bool
    /// The pod it joins (a compose set): the pod's network and user namespaces are the container's.
    public var pod: String?
    /// Engine volumes mounted into it (a compose service's named volumes).
    public var volumes: [VolumeMount] = []
    /// The entrypoint instead of the image's, in exec form; `command` follows it as its arguments.
    public var entrypoint: [String]?

    public init(
        name: String, image: String, labels: [String: String] = [:], environment: [String: String] = [:], secrets: [String: String] = [:],
        command: [String]? = nil, limits: ContainerLimits = ContainerLimits(), readOnlyRootFilesystem: Bool = false
    ) {
        self.name = name
        self.image = image
        self.labels = labels
        self.environment = environment
        self.secrets = secrets
        self.command = command
        self.limits = limits
        self.readOnlyRootFilesystem = readOnlyRootFilesystem
    }

    /// An engine volume mounted at `target`; `:U` gives its files to the container's root (its user namespace).
    public struct VolumeMount: Sendable, Equatable {
        public var volume: String
        public var target: String
        public var readOnly: Bool

        public init(volume: String, target: String, readOnly: Bool = false) {
            self.volume = volume
            self.target = target
            self.readOnly = readOnly
        }
    }

    /// The name of a service's container: `slipway-<deployment uid>`.
    public static func serviceName(deploymentUID: String) -> String { "slipway-" + ContainerNames.component(deploymentUID) }
}

/// The pod of a compose set: one network namespace (slirp4netns, no host loopback) and one user namespace for all
/// its containers, each service's name resolving to the pod's loopback.
public struct PodSpec: Sendable, Equatable {
    /// `slipway-<deployment uid>`.
    public var name: String
    public var labels: [String: String]
    /// Names written into every container's `/etc/hosts` as `127.0.0.1`.
    public var hostNames: [String]
    public var limits: ContainerLimits

    public init(name: String, labels: [String: String], hostNames: [String], limits: ContainerLimits = ContainerLimits()) {
        self.name = name
        self.labels = labels
        self.hostNames = hostNames
        self.limits = limits
    }
}

/// Names and tags built from user input.
public enum ContainerNames {
    /// `text` lowercased, every character but `a-z 0-9 . _ -` replaced by `-`, at most 63 characters, never empty.
    public static func component(_ text: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789._-")
        let mapped = String(text.lowercased().map { allowed.contains($0) ? $0 : "-" }.prefix(63))
        guard let first = mapped.first, first.isLetter || first.isNumber else { return "x" + mapped.prefix(62) }
        return mapped
    }
}

/// A container or build that cannot be expressed as a command; the message names the field.
public struct ContainerCommandError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) { self.description = description }
}
