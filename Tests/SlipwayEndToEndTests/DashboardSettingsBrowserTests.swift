import Foundation
import SlipwayClient
import SlipwayTesting
import Testing

/// The settings page in headless Chromium against a real server (docs/dashboard.md): an admin adds a secret from the
/// page and sees it masked, never in the page's source; a setting refused by the API comes back beside its field;
/// screenshots of the page, light and dark, go where `DashboardBrowserTests` puts its own.
@Suite(.enabled(if: HeadlessBrowser.isAvailable, "needs Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver)"))
struct DashboardSettingsBrowserTests {
    @Test func anAdminAddsASecretAndSeesItMasked() async throws {
        let site = try DashboardSettingsTests.site()
        try await TestServer.withServer { server in
            let password = try await DashboardTests.member(server, "alice", role: "admin")
            _ = try await server.client.createProject(
                NewProjectRequest(name: "web", repository: site.path, buildCommand: "sh build.sh", outputDir: "dist"))
            _ = try await server.client.addDomain(project: "web", hostname: "shop.example.com")
            let secret = "hunter2-\(UUID().uuidString)"
            try await HeadlessBrowser.withBrowser { browser in
                let base = server.baseURL
                try await browser.open(base + "/login?next=/projects/web")
                try await browser.type("#login", "alice")
                try await browser.type("#password", password)
                try await browser.click("form[action='/login'] button[type=submit]")
                #expect(try await browser.wait(until: "return document.querySelector('#settings-link') !== null"))
                try await browser.click("#settings-link")
                #expect(try await browser.wait(until: "return location.pathname === '/projects/web/settings'"))

                // A plain variable and a secret, added from the page.
                try await browser.type("#env-name-production", "API_URL")
                try await browser.type("#env-value-production", "https://api.example")
                try await browser.click("#env-add-production button[type=submit]")
                #expect(try await browser.wait(until: "return document.querySelector('#variables-production [data-variable=API_URL]') !== null"))
                try await browser.type("#env-name-production", "API_TOKEN")
                try await browser.type("#env-value-production", secret)
                try await browser.click("#env-secret-production")
                try await browser.click("#env-add-production button[type=submit]")
                #expect(try await browser.wait(until: "return document.querySelector('#variables-production [data-variable=API_TOKEN]') !== null"))
                let shown = try await browser.run(
                    "return document.querySelector('#variables-production [data-variable=API_TOKEN] td:nth-child(2)').textContent.trim()")
                #expect((shown as? String)?.hasPrefix("•••") == true, "\(shown ?? "none")")
                #expect(try await browser.run("return document.documentElement.outerHTML.includes(arguments[0])", [secret]) as? Bool == false)
                let source = try await browser.runAsync("return await (await fetch(location.pathname)).text()")
                #expect((source as? String)?.contains("API_TOKEN") == true && (source as? String)?.contains(secret) == false)
                #expect(try await server.client.environmentVariables(project: "web")["production"]?["API_TOKEN"]?.secret == true)

                // A setting the API refuses comes back beside its field; the page keeps what was typed.
                try await browser.type("#setting-health_check_path", "no-slash")
                try await browser.click("#settings-form button[type=submit]")
                #expect(try await browser.wait(until: "return document.querySelector('#error-health_check_path') !== null"))
                try await browser.run("document.querySelector('#error-health_check_path').scrollIntoView({block: 'center'})")
                try await DashboardBrowserTests.screenshots(browser, "settings-invalid")
                try await browser.type("#setting-health_check_path", "/ready")
                try await browser.type("#setting-build_command", "sh build.sh --fast")
                try await browser.click("#settings-form button[type=submit]")
                #expect(try await browser.wait(until: "return document.querySelector('#notice')?.textContent === 'Settings saved.'"))
                #expect(try await server.client.project("web").buildCommand == "sh build.sh --fast")

                try await browser.open(base + "/projects/web/settings")
                try await DashboardBrowserTests.screenshots(browser, "settings")
                for section in ["webhook", "env", "domains"] {
                    try await browser.run("document.querySelector('#\(section)').scrollIntoView()")
                    try await DashboardBrowserTests.screenshots(browser, "settings-\(section)")
                }
                try await browser.resize(width: 390, height: 844)
                try await DashboardBrowserTests.screenshots(browser, "settings-phone")
                try await browser.resize(width: 1280, height: 900)
            }
        }
    }
}
