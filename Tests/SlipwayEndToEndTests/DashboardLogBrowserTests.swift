import Foundation
import NIOHTTP1
import SlipwayClient
import SlipwayServer
import SlipwayTesting
import Testing

/// The deployment page in headless Chromium against a real server with real builds (docs/dashboard.md): rerun a
/// failed deployment, roll back to one of the candidates offered, promote a preview; a 1,000,000-line log that opens,
/// scrolls to the top, the middle and the end, filters, jumps to its first error and follows new lines, with the
/// page's element count bounded all along.
@Suite(.enabled(if: HeadlessBrowser.isAvailable, "needs Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver)"))
struct DashboardLogBrowserTests {
    /// Logs `login` in through the form.
    static func logIn(_ browser: HeadlessBrowser, _ server: TestServer, _ login: String, _ password: String) async throws {
        try await browser.open(server.baseURL + "/login")
        try await browser.type("#login", login)
        try await browser.type("#password", password)
        try await browser.click("form[action='/login'] button[type=submit]")
        #expect(try await browser.wait(until: "return document.querySelector('#projects, #create-project') !== null"))
    }

    /// The deployment id of the page shown.
    static func shownDeployment(_ browser: HeadlessBrowser) async throws -> Int64 {
        let path = try await browser.run("return location.pathname") as? String ?? ""
        return try #require(Int64(path.dropFirst("/deployments/".count)), "not a deployment page: \(path)")
    }

    /// Waits for the page to leave deployment `id` for another deployment's page; returns the new one's id.
    static func waitForAnotherDeployment(_ browser: HeadlessBrowser, than id: Int64) async throws -> Int64 {
        #expect(
            try await browser.wait(
                until: "return location.pathname.startsWith('/deployments/') && location.pathname !== '/deployments/\(id)'"))
        return try await shownDeployment(browser)
    }

    @Test func aFailedOneIsRerunProductionRollsBackToACandidateAndAPreviewIsPromoted() async throws {
        let site = try TemporaryGitRepository()
        try site.write(
            "build.sh",
            """
            mkdir -p dist
            cp version.txt dist/index.html
            if [ -f broken.txt ]; then echo 'the build is broken' >&2; exit 3; fi

            """)
        try site.write("version.txt", "one\n")
        _ = try site.commit("version one")
        try await TestServer.withServer { server in
            let api = server.client
            let password = try await DashboardTests.member(server, "alice", role: "admin")
            let project = try await api.createProject(
                NewProjectRequest(name: "web", repository: site.path, buildCommand: "sh build.sh", outputDir: "dist"))
            let first = try await api.deploy(projectIDs: [project.id]).deploymentIds[0]
            #expect(try await api.waitForDeployment(first).state == "success")
            try site.write("version.txt", "two\n")
            _ = try site.commit("version two")
            let second = try await api.deploy(projectIDs: [project.id]).deploymentIds[0]
            #expect(try await api.waitForDeployment(second).state == "success")
            try site.checkoutNewBranch("broken")
            try site.write("broken.txt", "yes\n")
            _ = try site.commit("a broken build")
            try site.checkout("main")
            try site.checkoutNewBranch("feature")
            try site.write("version.txt", "feature\n")
            _ = try site.commit("a feature")
            try site.checkout("main")

            try await HeadlessBrowser.withBrowser { browser in
                try await Self.logIn(browser, server, "alice", password)

                // Rerun a failed deployment: a new deployment of the same commit, triggered `rerun`.
                try await browser.open(server.baseURL + "/projects/web")
                try await browser.type("#deploy-branch", "broken")
                try await browser.click("#deploy-form button[type=submit]")
                #expect(try await browser.wait(until: "return location.pathname.startsWith('/deployments/')"))
                let failed = try await Self.shownDeployment(browser)
                #expect(try await browser.wait(until: "return document.querySelector('#state').dataset.state === 'failed'"))
                #expect(try await browser.wait(until: "return document.querySelector('#action-rerun') !== null"))
                try await browser.click("#action-rerun")
                let rerun = try await Self.waitForAnotherDeployment(browser, than: failed)
                #expect(try await browser.wait(until: "return document.querySelector('#state').dataset.state === 'failed'"))
                let rerunInfo = try await api.deployment(rerun)
                let failedInfo = try await api.deployment(failed)
                #expect(rerunInfo.trigger == "rerun" && rerunInfo.commitId == failedInfo.commitId)
                // The viewer shows the rerun's log as the API has it, to its last line.
                #expect(try await browser.wait(until: "return document.querySelector('#log').dataset.ended === 'failed'"))
                let rerunLog = try await LogLineNumberTests.allLines(api, rerun)
                let lastLine = try #require(rerunLog.last?.line)
                let shown = try await browser.run("return [...document.querySelectorAll('#log .line')].map(row => row.textContent)") as? [String]
                #expect(shown?.contains(lastLine) == true, "\(shown ?? []) lacks \(lastLine)")
                #expect(rerunLog.contains { $0.line == "the build is broken" }, "\(rerunLog.map(\.line))")

                // Roll back: the active production deployment's page offers the earlier one.
                try await browser.open(server.baseURL + "/deployments/\(second)")
                #expect(try await browser.wait(until: "return document.querySelector('#rollback-candidates') !== null"))
                let offered = try await browser.run(
                    "return [...document.querySelectorAll('#rollback-candidates li')].map(li => Number(li.dataset.deployment))")
                #expect(offered as? [Int] == [Int(first)], "\(offered ?? "none")")
                try await browser.click("#rollback-to-\(first)")
                try await browser.acceptDialog()
                let rollback = try await Self.waitForAnotherDeployment(browser, than: second)
                #expect(try await browser.wait(until: "return document.querySelector('#state').dataset.state === 'success'"))
                #expect(try await api.deployment(rollback).trigger == "rollback")
                #expect(try await api.project("web").productionDeploymentId == rollback)
                #expect(try await server.edge("web").body == "one\n")
                // The rollback's own page offers both earlier ones, newest first.
                #expect(try await browser.wait(until: "return document.querySelectorAll('#rollback-candidates li').length === 2"))

                // Promote a preview: a new production deployment of the preview's build.
                try await browser.open(server.baseURL + "/projects/web")
                try await browser.type("#deploy-branch", "feature")
                try await browser.click("#deploy-form button[type=submit]")
                #expect(try await browser.wait(until: "return location.pathname.startsWith('/deployments/')"))
                let preview = try await Self.shownDeployment(browser)
                #expect(try await browser.wait(until: "return document.querySelector('#state').dataset.state === 'success'"))
                #expect(try await api.deployment(preview).environment == "preview")
                #expect(try await browser.wait(until: "return document.querySelector('#action-promote') !== null"))
                try await browser.click("#action-promote")
                try await browser.acceptDialog()
                let promoted = try await Self.waitForAnotherDeployment(browser, than: preview)
                #expect(try await browser.wait(until: "return document.querySelector('#state').dataset.state === 'success'"))
                let promotedInfo = try await api.deployment(promoted)
                #expect(promotedInfo.trigger == "promote" && promotedInfo.environment == "production")
                #expect(try await api.project("web").productionDeploymentId == promoted)
                #expect(try await server.edge("web").body == "feature\n")
            }
        }
    }

    /// The page's element count, which the windowed viewer keeps bounded whatever the log's length.
    static func elementCount(_ browser: HeadlessBrowser) async throws -> Int {
        try #require(try await browser.run("return document.getElementsByTagName('*').length") as? Int)
    }

    /// The rows on screen as (line number, text) pairs.
    static let shownRows = """
        return [...document.querySelectorAll('#log .line[data-number]')].map(row => [Number(row.dataset.number), row.textContent]);
        """

    /// The most elements the page may hold with the log open: its own parts and one screen of rows.
    static let elementLimit = 1_000

    @Test func aMillionLineLogOpensScrollsFiltersJumpsAndFollowsWithBoundedElements() async throws {
        let site = try TemporaryGitRepository()
        try site.write(
            "build.sh",
            """
            mkdir -p dist
            echo '<h1>long</h1>' > dist/index.html
            seq 1 500000
            echo 'boom: something failed here' >&2
            seq 500001 1000000
            touch waiting
            while [ ! -e go ]; do sleep 0.1; done
            echo 'a line after the million'

            """)
        _ = try site.commit("a long log")
        try await TestServer.withServer(configure: { $0.logCap = 512 * 1024 * 1024 }) { server in
            let api = server.client
            let password = try await DashboardTests.member(server, "alice", role: "admin")
            let project = try await api.createProject(
                NewProjectRequest(name: "long", repository: site.path, buildCommand: "sh build.sh", outputDir: "dist"))
            let id = try await api.deploy(projectIDs: [project.id]).deploymentIds[0]
            // The build has written its million lines when it touches `waiting` in its work directory, then waits for `go`.
            let waiting = try await Self.waitForFile(named: "waiting", under: server.dataDirectory + "/work")

            try await HeadlessBrowser.withBrowser { browser in
                try await Self.logIn(browser, server, "alice", password)
                try await browser.open(server.baseURL + "/deployments/\(id)")
                // It opens at the end, knowing every line.
                #expect(try await browser.wait(until: "return Number(document.querySelector('#log').dataset.lines) >= 1000000"))
                #expect(
                    try await browser.wait(
                        until: "return [...document.querySelectorAll('#log .line')].some(row => row.textContent === '1000000')"))
                let atEnd = try await Self.elementCount(browser)
                #expect(atEnd < Self.elementLimit, "\(atEnd) elements at the end")

                // The top: line 1 is Slipway's first line; the build's `1` comes a few lines later.
                try await browser.run("document.querySelector('#log').scrollTop = 0")
                #expect(
                    try await browser.wait(
                        until: "return [...document.querySelectorAll('#log .line')].some(row => row.textContent === '1')"))
                let top = try #require(try await browser.run(Self.shownRows) as? [[Any]])
                let firstRow = try #require(top.first)
                #expect(firstRow[0] as? Int == 1 && (firstRow[1] as? String)?.contains("started") == true, "\(firstRow)")
                let seqStart = try #require(top.first { $0[1] as? String == "1" }?[0] as? Int)
                #expect(try await Self.elementCount(browser) < Self.elementLimit)

                // The middle: every row shows its own line (the build's number n is line n + seqStart - 1 before the
                // stderr line, n + seqStart after it).
                try await browser.run(
                    "const log = document.querySelector('#log'); log.scrollTop = (log.scrollHeight - log.clientHeight) / 2")
                #expect(
                    try await browser.wait(
                        until: """
                            const rows = [...document.querySelectorAll('#log .line[data-number]')];
                            return rows.length > 10 && rows.every(row => row.textContent !== '' && !row.classList.contains('pending'))
                              && Number(rows[0].dataset.number) > 400000 && Number(rows[0].dataset.number) < 600000;
                            """))
                // stdout and stderr are read apart, so where the stderr line falls among the numbers is asked of the API.
                // A filtered page looks at 100,000 lines at most: asked on from where it stopped.
                var foundBoom: Int?
                var after: Int64 = 0
                while foundBoom == nil {
                    let boom: LogLineNumberTests.NumberedPage = try await api.send(
                        .GET, "/api/v1/deployments/\(id)/logs?contains=boom&limit=1&after=\(after)")
                    foundBoom = boom.data.first?.number
                    if boom.nextOffset == after { break }
                    after = boom.nextOffset
                }
                let boomNumber = try #require(foundBoom)
                let middle = try #require(try await browser.run(Self.shownRows) as? [[Any]])
                for row in middle {
                    let number = try #require(row[0] as? Int)
                    let text = try #require(row[1] as? String)
                    if number == boomNumber {
                        #expect(text == "boom: something failed here")
                    } else {
                        #expect(text == String(number - seqStart + (number < boomNumber ? 1 : 0)), "line \(number)")
                    }
                }
                let inMiddle = try await Self.elementCount(browser)
                #expect(inMiddle < Self.elementLimit, "\(inMiddle) elements in the middle")

                // The filter: only lines containing the text, found by the server.
                try await browser.type("#log-filter", "99999")
                #expect(
                    try await browser.wait(until: "return document.querySelector('#log-status').textContent.includes('lines contain')"))
                let filtered = try #require(try await browser.run(Self.shownRows) as? [[Any]])
                #expect(filtered.count > 5 && filtered.allSatisfy { ($0[1] as? String)?.contains("99999") == true }, "\(filtered)")
                #expect(filtered.first?[1] as? String == "99999")
                #expect(try await Self.elementCount(browser) < Self.elementLimit)

                // Jump to the first error: the stderr line, highlighted, in the whole log again.
                try await browser.click("#log-first-error")
                #expect(
                    try await browser.wait(
                        until: "return document.querySelector('#log .line.hit')?.textContent === 'boom: something failed here'"))
                #expect(try await browser.run("return document.querySelector('#log-filter').value") as? String == "")
                let errorNumber = try await browser.run("return Number(document.querySelector('#log .line.hit').dataset.number)") as? Int
                #expect(errorNumber == boomNumber)

                // The end, following: a line written now arrives without a reload.
                try await browser.run("window.slipwayTestMarker = 'same page'")
                try await browser.click("#log-end")
                #expect(
                    try await browser.wait(
                        until: "return [...document.querySelectorAll('#log .line')].some(row => row.textContent === '1000000')"))
                try Data().write(to: URL(fileURLWithPath: waiting).deletingLastPathComponent().appendingPathComponent("go"))
                #expect(
                    try await browser.wait(
                        until: "return [...document.querySelectorAll('#log .line')].some(row => row.textContent === 'a line after the million')"))
                #expect(try await browser.wait(until: "return document.querySelector('#log').dataset.ended === 'success'"))
                #expect(try await browser.run("return window.slipwayTestMarker") as? String == "same page")
                let followed = try await Self.elementCount(browser)
                #expect(followed < Self.elementLimit, "\(followed) elements after following")
                try await DashboardBrowserTests.screenshots(browser, "deployment-million-lines")
            }
            #expect(try await api.waitForDeployment(id).state == "success")
        }
    }

    /// A file the build should have written did not appear.
    struct NoSuchFile: Error, CustomStringConvertible {
        var description: String
    }

    /// Waits (bounded) for a file the build writes in its work directory; returns its path.
    static func waitForFile(named name: String, under directory: String) async throws -> String {
        for _ in 0..<3_000 {
            if let found = FileManager.default.enumerator(atPath: directory)?.compactMap({ $0 as? String }).first(where: {
                ($0 as NSString).lastPathComponent == name
            }) {
                return directory + "/" + found
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw NoSuchFile(description: "no file \(name) appeared under \(directory)")
    }
}
