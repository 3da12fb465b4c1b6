import Foundation
import Testing

@testable import SlipwaySandbox

@Suite struct BuildCgroupCommandTests {
    let command = Command(
        arguments: ["/usr/bin/bwrap", "--chdir", "/data/work/abc", "--", "/bin/sh", "-c", "npm run build"],
        environment: ["PATH": "/usr/bin", "CI": "true"], workingDirectory: "/data/work/abc"
    )

    @Test func theWrapperJoinsEveryProcsFileThenExecsTheOriginalArgumentsUnchanged() {
        let wrapped = BuildCgroup.joining(
            procsFiles: ["/sys/fs/cgroup/memory/slipway/d1/cgroup.procs", "/sys/fs/cgroup/pids/slipway/d1/cgroup.procs"], command: command
        )
        #expect(
            wrapped.arguments == [
                "/bin/sh", "-c", BuildCgroup.joinScript(fileCount: 2), "slipway-cgroup",
                "/sys/fs/cgroup/memory/slipway/d1/cgroup.procs", "/sys/fs/cgroup/pids/slipway/d1/cgroup.procs",
                "/usr/bin/bwrap", "--chdir", "/data/work/abc", "--", "/bin/sh", "-c", "npm run build",
            ]
        )
        #expect(wrapped.environment == command.environment)
        #expect(wrapped.workingDirectory == "/data/work/abc")
        #expect(
            BuildCgroup.joinScript(fileCount: 2) == """
                for file in "$1" "$2"; do
                    echo $$ > "$file" || { echo "slipway: cannot join the cgroup $file" >&2; exit 125; }
                done
                shift 2
                exec "$@"
                """
        )
    }

    @Test func positionalParametersPastNineAreBraced() {
        #expect(BuildCgroup.joinScript(fileCount: 10).hasPrefix(#"for file in "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" "$9" "${10}"; do"#))
    }

    @Test func withoutProcsFilesTheCommandIsLeftAlone() {
        #expect(BuildCgroup.joining(procsFiles: [], command: command) == command)
    }

    @Test func aGroupWrapsWithItsOwnProcsFilesInTheOrderOfItsHierarchies() throws {
        let root = try FakeCgroupRoot()
        defer { root.remove() }
        let support = CgroupSupport(
            memory: .init(version: .v1, parentDirectory: root.path + "/memory/slipway"),
            pids: .init(version: .v1, parentDirectory: root.path + "/pids/slipway"),
            tracking: .init(version: .v2, parentDirectory: root.path + "/unified/slipway"), killsAtOnce: true, limitsSwap: true, root: root.path
        )
        for hierarchy in support.hierarchies {
            try FileManager.default.createDirectory(atPath: hierarchy.parentDirectory, withIntermediateDirectories: true)
        }
        let cgroup = try BuildCgroup.create(name: "d1", limits: .unlimited, support: support)
        #expect(
            cgroup.procsFiles == [
                root.path + "/memory/slipway/d1/cgroup.procs", root.path + "/pids/slipway/d1/cgroup.procs",
                root.path + "/unified/slipway/d1/cgroup.procs",
            ]
        )
        #expect(cgroup.wrap(command) == BuildCgroup.joining(procsFiles: cgroup.procsFiles, command: command))
    }

    /// Runs for real with plain files standing in for `cgroup.procs`: arguments full of shell syntax arrive untouched,
    /// and every file receives the pid of the process that then became the command.
    @Test func argumentsWithShellSyntaxPassThroughAndThePidIsWrittenToEveryFile() async throws {
        let root = try FakeCgroupRoot()
        defer { root.remove() }
        let files = [root.path + "/a", root.path + "/b"]
        let original = Command(
            arguments: ["/bin/sh", "-c", "echo \"$$\"; printf '%s|' \"$@\"", "name", "a b", "$HOME", "\"; exit 3", "--", "`id`"],
            environment: ["PATH": Sandbox.defaultPath]
        )
        let (termination, lines) = try await ChildProcess.capture(BuildCgroup.joining(procsFiles: files, command: original))
        #expect(termination.succeeded)
        let text = lines.map(\.text)
        try #require(text.count == 2)
        #expect(text[1] == "a b|$HOME|\"; exit 3|--|`id`|")
        for file in files { #expect(try String(contentsOfFile: file, encoding: .utf8) == text[0] + "\n") }
    }

    @Test func whenAProcsFileCannotBeWrittenTheCommandDoesNotRun() async throws {
        let original = Command(arguments: ["/bin/echo", "ran"], environment: ["PATH": Sandbox.defaultPath])
        let (termination, lines) = try await ChildProcess.capture(
            BuildCgroup.joining(procsFiles: ["/nonexistent-slipway/cgroup.procs"], command: original)
        )
        #expect(termination.exitCode == 125)
        #expect(!lines.map(\.text).contains("ran"))
        #expect(lines.contains { $0.stream == .stderr && $0.text == "slipway: cannot join the cgroup /nonexistent-slipway/cgroup.procs" })
    }
}

/// A temporary directory shaped like a cgroup root, for detection and limit tests without a kernel.
struct FakeCgroupRoot {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("slipway-cgroup-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func write(_ relative: String, _ contents: String = "") throws {
        let url = URL(fileURLWithPath: path + "/" + relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try contents.write(to: url, atomically: false, encoding: .utf8)
    }

    func read(_ relative: String) -> String? {
        try? String(contentsOfFile: path + "/" + relative, encoding: .utf8)
    }

    func exists(_ relative: String) -> Bool {
        FileManager.default.fileExists(atPath: path + "/" + relative)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
