import AsyncHTTPClient
import Foundation
import NIOHTTP1
import SlipwayClient
import SlipwayServer
import SlipwayTesting
import Synchronization
import Testing

/// Services end to end: a real HTTP app (a Perl script: perl-base is on every Debian and Ubuntu machine) built from
/// a real git repository, started under the sandbox, health checked, switched to through the edge's proxy.
@Suite struct ServiceDeploymentTests {
    /// An app that answers every request with the content of `version.txt`; `/crash` kills the whole app,
    /// `/slow` answers after a second, `/busy` after 50 ms. With `unhealthy.txt` present it answers 503; with `fatal.txt` it prints
    /// the file and exits 3 before listening.
    static func makeApp() throws -> TemporaryGitRepository {
        let repository = try TemporaryGitRepository()
        try repository.write(
            "app.pl",
            #"""
            use strict;
            use IO::Socket::INET;
            $| = 1;
            $SIG{CHLD} = 'IGNORE';
            if (-e 'fatal.txt') { open(my $f, '<', 'fatal.txt'); print STDERR <$f>; exit 3; }
            my $version = do { local $/; open(my $f, '<', 'version.txt') or die "no version.txt"; <$f> };
            chomp $version;
            my $status = -e 'unhealthy.txt' ? '503 Service Unavailable' : '200 OK';
            my $app = $$;
            my $server = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $ENV{PORT}, Listen => 128, ReuseAddr => 1)
                or die "cannot listen on port $ENV{PORT}: $!";
            print "listening on $ENV{PORT} as $version (secret $ENV{API_KEY})\n";
            while (1) {
                my $client = $server->accept or next;
                my $pid = fork;
                if (!defined $pid || $pid) { close $client; next; }
                close $server;
                while (my $line = <$client>) {
                    my (undef, $path) = split ' ', $line;
                    my ($length, $close) = (0, 0);
                    while (my $header = <$client>) {
                        last if $header =~ /^\r?\n$/;
                        $length = $1 if $header =~ /^content-length:\s*(\d+)/i;
                        $close = 1 if $header =~ /^connection:\s*close/i;
                    }
                    read($client, my $body, $length) if $length;
                    if ($path eq '/crash') { print STDERR "crashing on request\n"; kill 'KILL', $app; exit 1; }
                    sleep 1 if $path eq '/slow';
                    select(undef, undef, undef, 0.05) if $path eq '/busy';
                    my $out = "$version\n";
                    print $client "HTTP/1.1 $status\r\nContent-Type: text/plain\r\nContent-Length: " . length($out) . "\r\n\r\n$out";
                    last if $close;
                }
                exit 0;
            }
            """#
        )
        try repository.write("version.txt", "v1")
        try repository.commit("v1")
        return repository
    }

    static func createService(_ api: SlipwayClient, name: String, repository: String, healthCheckTimeout: Double = 30) async throws -> ProjectInfo {
        try await api.createProject(
            NewProjectRequest(
                name: name, repository: repository, kind: "service", startCommand: "perl app.pl", healthCheckPath: "/health",
                healthCheckTimeout: healthCheckTimeout, healthCheckInterval: 0.1, drainTimeout: 10
            )
        )
    }

    static func deploy(_ api: SlipwayClient, _ projectID: Int64, branch: String? = nil) async throws -> DeploymentInfo {
        let result = try await api.deploy(projectIDs: [projectID], branch: branch)
        return try await api.waitForDeployment(result.deploymentIds[0], timeout: .seconds(120))
    }

    @Test func fourClientsSeeNoFailedRequestWhileANewVersionGoesLive() async throws {
        let app = try Self.makeApp()
        try await TestServer.withServer { server in
            let api = server.client
            let project = try await Self.createService(api, name: "zero", repository: app.path)
            let first = try await Self.deploy(api, project.id)
            #expect(first.state == "success", "\(first.error ?? "")")
            #expect(first.stages.map(\.name) == ["queued", "initialize", "clone_repo", "build", "deploy", "health_check"])
            #expect(first.stages.allSatisfy { $0.status == "success" })
            #expect(try await server.edge("zero").body == "v1\n")

            try app.write("version.txt", "v2")
            try app.commit("v2")
            let outcomes = ClientOutcomes()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        while !outcomes.stop.load(ordering: .relaxed) {
                            do {
                                // 50 ms per request: requests are always in flight when the old process is retired.
                                let response = try await server.edge("zero", "/busy")
                                outcomes.state.withLock { outcome in
                                    if response.status == 200 {
                                        outcome.answers[response.body, default: 0] += 1
                                    } else {
                                        outcome.failures.append("HTTP \(response.status): \(response.body.prefix(80))")
                                    }
                                }
                            } catch {
                                outcomes.state.withLock { $0.failures.append("\(error)") }
                            }
                        }
                    }
                }
                let second = try await Self.deploy(api, project.id)
                #expect(second.state == "success", "\(second.error ?? "")")
                try await Task.sleep(for: .milliseconds(300))
                outcomes.stop.store(true, ordering: .relaxed)
                try await group.waitForAll()
            }
            let (answers, failures) = outcomes.state.withLock { ($0.answers, $0.failures) }
            #expect(failures.isEmpty, "failed requests during the switch: \(failures.prefix(5))")
            #expect(answers["v1\n", default: 0] > 0)
            #expect(answers["v2\n", default: 0] > 0)
            #expect(Set(answers.keys) == ["v1\n", "v2\n"])
            for _ in 0..<20 { #expect(try await server.edge("zero").body == "v2\n") }

            // The old process has drained out of the route: it runs on only as the warm standby (docs/containers.md).
            let shown = try await api.project("zero")
            #expect(shown.services?.processes.map(\.deploymentId) == [first.id] + [shown.productionDeploymentId].compactMap { $0 })
            #expect(shown.services?.processes.map(\.state) == ["standby", "running"])
            #expect(try await server.edge("\(first.shortId).zero").status == 502)
        }
    }

    @Test func aVersionThatNeverBecomesHealthyFailsAndThePreviousOneKeepsServing() async throws {
        let app = try Self.makeApp()
        try await TestServer.withServer { server in
            let api = server.client
            let project = try await Self.createService(api, name: "sick", repository: app.path, healthCheckTimeout: 2)
            let first = try await Self.deploy(api, project.id)
            #expect(first.state == "success", "\(first.error ?? "")")

            try app.write("unhealthy.txt", "yes")
            try app.write("version.txt", "v2")
            try app.commit("unhealthy v2")
            let unhealthy = try await Self.deploy(api, project.id)
            #expect(unhealthy.state == "failed")
            #expect(unhealthy.error?.contains("did not answer 2xx within 2 s (last: HTTP 503)") == true, "\(unhealthy.error ?? "")")
            #expect(unhealthy.stages.first { $0.name == "health_check" }?.status == "failure")
            #expect(unhealthy.output?.clientPayload.contains { $0.contains("listening on") } == true, "\(unhealthy.output?.clientPayload ?? [])")
            #expect(try await server.edge("sick").body == "v1\n")

            // A version that exits at once fails with the app's own last lines in the log.
            _ = try app.git("rm", "-q", "unhealthy.txt")
            try app.write("fatal.txt", "fatal: DATABASE_URL is not set")
            try app.commit("exits")
            let exiting = try await Self.deploy(api, project.id)
            #expect(exiting.state == "failed")
            #expect(exiting.error?.contains("exited with status 3 before its health check passed") == true, "\(exiting.error ?? "")")
            #expect(exiting.output?.clientPayload.contains("fatal: DATABASE_URL is not set") == true, "\(exiting.output?.clientPayload ?? [])")
            #expect(try await server.edge("sick").body == "v1\n")

            let shown = try await api.project("sick")
            #expect(shown.services?.processes.map(\.deploymentId) == [first.id])
        }
    }

    @Test func aCrashedProcessIsRestartedAndTheRestartIsRecorded() async throws {
        let app = try Self.makeApp()
        try await TestServer.withServer { server in
            let api = server.client
            let project = try await Self.createService(api, name: "crashy", repository: app.path)
            let secret = "s3cr3t-\(UUID().uuidString.prefix(8))"
            let (status, _) = try await api.raw(
                .PUT, "/api/v1/projects/crashy/env", body: Data(#"{"production": {"API_KEY": {"value": "\#(secret)", "secret": true}}}"#.utf8))
            #expect(status == 200)
            let first = try await Self.deploy(api, project.id)
            #expect(first.state == "success", "\(first.error ?? "")")
            let before = try #require(try await api.project("crashy").services?.processes.first)

            _ = try? await server.edge("crashy", "/crash")
            let back = await ProcessTable.eventually(timeout: .seconds(20)) {
                guard let shown = try? await api.project("crashy"), shown.services?.restartCount == 1,
                    let process = shown.services?.processes.first, process.state == "running"
                else { return false }
                return (try? await server.edge("crashy").body) == "v1\n"
            }
            #expect(back)
            let shown = try await api.project("crashy")
            let process = try #require(shown.services?.processes.first)
            #expect(process.port == before.port)
            #expect(process.pid != before.pid)
            #expect(process.restarts == 1)
            #expect(shown.services?.restarts.first.map { $0.exit.contains("exited with status") || $0.exit.contains("killed by signal") } == true)

            // The runtime log: the crash and the app's own lines, marked runtime.
            let logs = try await api.logs(first.id)
            let runtime = logs.data.filter { $0.stage == "runtime" }
            #expect(runtime.contains { $0.line.contains("crashing on request") })
            #expect(runtime.contains { $0.line.contains("restarting in") })
            #expect(runtime.contains { $0.line.contains("listening on") })
            // The app printed its secret (it got it in its environment): every log line shows it masked.
            #expect(logs.data.filter { $0.line.contains("listening on") && $0.line.contains("(secret •••)") }.count == 2)
            #expect(!logs.data.contains { $0.line.contains(secret) })

            // Where builds get cgroup limits (the initialize stage says so), the service runs under them too.
            if logs.data.contains(where: { $0.line.hasPrefix("Limits: ") && $0.line.hasSuffix("(cgroups)") }) {
                #expect(logs.data.contains { $0.line.hasPrefix("Starting: perl app.pl") && $0.line.contains("limits: memory") })
            }

            // Cloudflare's dialect calls the runtime lines container logs.
            let account = try await api.me().workspace?.cloudflareAccountId ?? ""
            let (cloudflareStatus, body) = try await api.raw(
                .GET, "/client/v4/accounts/\(account)/pages/projects/crashy/deployments/\(first.uid)/history/logs")
            #expect(cloudflareStatus == 200)
            let result = try #require(
                (try JSONSerialization.jsonObject(with: body) as? [String: Any])?["result"] as? [String: Any])
            #expect(result["includes_container_logs"] as? Bool == true)
            #expect((result["data"] as? [[String: Any]])?.contains { ($0["line"] as? String)?.contains("crashing on request") == true } == true)
        }
    }

    @Test func previewsRunPerBranchAndOnlyTheLatestOfABranchKeepsRunning() async throws {
        let app = try Self.makeApp()
        try await TestServer.withServer { server in
            let api = server.client
            let project = try await Self.createService(api, name: "branches", repository: app.path)
            let production = try await Self.deploy(api, project.id)
            #expect(production.state == "success", "\(production.error ?? "")")

            try app.checkoutNewBranch("feature")
            try app.write("version.txt", "feature one")
            try app.commit("feature one")
            let preview = try await Self.deploy(api, project.id, branch: "feature")
            #expect(preview.state == "success", "\(preview.error ?? "")")
            #expect(try await server.edge("feature.branches").body == "feature one\n")
            #expect(try await server.edge("branches").body == "v1\n")

            try app.write("version.txt", "feature two")
            try app.commit("feature two")
            let newer = try await Self.deploy(api, project.id, branch: "feature")
            #expect(newer.state == "success", "\(newer.error ?? "")")
            #expect(try await server.edge("feature.branches").body == "feature two\n")
            let running = try await api.project("branches").services?.processes.map(\.deploymentId)
            #expect(running == [production.id, newer.id])

            // Promote: the preview's build becomes production without a rebuild, as a new process.
            let promoted = try await api.send(.POST, "/api/v1/deployments/\(newer.id)/promote") as ActionResult
            let promotion = try await api.waitForDeployment(try #require(promoted.deploymentId), timeout: .seconds(60))
            #expect(promotion.state == "success", "\(promotion.error ?? "")")
            #expect(promotion.stages.first { $0.name == "build" }?.status == "skipped")
            #expect(try await server.edge("branches").body == "feature two\n")
        }
    }

    @Test func deletingTheLatestDeploymentOfABranchStartsThePreviousOneAgain() async throws {
        let app = try Self.makeApp()
        try await TestServer.withServer { server in
            let api = server.client
            let project = try await Self.createService(api, name: "fallback", repository: app.path)
            let production = try await Self.deploy(api, project.id)
            try app.checkoutNewBranch("feature")
            try app.write("version.txt", "feature one")
            try app.commit("feature one")
            let first = try await Self.deploy(api, project.id, branch: "feature")
            try app.write("version.txt", "feature two")
            try app.commit("feature two")
            let second = try await Self.deploy(api, project.id, branch: "feature")
            #expect([production.state, first.state, second.state] == ["success", "success", "success"])
            #expect(try await api.project("fallback").services?.processes.map(\.deploymentId) == [production.id, second.id])

            // The branch's URL falls back to its previous deployment, whose process had stopped: it starts again,
            // from its build (no new deployment, no rebuild).
            _ = try await api.deleteDeployment(second.id, force: true)
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(30)
            var answer = try await server.edge("feature.fallback")
            while answer.body != "feature one\n" && clock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
                answer = try await server.edge("feature.fallback")
            }
            #expect(answer.body == "feature one\n")
            #expect(try await api.project("fallback").services?.processes.map(\.deploymentId) == [production.id, first.id])
            let log = try await api.logs(first.id).data.map(\.line)
            #expect(log.contains { $0.contains("deployment \(second.id) was deleted") })
            #expect(try await server.edge("fallback").body == "v1\n")
        }
    }

    @Test func aChattyServiceKeepsShowingItsLatestOutputPastTheLogCap() async throws {
        let repository = try TemporaryGitRepository()
        // Prints 3,000 numbered lines of 100 bytes (about 300 KiB, past a 128 KiB cap), then serves.
        try repository.write(
            "chatty.pl",
            #"""
            use strict;
            use IO::Socket::INET;
            $| = 1;
            printf("line %05d %s\n", $_, "x" x 88) for 1..3000;
            my $server = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $ENV{PORT}, Listen => 16, ReuseAddr => 1) or die;
            while (my $client = $server->accept) {
                <$client>;
                print $client "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n";
                close $client;
                print "served\n";
            }
            """#
        )
        try repository.commit("chatty")
        try await TestServer.withServer(configure: { $0.logCap = 128 << 10 }) { server in
            let api = server.client
            let project = try await api.createProject(
                NewProjectRequest(
                    name: "chatty", repository: repository.path, kind: "service", startCommand: "perl chatty.pl", healthCheckPath: "/",
                    healthCheckTimeout: 30, healthCheckInterval: 0.1, drainTimeout: 1))
            let deployment = try await Self.deploy(api, project.id)
            #expect(deployment.state == "success", "\(deployment.error ?? "")")
            #expect(try await server.edge("chatty").body == "ok\n")

            // Page through the whole log as a client would: the last lines printed are there (the startup's, in the
            // deploy stage, and the live process's), offsets only grow.
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(20)
            var texts: [String] = []
            var offsets: [Int64] = []
            repeat {
                texts = []
                offsets = []
                var after: Int64 = 0
                while true {
                    let page = try await api.logs(deployment.id, after: after)
                    if page.data.isEmpty { break }
                    texts += page.data.map(\.line)
                    offsets += page.data.map(\.offset)
                    after = page.data.last!.offset
                }
                if texts.contains(where: { $0.hasPrefix("line 03000 ") }) && texts.last == "served" { break }
                try await Task.sleep(for: .milliseconds(100))
            } while clock.now < deadline
            #expect(texts.contains { $0.hasPrefix("line 03000 ") })
            #expect(texts.last == "served")
            #expect(zip(offsets, offsets.dropFirst()).allSatisfy { $0 < $1 })
            // Some of the middle is gone (two segments of 64 KiB are kept), the start of the log is not.
            #expect(texts.contains { $0.hasPrefix("line 00001 ") })
            #expect(!texts.contains { $0.hasPrefix("line 01500 ") })
        }
    }

    @Test func aRestartedServerServesItsServicesAgainBeforeItAcceptsTraffic() async throws {
        let app = try Self.makeApp()
        let dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("slipway-svc-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        var configuration = SlipwayConfiguration()
        configuration.dataDirectory = dataDirectory
        configuration.port = 0
        configuration.adminToken = "slw_service_restart_test"
        configuration.printsAdminToken = false
        let firstPort = try await TestServer.run(configuration) { server in
            let project = try await Self.createService(server.client, name: "again", repository: app.path)
            let deployment = try await Self.deploy(server.client, project.id)
            #expect(deployment.state == "success", "\(deployment.error ?? "")")
            #expect(try await server.edge("again").body == "v1\n")
            return try #require(try await server.client.project("again").services?.processes.first?.port)
        }
        // The server stopped its processes when it shut down.
        #expect(await ProcessTable.eventually(timeout: .seconds(10)) { !Self.isListening(firstPort) })

        try await TestServer.run(configuration) { server in
            // The very first request after start-up is answered by the service.
            #expect(try await server.edge("again").body == "v1\n")
            let process = try #require(try await server.client.project("again").services?.processes.first)
            #expect(process.state == "running")
        }
    }

    /// What the clients of the zero-downtime test saw, and the flag that stops them.
    final class ClientOutcomes: Sendable {
        let stop = Atomic<Bool>(false)
        let state = Mutex<(answers: [String: Int], failures: [String])>(([:], []))
    }

    static func isListening(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}
