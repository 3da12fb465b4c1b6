import AsyncHTTPClient
import Foundation
import NIOHTTP1
import SlipwayClient
import SlipwayTesting
import Testing

/// The log API's line numbers and filters (docs/logs.md "Line numbers", "Filters") and the dashboard's download of a
/// whole log (docs/dashboard.md), over HTTP against a real build's log, checked against the log read page by page.
@Suite struct LogLineNumberTests {
    /// A numbered page as the API answers it (the OpenAPI document's schema is checked by the client too).
    struct NumberedPage: Decodable {
        struct Line: Decodable {
            var line: String
            var stream: String
            var offset: Int64
            var number: Int
        }
        var data: [Line]
        var total: Int
        var nextOffset: Int64
        var lines: Int
    }

    /// A build of 5,000 lines of `seq`, with an error on stderr at line 3,000 of its output and a coloured
    /// `ERROR` after it.
    static func makeSite() throws -> TemporaryGitRepository {
        let site = try TemporaryGitRepository()
        try site.write(
            "build.sh",
            """
            mkdir -p dist
            echo '<h1>numbered</h1>' > dist/index.html
            seq 1 2999
            echo 'first trouble: no such file' >&2
            seq 3001 4000
            printf '\\033[31mERROR\\033[0m later, in upper case\\n'
            seq 4002 5000

            """)
        _ = try site.commit("numbered lines")
        return site
    }

    /// Every line of the log with the API's plain paging by offset (the reference the numbered answers must match).
    static func allLines(_ api: SlipwayClient, _ id: Int64) async throws -> [LogPageInfo.Line] {
        var lines: [LogPageInfo.Line] = []
        var offset: Int64 = 0
        while true {
            let page = try await api.logs(id, after: offset)
            if page.data.isEmpty { return lines }
            lines += page.data
            offset = page.nextOffset
        }
    }

    static func status(of call: () async throws -> NumberedPage) async -> Int? {
        do {
            _ = try await call()
            return 200
        } catch let error as ClientError {
            return error.status
        } catch {
            return nil
        }
    }

    @Test func linesAreFoundByNumberAndFilteredOnTheServer() async throws {
        let site = try Self.makeSite()
        try await TestServer.withServer { server in
            let api = server.client
            let project = try await api.createProject(
                NewProjectRequest(name: "numbered", repository: site.path, buildCommand: "sh build.sh", outputDir: "dist"))
            let id = try await api.deploy(projectIDs: [project.id]).deploymentIds[0]
            #expect(try await api.waitForDeployment(id).state == "success")
            let all = try await Self.allLines(api, id)
            #expect(all.count > 5_000)
            let path = "/api/v1/deployments/\(id)/logs"

            // By number: every line carries its number, and the answer the log's line count.
            let first: NumberedPage = try await api.send(.GET, path + "?line=1&limit=3")
            #expect(first.data.map(\.number) == [1, 2, 3])
            #expect(first.data.map(\.offset) == all.prefix(3).map(\.offset))
            #expect(first.lines == all.count && first.total == 3)
            for number in [2, 1_023, 1_024, 1_025, 2_049, all.count] {
                let page: NumberedPage = try await api.send(.GET, path + "?line=\(number)&limit=2")
                let line = try #require(page.data.first)
                #expect(line.number == number && line.offset == all[number - 1].offset && line.line == all[number - 1].line, "line \(number)")
            }
            let past: NumberedPage = try await api.send(.GET, path + "?line=\(all.count + 1)")
            #expect(past.data.isEmpty && past.lines == all.count && past.nextOffset == all[all.count - 1].offset)
            // A whole page numbered on from its first line.
            let middle: NumberedPage = try await api.send(.GET, path + "?line=2500&limit=1000")
            #expect(middle.data.map(\.number) == Array(2_500..<3_500))
            #expect(middle.data.map(\.line) == all[2_499..<3_499].map(\.line))

            // Filtered: the lines containing the text, in any case, each with its number.
            let expected = all.enumerated().filter { $0.element.line.lowercased().contains("error") }.map { $0.offset + 1 }
            #expect(expected.count == 1)
            let errorText: NumberedPage = try await api.send(.GET, path + "?contains=eRRoR")
            #expect(errorText.data.map(\.number) == expected)
            #expect(errorText.data.first?.line == "\u{1B}[31mERROR\u{1B}[0m later, in upper case")
            let fours: NumberedPage = try await api.send(.GET, path + "?contains=444&limit=2")
            let expectedFours = all.enumerated().filter { $0.element.line.contains("444") }.map { $0.offset + 1 }
            #expect(fours.data.map(\.number) == Array(expectedFours.prefix(2)))
            // … and on from where the last page stopped.
            let moreFours: NumberedPage = try await api.send(.GET, path + "?contains=444&limit=100&after=\(fours.nextOffset)")
            #expect(moreFours.data.map(\.number) == Array(expectedFours.dropFirst(2)))
            let done: NumberedPage = try await api.send(.GET, path + "?contains=444&after=\(moreFours.nextOffset)")
            #expect(done.data.isEmpty && done.nextOffset == moreFours.nextOffset)

            // The first error: the first line on stderr or saying error or fail.
            let firstError: NumberedPage = try await api.send(.GET, path + "?errors=true&limit=1")
            let expectedError = try #require(
                all.firstIndex { $0.stream == "stderr" || $0.line.lowercased().contains("error") || $0.line.lowercased().contains("fail") })
            #expect(firstError.data.first?.number == expectedError + 1)
            #expect(firstError.data.first?.line == "first trouble: no such file" && firstError.data.first?.stream == "stderr")

            // Bad input names its field.
            #expect(await Self.status { try await api.send(.GET, path + "?line=0") } == 422)
            #expect(await Self.status { try await api.send(.GET, path + "?line=2&after=0") } == 422)
            #expect(await Self.status { try await api.send(.GET, path + "?contains=" + String(repeating: "x", count: 201)) } == 422)
            #expect(await Self.status { try await api.send(.GET, path + "?contains=") } == 422)
            #expect(await Self.status { try await api.send(.GET, path + "?errors=maybe") } == 422)
        }
    }

    @Test func theDashboardDownloadsTheWholeLogAsTextForAnyMember() async throws {
        let site = try Self.makeSite()
        try await TestServer.withServer { server in
            let api = server.client
            let viewerPassword = try await DashboardTests.member(server, "victor", role: "viewer")
            let project = try await api.createProject(
                NewProjectRequest(name: "numbered", repository: site.path, buildCommand: "sh build.sh", outputDir: "dist"))
            let id = try await api.deploy(projectIDs: [project.id]).deploymentIds[0]
            let deployment = try await api.waitForDeployment(id)
            let all = try await Self.allLines(api, id)
            try await DashboardTests.withClient { client in
                let visitor = DashboardTests.Visitor(server, client)
                // Not logged in: the login page, as for the deployment page.
                let anonymous = try await visitor.send(.GET, "/deployments/\(id)/log")
                #expect(anonymous.status == 303 && anonymous.location == "/login?next=/deployments/\(id)/log")
                _ = try await visitor.logIn("victor", viewerPassword)
                let page = try await visitor.send(.GET, "/deployments/\(id)/log")
                #expect(page.status == 200)
                #expect(page.headers.first(name: "Content-Type") == "text/plain; charset=utf-8")
                #expect(
                    page.headers.first(name: "Content-Disposition") == "attachment; filename=\"numbered-\(deployment.sequenceNumber).log\"")
                #expect(page.body == all.map { $0.line + "\n" }.joined())
                #expect(page.body.contains("\nfirst trouble: no such file\n") && page.body.contains("\n4999\n5000\n"))
                // The deployment page links to it.
                let html = try await visitor.send(.GET, "/deployments/\(id)")
                #expect(html.body.contains("href=\"/deployments/\(id)/log\""))
                #expect(try await visitor.send(.GET, "/deployments/999999/log").status == 404)
            }
        }
    }
}
