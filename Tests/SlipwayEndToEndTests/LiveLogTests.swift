import Foundation
import NIOHTTP1
import SlipwayClient
import SlipwayTesting
import Testing

/// Deployment logs over real HTTP: the live Server-Sent Events stream (follow, resume, end, keep-alive) and JSON paging.
@Suite struct LiveLogTests {
    /// A line as the event stream sends it.
    struct StreamedLine: Decodable, Equatable {
        var line: String
        var ts: String
        var stream: String
        var stage: String?
    }

    /// The data of the final `end` event.
    struct EndOfLog: Decodable, Equatable {
        var state: String
        var status: Int
        var error: String?
    }

    /// A text that needs every kind of JSON escaping, printed by the build.
    static let awkwardLine = "quote \" backslash \\ tab\there é ✓ </script>"

    /// A site whose build prints `line 1` … `line 5` slowly (0.3 s apart), an awkward line, and one line on stderr.
    func makeSlowSite(lines: Int = 5, pause: String = "0.3") throws -> TemporaryGitRepository {
        let repository = try TemporaryGitRepository()
        try repository.write(
            "build.sh",
            """
            #!/bin/sh
            set -e
            for i in $(seq 1 \(lines)); do echo "line $i"; sleep \(pause); done
            printf '%s\\n' "$(cat awkward.txt)"
            echo "a warning" >&2
            mkdir -p dist
            echo "<h1>slow</h1>" > dist/index.html
            """
        )
        try repository.write("awkward.txt", Self.awkwardLine)
        try repository.commit("slow build")
        return repository
    }

    @Test func aFollowerGetsEveryLineWhileTheBuildRunsThenTheEndAndTheStreamCloses() async throws {
        let site = try makeSlowSite()
        try await TestServer.withServer { server in
            let api = server.client
            let project = try await api.createProject(
                NewProjectRequest(name: "slow", repository: site.path, buildCommand: "sh build.sh", outputDir: "dist"))
            let id = try await api.deploy(projectIDs: [project.id]).deploymentIds[0]

            let response = try await server.followLogs(id)
            #expect(response.status == 200)
            #expect(response.headers["content-type"].first == "text/event-stream")
            #expect(response.headers["cache-control"].first == "no-cache")

            // Line 1 arrives while the deployment is still running: the stream is live, not a replay after the end.
            let (items, stateAtFirstLine) = try await withTimeout(.seconds(60), "the log stream") {
                var items: [EventStreamItem] = []
                var stateAtFirstLine: String?
                for try await item in response.items {
                    items.append(item)
                    if case .event(let event) = item, event.event == "message", stateAtFirstLine == nil,
                        try event.decode(StreamedLine.self).line == "line 1"
                    {
                        stateAtFirstLine = try await api.deployment(id).state
                    }
                }
                return (items, stateAtFirstLine)
            }
            #expect(stateAtFirstLine == "running")

            // Every line in order, then `end` with the final state; then the server closed the stream by itself.
            let events = items.compactMap { if case .event(let event) = $0 { event } else { nil } }
            let end = try #require(events.last)
            #expect(end.event == "end")
            #expect(try end.decode(EndOfLog.self) == EndOfLog(state: "success", status: 1, error: nil))
            let lineEvents = events.dropLast()
            #expect(lineEvents.allSatisfy { $0.event == "message" })
            let lines = try lineEvents.map { try $0.decode(StreamedLine.self) }
            #expect(lines.filter { $0.stream == "stdout" }.map(\.line) == ["line 1", "line 2", "line 3", "line 4", "line 5", Self.awkwardLine])
            #expect(lines.filter { $0.stream == "stderr" }.map(\.line) == ["a warning"])
            #expect(lines.first { $0.stream == "stdout" }?.stage == "build")
            #expect(lines.last?.stream == "system")
            let finished = try await api.deployment(id)
            #expect(finished.state == "success")
            // Timestamps: ISO-8601 UTC with microseconds, never going back, none before the deployment was created.
            let pattern = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z/
            #expect(lines.allSatisfy { $0.ts.wholeMatch(of: pattern) != nil })
            #expect(zip(lines, lines.dropFirst()).allSatisfy { $0.ts <= $1.ts })
            #expect(lines.allSatisfy { $0.ts >= finished.createdAt })

            // The stream is exactly the log the JSON endpoint shows: same lines, same timestamps, ids = offsets.
            let logged = try await pageThroughLog(server, id, limit: 1000)
            #expect(lineEvents.map(\.id) == logged.map { String($0.offset) })
            #expect(lines == logged.map { StreamedLine(line: $0.line, ts: $0.ts, stream: $0.stream, stage: $0.stage) })
        }
    }

    @Test func aDroppedFollowerResumesWithLastEventIDAndGetsExactlyTheRest() async throws {
        let site = try makeSlowSite(lines: 8, pause: "0.2")
        try await TestServer.withServer { server in
            let api = server.client
            let project = try await api.createProject(
                NewProjectRequest(name: "resume", repository: site.path, buildCommand: "sh build.sh", outputDir: "dist"))
            let id = try await api.deploy(projectIDs: [project.id]).deploymentIds[0]

            // The first connection reads up to `line 2` and goes away while the build still runs.
            let first = try await server.followLogs(id)
            let seen = try await withTimeout(.seconds(60), "the first connection") {
                var seen: [ServerSentEvent] = []
                for try await item in first.items {
                    guard case .event(let event) = item else { continue }
                    seen.append(event)
                    if try event.decode(StreamedLine.self).line == "line 2" { break }
                }
                return seen
            }
            let resumeFrom = try #require(seen.last?.id.flatMap { Int64($0) })

            // The reconnect (as EventSource does it: same URL, Last-Event-ID) gets exactly what came after, then `end`.
            let rest = try await events(of: server.followLogs(id, lastEventID: resumeFrom))
            #expect(rest.last?.event == "end")
            let logged = try await pageThroughLog(server, id, limit: 1000)
            #expect((seen + rest.dropLast()).map(\.id) == logged.map { String($0.offset) })
            #expect(try (seen + rest.dropLast()).map { try $0.decode(StreamedLine.self).line } == logged.map(\.line))
            #expect(rest.first?.id.flatMap { Int64($0) } == logged.first { $0.offset > resumeFrom }?.offset)

            // A finished deployment's stream sends its log and `end` at once, from the start or from the middle;
            // Last-Event-ID wins over ?after= (a reconnecting EventSource keeps the original URL).
            // (`events` returning at all shows the server ends the stream after `end`; no timing is asserted: the
            // machines are shared.)
            let whole = try await events(of: server.followLogs(id))
            #expect(whole.dropLast().map(\.id) == logged.map { String($0.offset) })
            #expect(try whole.last?.decode(EndOfLog.self) == EndOfLog(state: "success", status: 1, error: nil))
            let middle = logged[logged.count / 2].offset
            let afterMiddle = try await events(of: server.followLogs(id, after: middle))
            #expect(afterMiddle.dropLast().map(\.id) == logged.filter { $0.offset > middle }.map { String($0.offset) })
            let overridden = try await events(of: server.followLogs(id, lastEventID: middle, after: 0))
            #expect(overridden.map(\.id) == afterMiddle.map(\.id))
            let atTheEnd = try await events(of: server.followLogs(id, lastEventID: try #require(logged.last).offset))
            #expect(atTheEnd.map(\.event) == ["end"])
            #expect(try await events(of: server.followLogs(id, lastEventID: Int64.max)).map(\.event) == ["end"])
        }
    }

    @Test func aFailedBuildEndsTheStreamWithItsError() async throws {
        let repository = try TemporaryGitRepository()
        try repository.write("build.sh", "echo compiling\necho 'boom' >&2\nexit 3\n")
        try repository.commit("broken")
        try await TestServer.withServer { server in
            let api = server.client
            let project = try await api.createProject(NewProjectRequest(name: "broken", repository: repository.path, buildCommand: "sh build.sh"))
            let id = try await api.deploy(projectIDs: [project.id]).deploymentIds[0]
            let streamed = try await events(of: server.followLogs(id))
            let end = try #require(streamed.last)
            #expect(end.event == "end")
            let finished = try await api.deployment(id)
            #expect(try end.decode(EndOfLog.self) == EndOfLog(state: "failed", status: 2, error: finished.error))
            #expect(finished.error?.contains("status 3") == true)
            #expect(try streamed.dropLast().map { try $0.decode(StreamedLine.self).line }.contains("boom"))
        }
    }

    @Test func aQuietBuildGetsKeepAliveCommentsEvery15Seconds() async throws {
        let repository = try TemporaryGitRepository()
        // 35 s of silence, not 17: on a loaded machine the stream may pass "before" on seconds late, and the window it
        // sees between the two lines must still hold a whole 15 s period (CI once saw none in 17 s).
        try repository.write("build.sh", "echo before\nsleep 35\necho after\nmkdir -p dist && echo ok > dist/index.html\n")
        try repository.commit("quiet")
        try await TestServer.withServer { server in
            let api = server.client
            let project = try await api.createProject(
                NewProjectRequest(name: "quiet", repository: repository.path, buildCommand: "sh build.sh", outputDir: "dist"))
            let id = try await api.deploy(projectIDs: [project.id]).deploymentIds[0]
            let response = try await server.followLogs(id)
            let items = try await withTimeout(.seconds(150), "the log stream") {
                var items: [EventStreamItem] = []
                for try await item in response.items { items.append(item) }
                return items
            }
            let marks = try items.map { item -> String in
                switch item {
                case .comment(let text): return ": " + text
                case .event(let event) where event.event == "end": return "end"
                case .event(let event): return try event.decode(StreamedLine.self).line
                }
            }
            let before = try #require(marks.firstIndex(of: "before"))
            let after = try #require(marks.firstIndex(of: "after"))
            #expect(marks[before..<after].contains(": keep-alive"))
            #expect(marks.last == "end")
        }
    }

    @Test func aServerShuttingDownClosesOpenStreamsWithoutEnd() async throws {
        let repository = try TemporaryGitRepository()
        try repository.write("build.sh", "echo started\nsleep 600\n")
        try repository.commit("long")
        // The server stops while a follower is attached to a build that would run for ten minutes: the stream must
        // not hold the shutdown up (a shutdown that waited for the build would pass the bound below by minutes, so
        // a busy machine cannot fail this). It closes without `end`, so a client would resume with Last-Event-ID.
        let response = try await withTimeout(.seconds(180), "the shutdown") {
            try await TestServer.withServer { server in
                let api = server.client
                let project = try await api.createProject(NewProjectRequest(name: "long", repository: repository.path, buildCommand: "sh build.sh"))
                let id = try await api.deploy(projectIDs: [project.id]).deploymentIds[0]
                let response = try await server.followLogs(id)
                #expect(response.status == 200)
                return response
            }
        }
        let events = try await events(of: response)
        #expect(!events.contains { $0.event == "end" })
    }

    @Test func jsonPagesWithAfterCoverTheLogWithoutGapsOrRepeats() async throws {
        let site = try makeSlowSite(lines: 30, pause: "0")
        try await TestServer.withServer { server in
            let api = server.client
            let project = try await api.createProject(
                NewProjectRequest(name: "pages", repository: site.path, buildCommand: "sh build.sh", outputDir: "dist"))
            let id = try await api.deploy(projectIDs: [project.id]).deploymentIds[0]
            #expect(try await api.waitForDeployment(id).state == "success")

            let whole = try await page(server, id, after: 0, limit: 10_000)
            #expect(whole.total == whole.data.count)
            #expect(whole.state == "success")
            #expect(whole.data.filter { $0.stream == "stdout" }.count == 31)
            #expect(try await page(server, id, after: whole.nextOffset, limit: 10).data.isEmpty)
            let beyond = try await page(server, id, after: Int64.max, limit: 10)
            #expect(beyond.data.isEmpty && beyond.nextOffset == Int64.max)

            // Pages of 7 lines: each starts right after the previous page's next_offset and ends at its own.
            let paged = try await pageThroughLog(server, id, limit: 7)
            #expect(paged == whole.data)
            #expect(zip(paged, paged.dropFirst()).allSatisfy { $0.offset < $1.offset })

            // The event stream is the same log again.
            let streamed = try await events(of: server.followLogs(id)).dropLast()
            #expect(streamed.map(\.id) == whole.data.map { String($0.offset) })
        }
    }

    @Test func aLogOfSeveralMegabytesIsReadInChunksWithoutLosingALine() async throws {
        // 20,000 lines (about 2.5 MB of log: many 64 KiB reads, and more than the 1 MiB a read returns at most),
        // a 16,000-character line and a line of control characters that each escape to six bytes.
        let repository = try TemporaryGitRepository()
        try repository.write(
            "build.sh",
            """
            seq 1 20000 | sed 's/^/a line with some padding to make the log longer: /'
            head -c 16000 /dev/zero | tr '\\0' x; echo
            head -c 3000 /dev/zero | tr '\\0' '\\001'; echo
            mkdir -p dist && echo ok > dist/index.html
            """
        )
        try repository.commit("loud")
        try await TestServer.withServer { server in
            let api = server.client
            let project = try await api.createProject(
                NewProjectRequest(name: "loud", repository: repository.path, buildCommand: "sh build.sh", outputDir: "dist"))
            let id = try await api.deploy(projectIDs: [project.id]).deploymentIds[0]
            let streamed = try await events(of: server.followLogs(id))
            #expect(try streamed.last?.decode(EndOfLog.self).state == "success")

            // A page asked for 10,000 lines stops at about 1 MiB; paging on from next_offset still gets everything.
            let first = try await page(server, id, after: 0, limit: 10_000)
            #expect(first.data.count > 1000 && first.data.count < 10_000)
            let logged = try await pageThroughLog(server, id, limit: 10_000)
            let printed = logged.filter { $0.stream == "stdout" }.map(\.line)
            let expected =
                (1...20_000).map { "a line with some padding to make the log longer: \($0)" }
                + [String(repeating: "x", count: 16_000), String(repeating: "\u{01}", count: 3000)]
            #expect(printed == expected)

            // The stream sent the same lines with the same ids.
            #expect(streamed.dropLast().map(\.id) == logged.map { String($0.offset) })
            #expect(try streamed.dropLast().map { try $0.decode(StreamedLine.self).line } == logged.map(\.line))
        }
    }

    @Test func badFollowRequestsAreRefusedBeforeTheStreamStarts() async throws {
        let repository = try TemporaryGitRepository()
        try repository.write("index.html", "<h1>hi</h1>")
        try repository.commit("site")
        try await TestServer.withServer { server in
            let api = server.client
            let project = try await api.createProject(NewProjectRequest(name: "plain", repository: repository.path))
            let id = try await api.deploy(projectIDs: [project.id]).deploymentIds[0]
            _ = try await api.waitForDeployment(id)
            let stream = [("Accept", "text/event-stream")]

            let (badID, badIDBody) = try await api.raw(.GET, "/api/v1/deployments/\(id)/logs", headers: stream + [("Last-Event-ID", "abc")])
            #expect(badID == 422)
            #expect(String(decoding: badIDBody, as: UTF8.self).contains("Last-Event-ID"))
            #expect(try await api.raw(.GET, "/api/v1/deployments/999999/logs", headers: stream).0 == 404)
            #expect(try await api.raw(.GET, "/api/v1/deployments/\(id)/logs?after=-1", headers: stream).0 == 422)

            let otherToken = try await server.createWorkspace("other")
            let other = server.client(token: otherToken)
            #expect(try await other.raw(.GET, "/api/v1/deployments/\(id)/logs", headers: stream).0 == 404)
            let anonymous = try await EventStreamClient().open(server.baseURL + "/api/v1/deployments/\(id)/logs")
            #expect(anonymous.status == 401)

            // Without text/event-stream in Accept (or with q=0) the answer is JSON.
            let (status, body) = try await api.raw(
                .GET, "/api/v1/deployments/\(id)/logs", headers: [("Accept", "text/event-stream;q=0, application/json")])
            #expect(status == 200)
            #expect(String(decoding: body, as: UTF8.self).hasPrefix("{"))
        }
    }

    /// Every event of a stream until the server closes it (comments left out).
    func events(of response: EventStreamResponse) async throws -> [ServerSentEvent] {
        #expect(response.status == 200)
        return try await withTimeout(.seconds(60), "the log stream") {
            var events: [ServerSentEvent] = []
            for try await item in response.items {
                if case .event(let event) = item { events.append(event) }
            }
            return events
        }
    }

    /// One JSON page of the log.
    func page(_ server: TestServer, _ id: Int64, after: Int64, limit: Int) async throws -> LogPageInfo {
        let (status, data) = try await server.client.raw(.GET, "/api/v1/deployments/\(id)/logs?after=\(after)&limit=\(limit)")
        #expect(status == 200)
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(LogPageInfo.self, from: data)
    }

    /// The whole log by JSON pages of `limit` lines, checking that each page continues where the last one stopped.
    func pageThroughLog(_ server: TestServer, _ id: Int64, limit: Int) async throws -> [LogPageInfo.Line] {
        var lines: [LogPageInfo.Line] = []
        var offset: Int64 = 0
        while true {
            let page = try await page(server, id, after: offset, limit: limit)
            #expect(page.total == page.data.count)
            #expect(page.data.count <= limit)
            if page.data.isEmpty {
                #expect(page.nextOffset == offset)
                return lines
            }
            #expect(page.data.first!.offset > offset)
            #expect(page.nextOffset == page.data.last!.offset)
            lines += page.data
            offset = page.nextOffset
        }
    }
}
