import Testing

@testable import SlipwaySandbox

@Suite struct SandboxCommandTests {
    let spec = SandboxSpec(
        shellCommand: "npm run build", workingDirectory: "/data/work/abc/src/site", writableDirectories: ["/data/work/abc"],
        hiddenDirectory: "/data", environment: ["PATH": "/usr/bin", "CI": "true"]
    )

    @Test func bubblewrapHidesTheDataDirectoryAndBindsTheWorkDirectoryBack() {
        let command = Sandbox(isolation: .bubblewrap(executable: "/usr/bin/bwrap")).command(for: spec)
        #expect(
            command.arguments == [
                "/usr/bin/bwrap", "--die-with-parent", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
                "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
                "--tmpfs", "/data", "--bind", "/data/work/abc", "/data/work/abc",
                "--chdir", "/data/work/abc/src/site", "--cap-drop", "ALL", "--", "/bin/sh", "-c", "npm run build",
            ]
        )
        #expect(command.environment == ["PATH": "/usr/bin", "CI": "true"])
        #expect(command.workingDirectory == nil)
    }

    @Test func unshareRunsAScriptThatMountsBeforeItExecsTheCommand() {
        let command = Sandbox(isolation: .unshare(executable: "/usr/bin/unshare")).command(for: spec)
        #expect(
            command.arguments == [
                "/usr/bin/unshare", "--user", "--map-root-user", "--mount", "--pid", "--fork", "--mount-proc", "--kill-child",
                "--", "/bin/sh", "-c", Sandbox.unshareScript(writableCount: 1), "slipway-sandbox",
                "/data", "/data/work/abc/src/site", "npm run build", "/data/work/abc",
            ]
        )
        #expect(
            Sandbox.unshareScript(writableCount: 1) == """
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
                exec /bin/sh -c "$3"
                """
        )
    }

    @Test func readOnlyDirectoriesAreBoundBackReadOnly() {
        var service = spec
        service.readOnlyDirectories = ["/data/builds/b1"]
        let bubblewrap = Sandbox(isolation: .bubblewrap(executable: "/usr/bin/bwrap")).command(for: service).arguments
        #expect(bubblewrap.joined(separator: " ").contains("--bind /data/work/abc /data/work/abc --ro-bind /data/builds/b1 /data/builds/b1 --chdir"))
        let unshare = Sandbox(isolation: .unshare(executable: "/usr/bin/unshare")).command(for: service).arguments
        #expect(unshare.suffix(2) == ["/data/work/abc", "/data/builds/b1"])
        let script = Sandbox.unshareScript(writableCount: 1, readOnlyCount: 1)
        #expect(script.contains("exec 4<\"${5}\""))
        #expect(script.contains("mount --no-canonicalize --bind /proc/self/fd/4 \"${5}\"\nmount --no-canonicalize -o remount,bind,ro \"${5}\""))
        #expect(!script.contains("remount,bind,ro \"${4}\""))
    }

    @Test func aPlainProcessGroupRunsTheShellInTheWorkingDirectory() {
        let command = Sandbox(isolation: .processGroup).command(for: spec)
        #expect(command.arguments == ["/bin/sh", "-c", "npm run build"])
        #expect(command.workingDirectory == "/data/work/abc/src/site")
    }
}
