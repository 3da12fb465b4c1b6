import Foundation
import SlipwayTesting
import Synchronization
import Testing

@testable import SlipwaySandbox

/// The sandbox as a tenant's build meets it, on this machine: every protection tried from inside.
@Suite(.enabled("needs bubblewrap that works here (apt-get install bubblewrap)") { await MachineSandbox.bubblewrapWorks() })
struct SandboxIsolationTests {
    static let runsAsRoot = geteuid() == 0

    /// Runs `script` in a sandbox over a fresh data directory with one work directory; returns its lines.
    func run(_ script: String, network: SandboxNetworkChoice = .host, unshare: Bool = false) async throws -> (Termination, [String], data: String) {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("slipway-sandbox-\(UUID().uuidString)").path
        let work = data + "/work/d1"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        try "top secret".write(toFile: data + "/admin-token", atomically: true, encoding: .utf8)
        try "mine\n".write(toFile: work + "/input.txt", atomically: true, encoding: .utf8)
        chmod(data, 0o700)
        let user = Self.runsAsRoot ? SandboxUser.workspace(7) : nil
        try SandboxFiles.handOver(work, to: user)
        let detection = await SandboxDetection.detect(hiddenDirectory: data, network: network)
        let sandbox = Sandbox(isolation: unshare ? .unshare(executable: Sandbox.findExecutable("unshare") ?? "unshare") : detection.isolation)
        if !unshare {
            guard case .bubblewrap(let setup) = detection.isolation else {
                throw SandboxFiles.PathError("bubblewrap did not work: \(detection.warnings)")
            }
            if network == .private, !setup.hasPrivateNetwork {
                throw SandboxFiles.PathError("no network namespace of its own: \(detection.warnings)")
            }
        }
        let mount = SandboxMount(hostPath: work, name: "work", writable: true)
        let spec = SandboxSpec(
            shellCommand: script, workingDirectory: sandbox.insidePath(of: mount), mounts: [mount], hiddenDirectory: data,
            environment: ["PATH": Sandbox.defaultPath, "DATA": data], user: user
        )
        let lines = Mutex<[String]>([])
        let termination = try await SandboxedProcess.run(spec, in: sandbox, timeout: .seconds(60)) { line in lines.withLock { $0.append(line.text) } }
        return (termination, lines.withLock { $0 }, data)
    }

    @Test func theDataDirectoryIsAbsentAndOnlyTheWorkDirectoryIsThere() async throws {
        let (termination, text, data) = try await run("cat \"$DATA/admin-token\"; ls \"$DATA\"; cat input.txt; echo built > output.txt; pwd")
        defer { try? FileManager.default.removeItem(atPath: data) }
        #expect(termination.succeeded)
        #expect(!text.contains("top secret"))
        #expect(!text.contains("admin-token"))
        #expect(text.contains("mine"))
        #expect(text.contains("/slipway/work"))
        #expect(try String(contentsOfFile: data + "/work/d1/output.txt", encoding: .utf8) == "built\n")
    }

    @Test(.enabled(if: Sandbox.findExecutable("unshare") != nil, "needs util-linux's unshare"))
    func theUnshareFallbackHidesTheDataDirectoryAndDropsRoot() async throws {
        let (termination, text, data) = try await run(
            "cat \"$DATA/admin-token\"; cat input.txt; echo built > output.txt; echo \"uid $(id -u)\"", unshare: true)
        defer { try? FileManager.default.removeItem(atPath: data) }
        #expect(termination.succeeded, "\(text)")
        #expect(!text.contains("top secret"))
        #expect(text.contains("mine"))
        if Self.runsAsRoot {
            #expect(text.contains("uid \(SandboxUser.workspace(7).uid)"), "\(text)")
        }
        #expect(try String(contentsOfFile: data + "/work/d1/output.txt", encoding: .utf8) == "built\n")
    }

    @Test(.enabled(if: runsAsRoot, "the uid is dropped only by a server that runs as root"))
    func aBuildIsAnUnprivilegedUserOfTheHostWithNoCapabilities() async throws {
        let (_, text, data) = try await run(
            """
            echo "uid $(id -u)"
            cat /etc/shadow >/dev/null 2>&1 && echo "shadow readable" || echo "shadow refused"
            grep -E '^(CapEff|CapBnd|NoNewPrivs|Seccomp):' /proc/self/status
            """)
        defer { try? FileManager.default.removeItem(atPath: data) }
        #expect(text.contains("uid \(SandboxUser.workspace(7).uid)"))
        #expect(text.contains("shadow refused"))
        #expect(text.contains("CapEff:\t0000000000000000"))
        #expect(text.contains("CapBnd:\t0000000000000000"))
        #expect(text.contains("NoNewPrivs:\t1"))
        #expect(text.contains("Seccomp:\t2"))
    }

    @Test func procSysIsReadOnlyInside() async throws {
        let before = try String(contentsOfFile: "/proc/sys/vm/swappiness", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        // Writes back the value it read: a failing run changes nothing on the host.
        let (_, text, data) = try await run("echo \(before) > /proc/sys/vm/swappiness && echo written || echo refused")
        defer { try? FileManager.default.removeItem(atPath: data) }
        #expect(text.contains("refused"))
        #expect(!text.contains("written"))
    }

    @Test func theSeccompFilterRefusesNamespacesAndMounts() async throws {
        let (_, text, data) = try await run(
            """
            unshare --user --map-root-user true 2>/dev/null && echo "userns made" || echo "userns refused"
            mount -t tmpfs none /tmp 2>/dev/null && echo "mounted" || echo "mount refused"
            echo ok
            """)
        defer { try? FileManager.default.removeItem(atPath: data) }
        #expect(text.contains("ok"))
        #expect(text.contains("userns refused"))
        #expect(text.contains("mount refused"))
    }

    @Test(.enabled("needs slirp4netns that works here (apt-get install slirp4netns)") { await MachineSandbox.privateNetworkWorks() })
    func manySandboxesWithTheirOwnNetworkStartSideBySide() async throws {
        let results = try await withThrowingTaskGroup(of: (Termination, [String]).self) { group in
            for _ in 0..<24 {
                group.addTask {
                    let (termination, text, data) = try await run("echo started", network: .private)
                    try? FileManager.default.removeItem(atPath: data)
                    return (termination, text)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for (termination, text) in results {
            #expect(termination.succeeded && text == ["started"], "\(termination) \(text)")
        }
    }

    @Test(.enabled("needs slirp4netns that works here (apt-get install slirp4netns)") { await MachineSandbox.privateNetworkWorks() })
    func aPrivateNetworkHasARouteOutButNoWayToTheHostsLoopback() async throws {
        let (listener, port) = try LoopbackSocket.bind(listening: 16)
        defer { close(listener) }
        // bash's /dev/tcp is not everywhere; python3 is, on the machines this runs on (else the test says so).
        let probe = "import socket,sys\nfor host in sys.argv[1:]:\n s=socket.socket(); s.settimeout(3)\n print(host, s.connect_ex((host, \(port))))"
        let (termination, text, data) = try await run(
            "cat /proc/net/route; python3 -c '\(probe)' 127.0.0.1 10.0.2.2", network: .private)
        defer { try? FileManager.default.removeItem(atPath: data) }
        #expect(termination.succeeded, "\(text)")
        // The default route (destination 00000000) goes out through tap0 to 10.0.2.2 (0202000A, little-endian).
        #expect(text.contains { $0.hasPrefix("tap0\t00000000\t0202000A") }, "\(text)")
        #expect(text.contains { $0.hasPrefix("127.0.0.1 ") && !$0.hasSuffix(" 0") }, "\(text)")
        #expect(text.contains { $0.hasPrefix("10.0.2.2 ") && !$0.hasSuffix(" 0") }, "\(text)")
    }
}
