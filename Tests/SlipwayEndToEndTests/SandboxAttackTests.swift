import Foundation
import SlipwayClient
import SlipwaySandbox
import SlipwayTesting
import Testing

/// The isolation issue's holes 1, 2 and 5, replayed as a tenant would: real repositories, real builds and
/// services on a real server, then a look at what they could reach. Each test fails with its protection off.
@Suite(.enabled(if: Sandbox.findExecutable("bwrap") != nil, "needs bubblewrap (apt-get install bubblewrap)"))
struct SandboxAttackTests {
    static let runsAsRoot = geteuid() == 0
    static let hasPrivateNetwork = Sandbox.findExecutable("slirp4netns") != nil && runsAsRoot

    /// A repository whose only file is `build.sh` with `script`.
    func repository(building script: String) throws -> TemporaryGitRepository {
        let repository = try TemporaryGitRepository()
        try repository.write("build.sh", script)
        try repository.commit("attack")
        return repository
    }

    func deploy(_ api: SlipwayClient, _ projectID: Int64) async throws -> DeploymentInfo {
        let result = try await api.deploy(projectIDs: [projectID])
        return try await api.waitForDeployment(result.deploymentIds[0])
    }

    @Test func anOutputDirectoryThatIsALinkToTheDataDirectoryFailsTheBuildAndNothingIsServed() async throws {
        try await TestServer.withServer { server in
            let attack = try repository(building: "ln -s '\(server.dataDirectory)' out\n")
            let project = try await server.client.createProject(
                NewProjectRequest(name: "steal", repository: attack.path, buildCommand: "sh build.sh", outputDir: "out"))
            let deployment = try await deploy(server.client, project.id)
            #expect(deployment.state == "failed")
            #expect(
                deployment.error?.contains("output_dir 'out': 'out' is a symbolic link (to '\(server.dataDirectory)')") == true,
                "\(deployment.error ?? "") \(deployment.output?.systemPayload ?? [])")
            for path in ["/admin-token", "/secret-key", "/slipway.sqlite"] {
                let response = try await server.edge("steal", path)
                #expect(response.status != 200, "\(path) was served")
                #expect(!response.body.contains(server.adminToken))
            }
            #expect(FileManager.default.fileExists(atPath: server.dataDirectory + "/admin-token"))
        }
    }

    @Test func anOutputDirectoryBelowALinkFailsTheBuildAndNoHostDirectoryMoves() async throws {
        let host = FileManager.default.temporaryDirectory.appendingPathComponent("slipway-host-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: host + "/dist/.git", withIntermediateDirectories: true)
        try "host file".write(toFile: host + "/dist/index.html", atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: host) }
        try await TestServer.withServer { server in
            let attack = try repository(building: "ln -s '\(host)' link\n")
            let project = try await server.client.createProject(
                NewProjectRequest(name: "move", repository: attack.path, buildCommand: "sh build.sh", outputDir: "link/dist"))
            let deployment = try await deploy(server.client, project.id)
            #expect(deployment.state == "failed")
            #expect(deployment.error?.contains("output_dir 'link/dist': 'link' is a symbolic link") == true, "\(deployment.error ?? "")")
            #expect(try await server.edge("move").status != 200)
        }
        #expect(FileManager.default.fileExists(atPath: host + "/dist/index.html"), "the host directory was moved")
        #expect(FileManager.default.fileExists(atPath: host + "/dist/.git"), "the host's .git was deleted")
    }

    @Test func aRootDirThatIsALinkFailsTheBuildBeforeItRuns() async throws {
        try await TestServer.withServer { server in
            let attack = try TemporaryGitRepository()
            try attack.write("build.sh", "echo the build ran\n")
            try FileManager.default.createSymbolicLink(atPath: attack.path + "/site", withDestinationPath: "/etc")
            try attack.commit("a committed link")
            let project = try await server.client.createProject(
                NewProjectRequest(name: "rootlink", repository: attack.path, rootDir: "site", buildCommand: "sh ../build.sh"))
            let deployment = try await deploy(server.client, project.id)
            #expect(deployment.state == "failed")
            #expect(deployment.error?.contains("root_dir 'site': 'site' is a symbolic link (to '/etc')") == true, "\(deployment.error ?? "")")
            #expect(deployment.output?.clientPayload.contains("the build ran") != true)
        }
    }

    @Test func linksInsideABuildStayButLinksOutOfItAreLeftOut() async throws {
        try await TestServer.withServer { server in
            let site = try repository(
                building: """
                    mkdir -p dist/sub
                    echo '<h1>in</h1>' > dist/index.html
                    echo '<h1>not here</h1>' > dist/404.html
                    ln -s index.html dist/inside.html
                    ln -s ../index.html dist/sub/up.html
                    ln -s /etc/passwd dist/passwd
                    ln -s ../../../../../../etc/hostname dist/hostname
                    mkfifo dist/pipe
                    """)
            let project = try await server.client.createProject(
                NewProjectRequest(name: "links", repository: site.path, buildCommand: "sh build.sh", outputDir: "dist"))
            let deployment = try await deploy(server.client, project.id)
            #expect(deployment.state == "success", "\(deployment.error ?? "")")
            #expect(try await server.edge("links", "/inside.html").body == "<h1>in</h1>\n")
            #expect(try await server.edge("links", "/sub/up.html").body == "<h1>in</h1>\n")
            // The build has a 404.html (without one it would be a single-page app, answering its index.html).
            for path in ["/passwd", "/hostname"] {
                let answer = try await server.edge("links", path)
                #expect(answer.status == 404 && answer.body == "<h1>not here</h1>\n", "\(path): \(answer.body)")
            }
            let system = deployment.output?.systemPayload ?? []
            #expect(system.contains { $0.contains("'passwd' is a link that leads outside it") })
            #expect(system.contains { $0.contains("'pipe' is not a regular file") })
            let build = try #require(deployment.buildId)
            let stored = server.dataDirectory + "/builds/" + build.lowercased()
            #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: stored + "/passwd")) == nil)
            #expect(FileManager.default.fileExists(atPath: stored + "/inside.html"))
        }
    }

    @Test(.enabled(if: runsAsRoot, "the uid is dropped only by a server that runs as root"))
    func aBuildAndAServiceRunAsAnUnprivilegedUserAndCannotTouchTheHost() async throws {
        let swappiness = try String(contentsOfFile: "/proc/sys/vm/swappiness", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        try await TestServer.withServer { server in
            // The build writes back the value it read: a failing run changes nothing on the host.
            let attack = try TemporaryGitRepository()
            try attack.write(
                "build.sh",
                """
                echo "build uid $(id -u) gid $(id -g)"
                cat /etc/shadow >/dev/null 2>&1 && echo "build read /etc/shadow" || echo "build: /etc/shadow refused"
                echo \(swappiness) > /proc/sys/vm/swappiness 2>/dev/null && echo "build wrote swappiness" || echo "build: swappiness refused"
                ls /root >/dev/null 2>&1 && echo "build listed /root" || echo "build: /root refused"
                """)
            try attack.write(
                "app.pl",
                #"""
                use IO::Socket::INET;
                $| = 1;
                my $uid = $<;
                my $shadow = open(my $f, '<', '/etc/shadow') ? 'read' : 'refused';
                my $server = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $ENV{PORT}, Listen => 16, ReuseAddr => 1) or die;
                while (my $client = $server->accept) {
                    while (my $line = <$client>) { last if $line =~ /^\r?\n$/ }
                    my $out = "service uid $uid shadow $shadow\n";
                    print $client "HTTP/1.1 200 OK\r\nContent-Length: " . length($out) . "\r\nConnection: close\r\n\r\n$out";
                    close $client;
                }
                """#)
            try attack.commit("attack")
            let project = try await server.client.createProject(
                NewProjectRequest(name: "root", repository: attack.path, kind: "service", buildCommand: "sh build.sh", startCommand: "perl app.pl"))
            let deployment = try await deploy(server.client, project.id)
            #expect(deployment.state == "success", "\(deployment.error ?? "")")
            let build = deployment.output?.clientPayload ?? []
            let uid = SandboxUser.workspace(1).uid
            #expect(build.contains("build uid \(uid) gid \(uid)"), "\(build)")
            #expect(build.contains("build: /etc/shadow refused"))
            #expect(build.contains("build: swappiness refused"))
            #expect(build.contains("build: /root refused"))
            #expect(try await server.edge("root").body == "service uid \(uid) shadow refused\n")
        }
        let after = try String(contentsOfFile: "/proc/sys/vm/swappiness", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(after == swappiness)
    }

    @Test(.enabled(if: hasPrivateNetwork, "needs slirp4netns and a server that runs as root"))
    func aBuildReachesNeitherTheAPINorAnotherTenantsServiceButKeepsItsRouteOut() async throws {
        try await TestServer.withServer { server in
            // Another tenant's service, live behind the edge.
            let victim = try TemporaryGitRepository()
            try victim.write(
                "app.pl",
                #"""
                use IO::Socket::INET;
                my $server = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $ENV{PORT}, Listen => 16, ReuseAddr => 1) or die;
                while (my $client = $server->accept) {
                    while (my $line = <$client>) { last if $line =~ /^\r?\n$/ }
                    print $client "HTTP/1.1 200 OK\r\nContent-Length: 7\r\nConnection: close\r\n\r\nprivate";
                    close $client;
                }
                """#)
            try victim.commit("victim")
            let service = try await server.client.createProject(
                NewProjectRequest(name: "victim", repository: victim.path, kind: "service", startCommand: "perl app.pl"))
            let live = try await deploy(server.client, service.id)
            #expect(live.state == "success", "\(live.error ?? "")")
            #expect(try await server.edge("victim").body == "private", "the edge reaches the service in its namespace")
            let ports = (live.output?.systemPayload ?? []).compactMap { line -> Int? in
                guard let range = line.range(of: "Process started on 127.0.0.1:") else { return nil }
                return Int(line[range.upperBound...].prefix { $0.isNumber })
            }
            let servicePort = try #require(ports.first)

            // The attacker's build tries the API, the service's port, on its loopback and through the gateway.
            let probe = #"""
                use IO::Socket::INET;
                for my $target (@ARGV) {
                    my $socket = IO::Socket::INET->new(PeerAddr => $target, Timeout => 3);
                    print "$target ", ($socket ? "connected" : "refused"), "\n";
                }
                """#
            let attack = try TemporaryGitRepository()
            try attack.write("probe.pl", probe)
            try attack.write(
                "build.sh",
                """
                cat /proc/net/route
                perl probe.pl 127.0.0.1:\(server.port) 10.0.2.2:\(server.port) 127.0.0.1:\(servicePort) 10.0.2.2:\(servicePort)
                mkdir -p out && echo ok > out/index.html
                """)
            try attack.commit("probe")
            let project = try await server.client.createProject(
                NewProjectRequest(name: "probe", repository: attack.path, buildCommand: "sh build.sh", outputDir: "out"))
            let deployment = try await deploy(server.client, project.id)
            let output = deployment.output?.clientPayload ?? []
            #expect(deployment.state == "success", "\(deployment.error ?? "")")
            #expect(output.contains { $0.hasPrefix("tap0\t00000000\t0202000A") }, "the default route goes out through slirp4netns: \(output)")
            for target in ["127.0.0.1:\(server.port)", "10.0.2.2:\(server.port)", "127.0.0.1:\(servicePort)", "10.0.2.2:\(servicePort)"] {
                #expect(output.contains("\(target) refused"), "\(target): \(output)")
            }
        }
    }
}
