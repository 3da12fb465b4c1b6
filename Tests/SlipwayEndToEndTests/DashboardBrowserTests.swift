import Foundation
import SlipwayClient
import SlipwayTesting
import Testing

/// The dashboard in headless Chromium against a real server with real builds (docs/dashboard.md): log in, create a
/// project, deploy and watch the stages and the log arrive live, cancel a running build, a viewer offered nothing and
/// refused when forging, a form without its token refused; screenshots of the main pages, light and dark, written to
/// `SLIPWAY_SCREENSHOTS` (default `.build/screenshots`).
@Suite(.enabled(if: HeadlessBrowser.isAvailable, "needs Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver)"))
struct DashboardBrowserTests {
    static var screenshots: String {
        ProcessInfo.processInfo.environment["SLIPWAY_SCREENSHOTS"] ?? FileManager.default.currentDirectoryPath + "/.build/screenshots"
    }

    /// Light and dark screenshots of the page shown, as `NAME-light.png` and `NAME-dark.png`.
    static func screenshots(_ browser: HeadlessBrowser, _ name: String) async throws {
        for dark in [false, true] {
            try await browser.emulateColorScheme(dark: dark)
            try await browser.screenshot(to: "\(screenshots)/\(name)-\(dark ? "dark" : "light").png")
        }
        try await browser.emulateColorScheme(dark: false)
    }

    /// Submits the form of the button `selector` and accepts its confirmation.
    static func confirm(_ browser: HeadlessBrowser, _ selector: String) async throws {
        try await browser.click(selector)
        try await browser.acceptDialog()
    }

    @Test func aTeamDeploysWatchesCancelsAndAViewerIsOfferedNothing() async throws {
        let site = try TemporaryGitRepository()
        try site.write(
            "build.sh",
            """
            mkdir -p dist
            echo '<h1>hello</h1>' > dist/index.html
            for i in 1 2 3; do printf '\\033[32mstep %s\\033[0m of the build\\n' $i; sleep 0.3; done
            printf '\\033[1;31mwarning:\\033[0m nothing is wrong\\n'
            if [ -f slow.txt ]; then echo waiting for ever; sleep 120; fi

            """)
        _ = try site.commit("a site")
        try site.checkoutNewBranch("slow")
        try site.write("slow.txt", "slow\n")
        _ = try site.commit("a slow build")
        try site.checkout("main")

        try await TestServer.withServer { server in
            let adminPassword = try await DashboardTests.member(server, "alice", role: "admin")
            let viewerPassword = try await DashboardTests.member(server, "victor", role: "viewer")
            try await HeadlessBrowser.withBrowser { browser in
                let base = server.baseURL
                // Logged out, a page sends the browser to the login form and back.
                try await browser.open(base + "/")
                #expect(try await browser.currentURL() == base + "/login")
                try await Self.screenshots(browser, "login")
                try await browser.type("#login", "alice")
                try await browser.type("#password", adminPassword)
                try await browser.click("form[action='/login'] button[type=submit]")
                #expect(try await browser.wait(until: "return document.querySelector('#create-project') !== null"))

                // A project with an invalid name first: the API's message beside the field.
                try await browser.type("#field-name", "Not A Label")
                try await browser.type("#field-repository", site.path)
                try await browser.click("#create-project button[type=submit]")
                #expect(try await browser.wait(until: "return document.querySelector('#error-name') !== null"))
                try await Self.screenshots(browser, "projects-invalid")
                try await browser.type("#field-name", "web")
                try await browser.type("#field-build_command", "sh build.sh")
                try await browser.type("#field-output_dir", "dist")
                try await browser.click("#create-project button[type=submit]")
                #expect(try await browser.wait(until: "return location.pathname === '/projects/web'"))

                // Deploy main and watch it: the page is not reloaded while the lines and the stages arrive.
                try await browser.click("#deploy-form button[type=submit]")
                #expect(try await browser.wait(until: "return location.pathname.startsWith('/deployments/')"))
                try await browser.run("window.slipwayTestMarker = 'same page'")
                #expect(
                    try await browser.wait(
                        until: "return document.querySelector('#log').textContent.includes('warning: nothing is wrong')"))
                #expect(try await browser.wait(until: "return document.querySelector('#state').dataset.state === 'success'"))
                #expect(try await browser.run("return window.slipwayTestMarker") as? String == "same page")
                let stages = try await browser.run(
                    "return [...document.querySelectorAll('#stages li')].map(s => s.dataset.stage + ':' + s.dataset.status)")
                #expect((stages as? [String])?.contains("build:success") == true, "\(stages ?? "none")")
                // ANSI colours became spans.
                // (The viewer renders the rows on screen: the wait lets it draw the last lines it was sent.)
                let ansiDrawn = try await browser.wait(
                    until: "return document.querySelectorAll('#log span.ansi-2').length === 3", limit: .seconds(20))
                let rowsShown = try await browser.run("return [...document.querySelectorAll('#log .line')].map(row => row.innerHTML)")
                #expect(ansiDrawn, "\(rowsShown ?? "none")")
                #expect(try await browser.run("return document.querySelector('#log span.ansi-1.ansi-bold').textContent") as? String == "warning:")
                try await Self.screenshots(browser, "deployment-success")
                let firstDeployment = try await browser.currentURL()

                // Deploy the slow branch, see it run, cancel it from its page, see it end.
                try await browser.open(base + "/projects/web")
                try await browser.type("#deploy-branch", "slow")
                try await browser.click("#deploy-form button[type=submit]")
                #expect(try await browser.wait(until: "return document.querySelector('#log').textContent.includes('waiting for ever')"))
                #expect(try await browser.wait(until: "return document.querySelector('#action-cancel') !== null"))
                try await Self.screenshots(browser, "deployment-running")
                let running = try await browser.currentURL()
                try await Self.confirm(browser, "#action-cancel")
                #expect(try await browser.wait(until: "return document.querySelector('#state')?.dataset.state === 'canceled'"))
                #expect(try await browser.run("return document.querySelector('#action-cancel') === null") as? Bool == true)

                try await browser.open(base + "/projects/web")
                try await Self.screenshots(browser, "project")
                try await browser.open(base + "/")
                try await Self.screenshots(browser, "projects")
                try await browser.resize(width: 390, height: 844)
                try await browser.open(running)
                try await Self.screenshots(browser, "deployment-phone")
                try await browser.resize(width: 1280, height: 900)

                // A form posted without the token, or with a wrong one, is refused (from the page itself).
                let refusals = try await browser.runAsync(
                    """
                    const post = body => fetch(location.pathname + '/rerun', {method: 'POST', body: new URLSearchParams(body)}).then(r => r.status);
                    return [await post({}), await post({csrf: 'wrong'})];
                    """)
                #expect(refusals as? [Int] == [403, 403], "\(refusals ?? "none")")

                // The viewer: no action buttons, no deploy form, and their own forged form refused.
                try await browser.click("form[action='/logout'] button[type=submit]")
                #expect(try await browser.wait(until: "return location.pathname === '/login'"))
                try await browser.type("#login", "victor")
                try await browser.type("#password", viewerPassword)
                try await browser.click("form[action='/login'] button[type=submit]")
                #expect(try await browser.wait(until: "return document.querySelector('#projects') !== null"))
                try await browser.open(running)
                #expect(try await browser.wait(until: "return document.querySelector('#state').dataset.state === 'canceled'"))
                #expect(try await browser.run("return document.querySelectorAll('#actions form, #deploy-form').length") as? Int == 0)
                let forged = try await browser.runAsync(
                    """
                    const csrf = document.querySelector('input[name=csrf]').value;
                    const response = await fetch(location.pathname + '/rerun', {method: 'POST', body: new URLSearchParams({csrf})});
                    return response.status;
                    """)
                #expect(forged as? Int == 403)
                try await browser.open(firstDeployment)
                #expect(try await browser.run("return document.querySelectorAll('#actions form').length") as? Int == 0)
                try await Self.screenshots(browser, "deployment-viewer")
            }
        }
    }
}
