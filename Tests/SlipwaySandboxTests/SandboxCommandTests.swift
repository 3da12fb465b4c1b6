import Testing

@testable import SlipwaySandbox

@Suite struct SandboxCommandTests {
    let work = SandboxMount(hostPath: "/data/work/abc", name: "work", writable: true)
    let user = SandboxUser(uid: 2_000_000_007, gid: 2_000_000_007)
    var spec: SandboxSpec {
        SandboxSpec(
            shellCommand: "npm run build", workingDirectory: "/slipway/work/src/site", mounts: [work], hiddenDirectory: "/data",
            environment: ["PATH": "/usr/bin", "CI": "true"], user: user
        )
    }
    let setup = BubblewrapSetup(
        executable: "/usr/bin/bwrap", systemEntries: [.directory("/usr"), .directory("/etc"), .link("/bin", target: "usr/bin")],
        readOnlyProcEntries: ["/proc/sys"], setpriv: "/usr/bin/setpriv"
    )

    @Test func bubblewrapStartedByRootBuildsARootOfItsOwnAndDropsToTheSandboxUser() {
        let command = Sandbox(isolation: .bubblewrap(setup)).command(for: spec)
        #expect(
            command.arguments == [
                "/usr/bin/bwrap", "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
                "--tmpfs", "/", "--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc", "--symlink", "usr/bin", "/bin",
                "--dev", "/dev", "--proc", "/proc", "--ro-bind", "/proc/sys", "/proc/sys",
                "--perms", "1777", "--tmpfs", "/tmp", "--perms", "1777", "--tmpfs", "/var/tmp", "--perms", "0755", "--dir", "/slipway",
                "--bind", "/data/work/abc", "/slipway/work", "--chdir", "/slipway/work/src/site", "--seccomp", "3",
                "--", "/usr/bin/setpriv", "--reuid=2000000007", "--regid=2000000007", "--clear-groups", "--inh-caps=-all",
                "--bounding-set=-all", "--no-new-privs", "--", "/bin/sh", "-c", "npm run build",
            ]
        )
        #expect(command.environment == ["PATH": "/usr/bin", "CI": "true"])
        #expect(command.workingDirectory == nil)
    }

    @Test func bubblewrapStartedByAnotherUserMakesAUserNamespaceAndDropsEveryCapability() {
        var unprivileged = setup
        unprivileged.setpriv = nil
        var spec = spec
        spec.user = nil
        let arguments = Sandbox(isolation: .bubblewrap(unprivileged)).command(for: spec).arguments
        #expect(
            arguments[0..<8] == [
                "/usr/bin/bwrap", "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-user",
                "--disable-userns",
            ])
        #expect(arguments.suffix(6) == ["--cap-drop", "ALL", "--", "/bin/sh", "-c", "npm run build"])
        #expect(!arguments.contains("/usr/bin/setpriv"))
    }

    @Test func aPrivateNetworkAddsANamespaceItsResolverAndTheStartHandshake() {
        var networked = setup
        networked.slirp4netns = "/usr/bin/slirp4netns"
        let arguments = Sandbox(isolation: .bubblewrap(networked)).command(for: spec).arguments
        #expect(arguments.contains("--unshare-net"))
        let joined = arguments.joined(separator: " ")
        #expect(joined.contains("--ro-bind-data 6 /etc/resolv.conf --chdir /slipway/work/src/site --seccomp 3 --info-fd 4 --block-fd 5 --"))
        #expect(Sandbox(isolation: .bubblewrap(networked)).hasPrivateNetwork)
        #expect(!Sandbox(isolation: .bubblewrap(setup)).hasPrivateNetwork)
    }

    @Test func readOnlyMountsAreBoundReadOnlyUnderTheirNames() {
        var service = spec
        service.mounts = [
            SandboxMount(hostPath: "/data/runtime/d1", name: "home", writable: true),
            SandboxMount(hostPath: "/data/builds/b1", name: "build", writable: false),
        ]
        let sandbox = Sandbox(isolation: .bubblewrap(setup))
        #expect(
            sandbox.command(for: service).arguments.joined(separator: " ").contains(
                "--bind /data/runtime/d1 /slipway/home --ro-bind /data/builds/b1 /slipway/build --chdir"))
        #expect(sandbox.insidePath(of: service.mounts[1]) == "/slipway/build")
        #expect(Sandbox(isolation: .processGroup).insidePath(of: service.mounts[1]) == "/data/builds/b1")
    }

    @Test func aMountThatHoldsTheDataDirectoryShowsItEmpty() {
        var clone = spec
        clone.mounts = [work, SandboxMount(hostPath: "/srv/app", name: "repository", writable: false)]
        clone.hiddenDirectory = "/srv/app/.slipway"
        let joined = Sandbox(isolation: .bubblewrap(setup)).command(for: clone).arguments.joined(separator: " ")
        #expect(joined.contains("--ro-bind /srv/app /slipway/repository --tmpfs /slipway/repository/.slipway --chdir"))
        clone.hiddenDirectory = "/srv/application-data"
        #expect(!Sandbox(isolation: .bubblewrap(setup)).command(for: clone).arguments.contains("--tmpfs /slipway/repository"))
    }

    @Test func unshareStartedByRootMountsAsRootThenDropsToTheSandboxUser() {
        var hostPaths = spec
        hostPaths.workingDirectory = "/data/work/abc/src/site"
        let command = Sandbox(isolation: .unshare(executable: "/usr/bin/unshare")).command(for: hostPaths)
        let drop = [
            "setpriv", "--reuid=2000000007", "--regid=2000000007", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--",
        ]
        #expect(
            command.arguments == [
                "/usr/bin/unshare", "--mount", "--pid", "--fork", "--mount-proc", "--kill-child",
                "--", "/bin/sh", "-c", Sandbox.unshareScript(writableCount: 1, dropPrivileges: drop), "slipway-sandbox",
                "/data", "/data/work/abc/src/site", "npm run build", "/data/work/abc",
            ]
        )
        #expect(
            Sandbox.unshareScript(writableCount: 1, dropPrivileges: drop) == """
                set -e
                exec 3<"${4}"
                mount -t tmpfs tmpfs /tmp
                mkdir -p "$1"
                mount -t tmpfs tmpfs "$1"
                mkdir -p "${4}"
                mount --no-canonicalize --bind /proc/self/fd/3 "${4}"
                exec 3<&-
                cd "$2"
                set +e
                exec 'setpriv' '--reuid=2000000007' '--regid=2000000007' '--clear-groups' '--inh-caps=-all' '--bounding-set=-all' '--no-new-privs' '--' /bin/sh -c "$3"
                """
        )
        let script = Sandbox.unshareScript(writableCount: 1, readOnlyCount: 1)
        #expect(script.contains("mount --no-canonicalize --bind /proc/self/fd/4 \"${5}\"\nmount --no-canonicalize -o remount,bind,ro \"${5}\""))
        #expect(script.hasSuffix("exec /bin/sh -c \"$3\""))
    }

    @Test func unshareStartedByAnotherUserMapsItToRootOfANewUserNamespace() {
        var hostPaths = spec
        hostPaths.user = nil
        let arguments = Sandbox(isolation: .unshare(executable: "/usr/bin/unshare")).command(for: hostPaths).arguments
        #expect(arguments.prefix(4) == ["/usr/bin/unshare", "--user", "--map-root-user", "--mount"])
    }

    @Test func aPlainProcessGroupRunsTheShellInTheWorkingDirectoryAsTheSandboxUser() {
        var hostPaths = spec
        hostPaths.workingDirectory = "/data/work/abc/src/site"
        let command = Sandbox(isolation: .processGroup).command(for: hostPaths)
        #expect(command.arguments.first == "setpriv")
        #expect(command.arguments.suffix(4) == ["--", "/bin/sh", "-c", "npm run build"])
        #expect(command.arguments.contains("--bounding-set=-all"))
        #expect(command.workingDirectory == "/data/work/abc/src/site")
        hostPaths.user = nil
        #expect(Sandbox(isolation: .processGroup).command(for: hostPaths).arguments == ["/bin/sh", "-c", "npm run build"])
    }

    @Test func argumentsPastedIntoAShellLineComeBackUnchanged() async throws {
        let arguments = ["it's", "a \"b\" $HOME `x`", "", "--", "ü"]
        let (termination, lines) = try await ChildProcess.capture(
            Command(arguments: ["/bin/sh", "-c", "for a in " + ShellQuoting.join(arguments) + "; do echo \"[$a]\"; done"], environment: [:]))
        #expect(termination.succeeded)
        #expect(lines.map(\.text) == arguments.map { "[\($0)]" })
    }
}
