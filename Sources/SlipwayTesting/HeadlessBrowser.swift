import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Headless Chromium driven over WebDriver (W3C, JSON over HTTP) by Debian's `chromedriver`, listening on a free
/// loopback port: the dashboard's browser tests (docs/dashboard.md). No Python, no selenium: the protocol is a handful
/// of JSON calls.
public struct HeadlessBrowser: Sendable {
    /// Debian's packages `chromium` and `chromium-driver`.
    public static let chromiumPath = "/usr/bin/chromium"
    public static let chromedriverPath = "/usr/bin/chromedriver"

    /// Whether both are installed (the browser tests are disabled where they are not).
    public static var isAvailable: Bool {
        FileManager.default.isExecutableFile(atPath: chromiumPath) && FileManager.default.isExecutableFile(atPath: chromedriverPath)
    }

    /// The WebDriver session's base URL: `http://127.0.0.1:PORT/session/ID`.
    let sessionURL: String

    /// A WebDriver call failed: its status and the driver's message.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Starts chromedriver and a headless Chromium (1280×900), runs `body`, then ends the session and stops
    /// chromedriver by its pid.
    public static func withBrowser<T: Sendable>(_ body: @Sendable (HeadlessBrowser) async throws -> T) async throws -> T {
        let port = try LoopbackSocket.freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromedriverPath)
        process.arguments = ["--port=\(port)", "--allowed-ips=127.0.0.1", "--log-level=SEVERE"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            // chromedriver started from a Swift process does not end on SIGTERM here (the signal stays blocked in the
            // child); the session is deleted first, which ends Chromium, then the driver is killed by its pid.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        let base = "http://127.0.0.1:\(port)"
        // chromedriver answers /status once it listens: a readiness wait, bounded, not a timed assertion.
        var ready = false
        for _ in 0..<300 where !ready {
            if let status = try? await call(.GET, base + "/status", nil), (status["value"] as? [String: Any])?["ready"] as? Bool == true {
                ready = true
            } else {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        guard ready else { throw Failure(description: "chromedriver did not become ready on port \(port)") }
        let capabilities: [String: Any] = [
            "capabilities": [
                "alwaysMatch": [
                    "browserName": "chrome",
                    "goog:chromeOptions": [
                        "binary": chromiumPath,
                        "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900"],
                    ] as [String: Any],
                ] as [String: Any]
            ]
        ]
        let created = try await call(.POST, base + "/session", capabilities)
        guard let sessionID = (created["value"] as? [String: Any])?["sessionId"] as? String else {
            throw Failure(description: "chromedriver made no session: \(created)")
        }
        let browser = HeadlessBrowser(sessionURL: base + "/session/" + sessionID)
        do {
            let result = try await body(browser)
            _ = try? await call(.DELETE, browser.sessionURL, nil)
            return result
        } catch {
            _ = try? await call(.DELETE, browser.sessionURL, nil)
            throw error
        }
    }

    private static func call(_ method: HTTPMethod, _ url: String, _ body: [String: Any]?) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            let data = try JSONSerialization.data(withJSONObject: body)
            request.body = .bytes(ByteBuffer(bytes: [UInt8](data)))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
        let data = try await response.body.collect(upTo: 64 * 1024 * 1024)
        let json = (try? JSONSerialization.jsonObject(with: Data(data.readableBytesView))) as? [String: Any] ?? [:]
        guard response.status == .ok else {
            let value = json["value"] as? [String: Any]
            throw Failure(description: "WebDriver \(method) \(url): \(response.status.code) \(value?["error"] ?? "") \(value?["message"] ?? "")")
        }
        return json
    }

    @discardableResult
    private func command(_ method: HTTPMethod, _ path: String, _ body: [String: Any]? = nil) async throws -> Any? {
        let answer = try await Self.call(method, sessionURL + path, method == .POST ? (body ?? [:]) : nil)
        return answer["value"]
    }

    private static let elementKey = "element-6066-11e4-a52e-4f735466cecf"

    /// Opens `url` and waits for the page to load.
    public func open(_ url: String) async throws { try await command(.POST, "/url", ["url": url]) }

    /// The address of the page shown.
    public func currentURL() async throws -> String { try await command(.GET, "/url") as? String ?? "" }

    /// The first element matching a CSS selector; fails when there is none.
    public func element(_ selector: String) async throws -> String {
        let value = try await command(.POST, "/element", ["using": "css selector", "value": selector]) as? [String: Any]
        guard let id = value?[Self.elementKey] as? String else { throw Failure(description: "no element \(selector)") }
        return id
    }

    /// Types `text` into the element matching `selector` (after clearing it).
    public func type(_ selector: String, _ text: String) async throws {
        let id = try await element(selector)
        try await command(.POST, "/element/\(id)/clear")
        try await command(.POST, "/element/\(id)/value", ["text": text])
    }

    /// Clicks the element matching `selector`. A live page may replace the element between finding and clicking it
    /// (WebDriver's "stale element reference"): it is then found again, a few times at most.
    public func click(_ selector: String) async throws {
        var attempt = 1
        while true {
            let id = try await element(selector)
            do {
                try await command(.POST, "/element/\(id)/click")
                return
            } catch let failure as Failure where failure.description.contains("stale element") && attempt < 5 {
                attempt += 1
            }
        }
    }

    /// Accepts the confirmation dialog the page shows (`window.confirm`).
    public func acceptDialog() async throws { try await command(.POST, "/alert/accept") }

    /// Runs `script` (a function body; `arguments[0]`… are `arguments`) in the page and returns its result.
    @discardableResult
    public func run(_ script: String, _ arguments: [Any] = []) async throws -> Any? {
        try await command(.POST, "/execute/sync", ["script": script, "args": arguments])
    }

    /// Runs `script`, an async function body that resolves a value, and returns it (fetches from the page).
    public func runAsync(_ script: String, _ arguments: [Any] = []) async throws -> Any? {
        let wrapped = "const done = arguments[arguments.length - 1]; (async () => { \(script) })().then(done, e => done('error: ' + e));"
        return try await command(.POST, "/execute/async", ["script": wrapped, "args": arguments])
    }

    /// Waits until `script` returns true in the page, checking every 100 ms, for at most `limit` (a bound against a
    /// hang, not a timed assertion); returns whether it did.
    public func wait(until script: String, limit: Duration = .seconds(120)) async throws -> Bool {
        let clock = ContinuousClock()
        let end = clock.now + limit
        while clock.now < end {
            if (try? await run(script)) as? Bool == true { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// Makes the page report `prefers-color-scheme: dark` (or light), through the DevTools protocol chromedriver
    /// relays.
    public func emulateColorScheme(dark: Bool) async throws {
        try await command(
            .POST, "/goog/cdp/execute",
            ["cmd": "Emulation.setEmulatedMedia", "params": ["features": [["name": "prefers-color-scheme", "value": dark ? "dark" : "light"]]]])
    }

    /// Sets the window's size (a phone: 390×844).
    public func resize(width: Int, height: Int) async throws {
        try await command(.POST, "/window/rect", ["width": width, "height": height])
    }

    /// Writes a PNG screenshot of the page to `path`.
    public func screenshot(to path: String) async throws {
        guard let base64 = try await command(.GET, "/screenshot") as? String, let data = Data(base64Encoded: base64) else {
            throw Failure(description: "no screenshot")
        }
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: path))
    }
}
