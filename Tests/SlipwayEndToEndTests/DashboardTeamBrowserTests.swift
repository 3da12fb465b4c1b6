import Foundation
import NIOHTTP1
import SlipwayClient
import SlipwayTesting
import Testing

/// The dashboard's team pages in headless Chromium against a real server (docs/dashboard.md): logging in with a pasted
/// API token, making a token and seeing it once, inviting someone; screenshots of the queue, tokens, members and
/// administration pages, light and dark, next to `DashboardBrowserTests`' (`SLIPWAY_SCREENSHOTS`, default
/// `.build/screenshots`).
@Suite(.enabled(if: HeadlessBrowser.isAvailable, "needs Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver)"))
struct DashboardTeamBrowserTests {
    @Test func anAdministratorLogsInWithATokenMakesATokenSeenOnceAndInvites() async throws {
        let site = try TemporaryGitRepository()
        try site.write("build.sh", "echo building; sleep 120\n")
        _ = try site.commit("a slow build")
        try await TestServer.withServer { server in
            _ = try await DashboardTests.member(server, "olga", role: "developer")
            let project = try await server.client.createProject(NewProjectRequest(name: "slow", repository: site.path, buildCommand: "sh build.sh"))
            let first = try #require(try await server.client.deploy(projectIDs: [project.id]).deploymentIds.first)
            let second = try #require(try await server.client.deploy(projectIDs: [project.id]).deploymentIds.first)
            try await HeadlessBrowser.withBrowser { browser in
                let base = server.baseURL
                try await browser.open(base + "/queue")
                #expect(try await browser.currentURL() == base + "/login?next=/queue")
                // The token form is behind a disclosure: open it, paste the install administrator's token.
                try await browser.click("details.token-login summary")
                try await browser.type("#api-token", server.adminToken)
                try await browser.click("#token-login button[type=submit]")
                #expect(try await browser.wait(until: "return location.pathname === '/queue'"))
                #expect(try await browser.run("return document.cookie") as? String == "", "the token cookie is HttpOnly")
                #expect(
                    try await browser.wait(
                        until: "return document.querySelector('tr[data-deployment=\"\(second)\"]')?.dataset.reason === 'project busy'"))
                #expect(try await browser.run("return document.querySelector('.who').textContent.includes('token')") as? Bool == true)
                try await DashboardBrowserTests.screenshots(browser, "queue")

                // The queue follows by itself: once both are killed, the list empties without a reload.
                try await browser.run("window.slipwayTestMarker = 'same page'")
                for id in [second, first] { _ = try await server.client.raw(.POST, "/api/v1/deployments/\(id)/kill") }
                #expect(try await browser.wait(until: "return document.querySelector('#queue-empty') !== null"))
                #expect(try await browser.run("return window.slipwayTestMarker") as? String == "same page")

                // A token: made, shown once, gone from the next page.
                try await browser.click("nav.sections a[href='/tokens']")
                #expect(try await browser.wait(until: "return location.pathname === '/tokens'"))
                try await browser.type("#token-name", "ci")
                try await browser.click("#scope-deploy")
                try await browser.click("#create-token button[type=submit]")
                #expect(try await browser.wait(until: "return document.querySelector('#new-token-secret') !== null"))
                let secret = try #require(try await browser.run("return document.querySelector('#new-token-secret').value") as? String)
                #expect(secret.hasPrefix("slw_"))
                try await DashboardBrowserTests.screenshots(browser, "tokens-created")
                try await browser.open(base + "/tokens")
                #expect(try await browser.run("return document.body.innerHTML.includes(arguments[0])", [secret]) as? Bool == false)
                #expect(try await browser.run("return document.querySelectorAll('#tokens tr[data-token]').length") as? Int == 2)
                try await DashboardBrowserTests.screenshots(browser, "tokens")

                // Members: invite someone, the link shown once.
                try await browser.open(base + "/members")
                try await browser.type("#invite-login", "newcomer@example.com")
                try await browser.click("#invite-form button[type=submit]")
                #expect(try await browser.wait(until: "return document.querySelector('#invitation-link') !== null"))
                let link = try #require(try await browser.run("return document.querySelector('#invitation-link').value") as? String)
                #expect(link.hasPrefix(base + "/invitations/slwi_"), "\(link)")
                try await DashboardBrowserTests.screenshots(browser, "members-invited")
                try await browser.open(base + "/members")
                #expect(try await browser.run("return document.body.innerHTML.includes('slwi_')") as? Bool == false)
                try await DashboardBrowserTests.screenshots(browser, "members")

                try await browser.open(base + "/admin")
                #expect(try await browser.wait(until: "return document.querySelector('tr[data-user=\"olga\"]') !== null"))
                try await DashboardBrowserTests.screenshots(browser, "admin")
                try await browser.resize(width: 390, height: 844)
                try await DashboardBrowserTests.screenshots(browser, "admin-phone")
                try await browser.resize(width: 1280, height: 900)

                // Logging out forgets the token: the pages ask to log in again.
                try await browser.click("form[action='/logout'] button[type=submit]")
                #expect(try await browser.wait(until: "return location.pathname === '/login'"))
                try await browser.open(base + "/tokens")
                #expect(try await browser.currentURL() == base + "/login?next=/tokens")
            }
        }
    }
}
