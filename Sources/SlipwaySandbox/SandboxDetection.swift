import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Which network sandboxed commands get (`--sandbox-network`).
public enum SandboxNetworkChoice: String, Sendable, CaseIterable {
    /// A namespace of their own through slirp4netns where it works here, else the host's (with a warning).
    case automatic = "auto"
    /// A namespace of their own, or the server does not start.
    case `private`
    /// The host's network: every loopback port of the machine is reachable from builds and services.
    case host
}

/// What start-up found about isolation: the strongest sandbox that works here, and what is missing from it.
public struct SandboxDetection: Sendable {
    public var isolation: Isolation
    /// One sentence per protection this machine cannot give (for loud start-up warnings).
    public var warnings: [String]

    /// Finds the strongest isolation that works here: each candidate must run `true` successfully, as the
    /// sandbox user when the server runs as root, with a private network when one is asked for or possible.
    public static func detect(hiddenDirectory: String, network: SandboxNetworkChoice = .automatic) async -> SandboxDetection {
        let runsAsRoot = geteuid() == 0
        var warnings: [String] = []
        let setpriv = runsAsRoot ? Sandbox.findExecutable("setpriv") : nil
        if runsAsRoot && setpriv == nil {
            warnings.append("setpriv (util-linux) is missing: builds and services cannot drop root; install util-linux")
        }
        let user = runsAsRoot && setpriv != nil ? SandboxUser.workspace(0) : nil
        if let bwrap = Sandbox.findExecutable("bwrap"), !(runsAsRoot && setpriv == nil) {
            var setup = BubblewrapSetup(
                executable: bwrap, systemEntries: systemEntries(), readOnlyProcEntries: readOnlyProcEntries(), setpriv: setpriv
            )
            if network != .host {
                if let slirp = Sandbox.findExecutable("slirp4netns") {
                    setup.slirp4netns = slirp
                    // A probe that only ran out of time proves nothing: a loaded machine is slow, and falling back to
                    // the host's network because of it would open the host to every build. It is asked again, and
                    // if it never answers the private network stays (fail closed); only a probe that failed goes
                    // without it.
                    var outcome = await probe(.bubblewrap(setup), hiddenDirectory: hiddenDirectory, user: user)
                    for _ in 0..<2 where outcome == .timedOut {
                        outcome = await probe(.bubblewrap(setup), hiddenDirectory: hiddenDirectory, user: user)
                    }
                    switch outcome {
                    case .worked:
                        return SandboxDetection(isolation: .bubblewrap(setup), warnings: warnings)
                    case .timedOut:
                        warnings.append("the private network could not be confirmed in time (the machine is busy): it is kept")
                        return SandboxDetection(isolation: .bubblewrap(setup), warnings: warnings)
                    case .failed:
                        break
                    }
                    warnings.append("slirp4netns is installed but a private network did not work here")
                    setup.slirp4netns = nil
                } else {
                    warnings.append("slirp4netns is missing: builds and services share the host's network (install slirp4netns)")
                }
            }
            if await works(.bubblewrap(setup), hiddenDirectory: hiddenDirectory, user: user) {
                if network == .host {
                    warnings.append("--sandbox-network host: builds and services reach every loopback port of this machine")
                }
                return SandboxDetection(isolation: .bubblewrap(setup), warnings: warnings)
            }
            warnings.append("bubblewrap is installed but did not work here")
        } else {
            warnings.append("bubblewrap is missing: no seccomp filter, no private network, no read-only system (install bubblewrap)")
        }
        if let unshare = Sandbox.findExecutable("unshare"), await works(.unshare(executable: unshare), hiddenDirectory: hiddenDirectory, user: user) {
            return SandboxDetection(isolation: .unshare(executable: unshare), warnings: warnings)
        }
        warnings.append("no namespaces work here: builds run as plain process groups and can read the data directory")
        return SandboxDetection(isolation: .processGroup, warnings: warnings)
    }

    /// Whether `true` runs successfully under `isolation`.
    static func works(_ isolation: Isolation, hiddenDirectory: String, user: SandboxUser?) async -> Bool {
        await probe(isolation, hiddenDirectory: hiddenDirectory, user: user) == .worked
    }

    /// What running `true` under an isolation showed.
    enum ProbeOutcome: Equatable {
        case worked
        case failed
        /// It did not end within the probe's time: nothing is known.
        case timedOut
    }

    /// Runs `true` under `isolation`, for at most 20 seconds.
    static func probe(_ isolation: Isolation, hiddenDirectory: String, user: SandboxUser?) async -> ProbeOutcome {
        let probe = SandboxSpec(
            shellCommand: "true", workingDirectory: "/", mounts: [], hiddenDirectory: hiddenDirectory,
            environment: ["PATH": Sandbox.defaultPath], user: user
        )
        let run = try? await SandboxedProcess.run(probe, in: Sandbox(isolation: isolation), timeout: .seconds(20), onLine: { _ in })
        guard let termination = run else { return .failed }
        if termination.timedOut { return .timedOut }
        return termination.succeeded ? .worked : .failed
    }

    /// The host's system directories (bound read-only) and its links among them (merged `/usr`), as they are here.
    static func systemEntries(root: String = "/") -> [BubblewrapSetup.SystemEntry] {
        let names = ["usr", "etc", "opt", "bin", "sbin", "lib", "lib32", "lib64", "libx32"]
        return names.compactMap { name -> BubblewrapSetup.SystemEntry? in
            let path = "/" + name
            let hostPath = (root == "/" ? "" : root) + path
            if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: hostPath) {
                return .link(path, target: target)
            }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: hostPath, isDirectory: &isDirectory), isDirectory.boolValue else { return nil }
            return .directory(path)
        }
    }

    /// The writable knobs of `/proc` that exist here (container runtimes make the same ones read-only).
    static func readOnlyProcEntries() -> [String] {
        ["/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs", "/proc/asound"].filter {
            FileManager.default.fileExists(atPath: $0)
        }
    }
}
