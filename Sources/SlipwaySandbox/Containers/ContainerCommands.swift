import Foundation

/// Every engine invocation Slipway makes, as data: pure functions from specs to `Command`s (arguments and the complete
/// environment of the engine process), tested by their exact output. `ContainerClient` runs them.
public struct ContainerCommands: Sendable, Equatable {
    public var engine: ContainerEngine
    /// The environment every engine command gets (build arguments are added to it).
    public var baseEnvironment: [String: String]

    public init(engine: ContainerEngine, baseEnvironment: [String: String] = ["PATH": Sandbox.defaultPath]) {
        self.engine = engine
        self.baseEnvironment = baseEnvironment
    }

    /// Where a container that receives secrets sees the launcher and the secret files.
    public static let launcherPath = "/run/slipway/busybox"
    public static let secretDirectory = "/run/slipway/env"

    // MARK: Detection

    /// `version --format json` (Podman); Docker's CLI before 23.0 prints a format of `json` literally, so it gets the
    /// template `{{json .}}`, which every version renders as the same JSON object.
    public func version() -> Command { command(["version", "--format", jsonFormat]) }

    /// `info --format json`, or `{{json .}}` for Docker (as for `version()`).
    public func info() -> Command { command(["info", "--format", jsonFormat]) }

    private var jsonFormat: String {
        switch engine.kind {
        case .podman: "json"
        case .docker: "{{json .}}"
        }
    }

    // MARK: Images

    /// The image build. Build argument values travel in the engine's environment (`--build-arg NAME` takes the value
    /// from there); names the engine itself reads from its environment are refused.
    public func build(_ spec: ImageBuildSpec) throws(ContainerCommandError) -> Command {
        var arguments = ["build"]
        if engine.kind == .podman {
            if let runtime = engine.runtime { arguments += ["--runtime", runtime] }
            // Keep each step's layer (the project's cache), and remove the working containers even of a failed build.
            arguments += ["--layers", "--force-rm"]
        }
        arguments += ["-f", spec.dockerfile, "-t", spec.tag]
        arguments += Self.labelArguments(spec.labels)
        var environment = baseEnvironment.merging(spec.engineEnvironment) { $1 }
        for (name, value) in spec.buildArguments.sorted(by: { $0.key < $1.key }) {
            try Self.checkVariableName(name, field: "build_args")
            if Self.isEngineVariable(name) {
                throw ContainerCommandError("build_args: \(name) is read by the container engine itself and cannot be a build argument")
            }
            arguments += ["--build-arg", name]
            environment[name] = value
        }
        arguments += Self.ulimitArguments(spec.limits)
        if let memory = spec.limits.resources.memoryBytes {
            arguments += ["--memory", String(memory), "--memory-swap", String(memory)]
        }
        switch spec.network {
        case .none: arguments += ["--network", "none"]
        case .namespace(let path, let dnsServer):
            arguments += ["--network", "ns:" + path]
            if let dnsServer { arguments += ["--dns", dnsServer] }
        case .slirp4netns:
            throw ContainerCommandError("network: a slirp4netns build needs its namespace first (ContainerClient.build makes it)")
        }
        if engine.kind == .podman { arguments += ["--cgroup-parent", spec.cgroupParent] }
        arguments.append(spec.contextDirectory)
        return Command(arguments: [engine.executable] + arguments, environment: environment)
    }

    /// Whether the image exists locally (exit status 0).
    public func imageExists(_ image: String) -> Command {
        switch engine.kind {
        case .podman: command(["image", "exists", image])
        case .docker: command(["image", "inspect", "--format", "{{.Id}}", image])
        }
    }

    /// The image's configuration as a JSON array (its `Config.Entrypoint` and `Config.Cmd`).
    public func imageInspect(_ image: String) -> Command { command(["image", "inspect", image]) }

    /// Removes an image (its tag, and its layers once nothing else uses them).
    public func imageRemove(_ image: String) -> Command { command(["image", "rm", "--force", image]) }

    /// The full ids of every image, intermediate ones too, that carries `label` (`key` or `key=value`).
    public func imagesWithLabel(_ label: String) -> Command {
        command(["images", "--all", "--quiet", "--no-trunc", "--filter", "label=" + label])
    }

    /// Creates, without starting, a container of `image` only to copy files out of it (`copy(from:path:to:)`): never
    /// pulled, no network, and a placeholder command (an image made from scratch may have none; it never runs).
    public func createForCopy(image: String, name: String, labels: [String: String]) -> Command {
        var arguments = ["create", "--name", name]
        arguments += Self.labelArguments(labels)
        if let runtime = engine.runtime { arguments += ["--runtime", runtime] }
        arguments += ["--pull", "never", "--network", "none", image, Self.copyOnlyCommand]
        return command(arguments)
    }

    /// The command of a container made only to copy files out of it: never run.
    public static let copyOnlyCommand = "slipway-copy-only"

    /// Copies `path` of `container` (an absolute path, resolved inside the container's own files; `<dir>/.` copies a
    /// directory's contents) to the host path `destination`. Links are copied as links.
    public func copy(from container: String, path: String, to destination: String) -> Command {
        command(["cp", container + ":" + path, destination])
    }

    // MARK: Containers

    /// Starts a service's container, detached. `environmentFile` holds `spec.environment` (see `environmentFile(for:)`);
    /// `spec.secrets` must exist as engine secrets named `secretName(container:variable:)`.
    public func run(_ spec: ContainerRunSpec, environmentFile: String?) throws(ContainerCommandError) -> Command {
        var arguments = ["run", "--detach", "--name", spec.name]
        arguments += Self.labelArguments(spec.labels)
        if let runtime = engine.runtime { arguments += ["--runtime", runtime] }
        // `--init`: a small init (Podman's catatonit, Docker's tini) is the container's pid 1 and passes the stop signal
        // on; an app that is pid 1 itself has no default signal handlers and would ignore SIGTERM until SIGKILL.
        arguments += ["--pull", "never", "--init", "--cap-drop", "all", "--security-opt", "no-new-privileges"]
        if let pod = spec.pod {
            // The pod holds the network and user namespaces (its `pod create` says which).
            arguments += ["--pod", pod]
        } else {
            switch engine.userMode {
            case .automaticNamespace: arguments += ["--userns", "auto"]
            case .fixed(let uid, let gid): arguments += ["--user", "\(uid):\(gid)"]
            }
        }
        if let processes = spec.limits.resources.maxProcesses { arguments += ["--pids-limit", String(processes)] }
        if let memory = spec.limits.resources.memoryBytes {
            arguments += ["--memory", String(memory), "--memory-swap", String(memory)]
        }
        arguments += Self.ulimitArguments(spec.limits)
        if spec.pod == nil { arguments += networkArguments }
        for mount in spec.volumes {
            // `U`: the volume's files belong to the container's root, whatever user namespace this start got.
            arguments += ["--volume", "\(mount.volume):\(mount.target):\(mount.readOnly ? "ro," : "")U"]
        }
        if spec.readOnlyRootFilesystem { arguments.append("--read-only") }
        for name in spec.environment.keys { try Self.checkVariableName(name, field: "environment") }
        if let environmentFile { arguments += ["--env-file", environmentFile] }
        var command = spec.command
        if !spec.secrets.isEmpty {
            guard engine.kind == .podman else { throw ContainerCommandError("secrets: docker run cannot receive secrets (swarm only)") }
            guard let launcher = engine.secretLauncher else {
                throw ContainerCommandError("secrets: a statically linked busybox (Debian's busybox-static) is needed to pass secrets")
            }
            guard let original = spec.command, !original.isEmpty else {
                throw ContainerCommandError("command: a container with secrets needs its command (the image's entrypoint and command)")
            }
            for variable in spec.secrets.keys.sorted() {
                try Self.checkVariableName(variable, field: "secrets")
                let name = Self.secretName(container: spec.name, variable: variable)
                arguments += ["--secret", "\(name),type=mount,target=\(Self.secretDirectory)/\(variable),mode=0444"]
            }
            arguments += ["--mount", "type=bind,source=\(launcher),destination=\(Self.launcherPath),ro=true"]
            arguments += ["--entrypoint", Self.launcherEntrypoint]
            command = original
        }
        if let entrypoint = spec.entrypoint, spec.secrets.isEmpty {
            arguments += ["--entrypoint", Self.jsonArray(entrypoint)]
        }
        arguments.append(spec.image)
        arguments += command ?? []
        return self.command(arguments)
    }

    /// `--network` of a container or pod: slirp4netns without the host's loopback, or none. Never the engine's bridge.
    var networkArguments: [String] {
        switch engine.network {
        case .slirp4netns: ["--network", "slirp4netns:allow_host_loopback=false"]
        case .none: ["--network", "none"]
        }
    }

    // MARK: Pods and volumes

    /// Creates the pod of a compose set (Podman only). Podman 4.3's `pod create` has no `--ulimit`, and its infra
    /// container would get rlimits this machine cannot grant: `configurationFile` (a containers.conf written by the
    /// client, see `podConfiguration(limits:)`) gives it the explicit ones through `CONTAINERS_CONF`.
    public func podCreate(_ spec: PodSpec, configurationFile: String) throws(ContainerCommandError) -> Command {
        guard engine.kind == .podman else { throw ContainerCommandError("build_type: compose apps need Podman (pods); this server runs docker") }
        var arguments = ["pod", "create", "--name", spec.name]
        arguments += Self.labelArguments(spec.labels)
        arguments += networkArguments
        if case .automaticNamespace = engine.userMode { arguments += ["--userns", "auto"] }
        for name in spec.hostNames {
            guard ContainerNames.component(name) == name.lowercased(), !name.hasPrefix("-") else {
                throw ContainerCommandError("services: '\(name)' cannot be a host name")
            }
            arguments += ["--add-host", name + ":127.0.0.1"]
        }
        var create = self.command(arguments)
        create.environment["CONTAINERS_CONF"] = configurationFile
        return create
    }

    /// The containers.conf of a pod's creation: the explicit rlimits and the runtime.
    public func podConfiguration(limits: ContainerLimits) -> String {
        var lines = [
            "[containers]",
            "default_ulimits = [\"nofile=\(limits.openFiles):\(limits.openFiles)\", \"nproc=\(limits.userProcesses):\(limits.userProcesses)\"]",
        ]
        if let runtime = engine.runtime { lines += ["[engine]", "runtime = \"\(runtime)\""] }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Starts the pod's infra container (it holds the namespaces).
    public func podStart(_ pod: String) -> Command { command(["pod", "start", pod]) }

    /// Stops every container of the pod (SIGTERM, SIGKILL after `timeoutSeconds`).
    public func podStop(_ pod: String, timeoutSeconds: Int) -> Command {
        command(["pod", "stop", "--ignore", "--time", String(timeoutSeconds), pod])
    }

    /// Removes pods with their containers, running or not; one that is missing is no error.
    public func podRemove(_ pods: [String]) -> Command { command(["pod", "rm", "--force", "--ignore", "--time", "0"] + pods) }

    /// The full ids of the pods carrying `label`.
    public func podsWithLabel(_ label: String) -> Command { command(["pod", "ps", "--quiet", "--no-trunc", "--filter", "label=" + label]) }

    /// Whether the volume exists (exit status 0).
    public func volumeExists(_ volume: String) -> Command { command(["volume", "exists", volume]) }

    /// Creates a local volume.
    public func volumeCreate(_ volume: String, labels: [String: String]) -> Command {
        command(["volume", "create"] + Self.labelArguments(labels) + [volume])
    }

    /// The names of the volumes carrying `label`.
    public func volumesWithLabel(_ label: String) -> Command { command(["volume", "ls", "--quiet", "--filter", "label=" + label]) }

    /// Removes volumes (with containers using them).
    public func volumeRemove(_ volumes: [String]) -> Command { command(["volume", "rm", "--force"] + volumes) }

    /// Runs `arguments` inside the running container (a compose health check).
    public func exec(_ container: String, _ arguments: [String]) -> Command { command(["exec", container] + arguments) }

    /// Stops a container: SIGTERM (its stop signal), SIGKILL after `timeoutSeconds`.
    public func stop(_ container: String, timeoutSeconds: Int) -> Command {
        command(["stop", "--time", String(timeoutSeconds), container])
    }

    /// The container's output from its start, standard output and error apart, followed until the container ends.
    public func logs(_ container: String) -> Command { command(["logs", "--follow", container]) }

    /// SIGKILL to the container's processes at once.
    public func kill(_ container: String) -> Command { command(["kill", "--signal", "KILL", container]) }

    /// Removes a container, running or not (a running one is killed at once, as Docker's `rm --force` does).
    public func remove(_ container: String) -> Command { remove(containers: [container]) }

    /// Removes several containers at once (the ids of a label search, or a build's working containers).
    public func remove(containers: [String]) -> Command {
        switch engine.kind {
        case .podman: command(["rm", "--force", "--time", "0"] + containers)
        case .docker: command(["rm", "--force"] + containers)
        }
    }

    /// The container's state as a JSON array of one object (`State.Pid`, `Status`, `ExitCode`, `OOMKilled`).
    public func inspect(_ container: String) -> Command { inspect(containers: [container]) }

    /// The state and configuration of several containers (`Config.Labels` among it), as one JSON array.
    public func inspect(containers: [String]) -> Command { command(["container", "inspect"] + containers) }

    /// The full ids of every container, running or not, that carries `label` (`key` or `key=value`).
    public func containersWithLabel(_ label: String) -> Command {
        command(["ps", "--all", "--quiet", "--no-trunc", "--filter", "label=" + label])
    }

    /// Every container, running or not, as `<full id> <name>` lines.
    public func allContainerIDsAndNames() -> Command {
        command(["ps", "--all", "--no-trunc", "--format", "{{.ID}} {{.Names}}"])
    }

    /// The full ids of every container in storage, including Buildah's working containers (Podman only).
    public func allContainersWithBuildContainers() -> Command {
        command(["ps", "--all", "--external", "--quiet", "--no-trunc"])
    }

    // MARK: Secrets

    /// Creates a secret whose value the engine reads from standard input.
    public func secretCreate(_ name: String, labels: [String: String] = [:]) -> Command {
        command(["secret", "create"] + Self.labelArguments(labels) + [name, "-"])
    }

    /// Removes secrets.
    public func secretRemove(_ names: [String]) -> Command { command(["secret", "rm"] + names) }

    /// The engine secret that carries `variable` of `container`.
    public static func secretName(container: String, variable: String) -> String { "\(container)-\(variable)" }

    // MARK: Pieces

    /// The launcher: busybox's shell turns every file of the secret directory into an exported variable (keeping
    /// trailing newlines), then starts the command. This busybox prefers its own applets to same-named programs, so
    /// the command is found on the image's `PATH` here and started by its full path.
    public static let secretLauncherScript = [
        "for _slipway_f in \(secretDirectory)/*; do",
        "[ -f \"$_slipway_f\" ] || continue",
        "_slipway_v=$(\(launcherPath) cat \"$_slipway_f\"; echo .)",
        "export \"${_slipway_f##*/}=${_slipway_v%.}\"",
        "done",
        "unset _slipway_f _slipway_v",
        "case \"$1\" in */*) exec \"$@\";; esac",
        "_slipway_p=",
        "IFS=:",
        "for _slipway_d in ${PATH:-/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin}; do",
        "if [ -z \"$_slipway_p\" ] && [ -f \"$_slipway_d/$1\" ] && [ -x \"$_slipway_d/$1\" ]; then _slipway_p=\"$_slipway_d/$1\"; fi",
        "done",
        "unset IFS _slipway_d",
        "[ -n \"$_slipway_p\" ] || { echo \"slipway: $1: not found\" >&2; exit 127; }",
        "shift",
        "exec \"$_slipway_p\" \"$@\"",
    ].joined(separator: "\n")

    /// `--entrypoint` as a JSON array: the launcher's shell with the script; the command follows as its arguments.
    static var launcherEntrypoint: String { jsonArray([launcherPath, "sh", "-c", secretLauncherScript, "slipway-launch"]) }

    /// An exec-form `--entrypoint`.
    static func jsonArray(_ words: [String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(words)) ?? Data(), as: UTF8.self)
    }

    /// The content of an `--env-file`: one `NAME=value` line each, sorted. A value with a line break cannot be
    /// written (the engine reads line by line): the error names the variable.
    public static func environmentFile(for environment: [String: String]) throws(ContainerCommandError) -> String {
        var lines: [String] = []
        for (name, value) in environment.sorted(by: { $0.key < $1.key }) {
            try checkVariableName(name, field: "environment")
            if value.contains(where: \.isNewline) {
                throw ContainerCommandError("environment: \(name) contains a line break; make it a secret to pass it to a container")
            }
            lines.append("\(name)=\(value)")
        }
        return lines.map { $0 + "\n" }.joined()
    }

    static func labelArguments(_ labels: [String: String]) -> [String] {
        labels.sorted(by: { $0.key < $1.key }).flatMap { ["--label", "\($0.key)=\($0.value)"] }
    }

    static func ulimitArguments(_ limits: ContainerLimits) -> [String] {
        [
            "--ulimit", "nofile=\(limits.openFiles):\(limits.openFiles)",
            "--ulimit", "nproc=\(limits.userProcesses):\(limits.userProcesses)",
        ]
    }

    /// A POSIX variable name: letters, digits and `_`, not starting with a digit.
    static func checkVariableName(_ name: String, field: String) throws(ContainerCommandError) {
        let valid =
            !name.isEmpty && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") } && !(name.first?.isNumber ?? true)
        if !valid { throw ContainerCommandError("\(field): \(name.debugDescription) is not a valid variable name") }
    }

    /// Variables Podman, Buildah and Docker read from their own environment: a build argument of that name would
    /// change how the engine works, not only the build.
    static func isEngineVariable(_ name: String) -> Bool {
        let exact: Set = [
            "PATH", "HOME", "TMPDIR", "USER", "SHELL", "TZ", "LANG", "LD_PRELOAD", "LD_LIBRARY_PATH", "IFS", "BUILDKIT_PROGRESS",
            "GODEBUG", "GOGC", "GOMAXPROCS", "GOMEMLIMIT", "GOTRACEBACK",
        ]
        let prefixes = ["CONTAINERS_", "_CONTAINERS_", "BUILDAH_", "PODMAN_", "DOCKER_", "STORAGE_", "REGISTRIES_", "XDG_", "LC_", "SSL_"]
        let upper = name.uppercased()
        return exact.contains(upper) || prefixes.contains { upper.hasPrefix($0) } || upper.hasSuffix("_PROXY")
    }

    private func command(_ arguments: [String]) -> Command {
        Command(arguments: [engine.executable] + arguments, environment: baseEnvironment)
    }
}
