import Foundation
import SlipwayTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// What a person reads when `slipway` fails: one `error:` sentence that says what failed, where and what to do,
/// with no Foundation, NIO or AsyncHTTPClient text and no usage banner; the exit status is not 0 (docs/cli.md).
@Suite struct CommandLineErrorTests {
    static var hasExecutable: Bool { FileManager.default.isExecutableFile(atPath: CommandLineTests.executable) }

    /// Runs `unshare` with `flags` and `true`: whether this machine lets a test use those namespaces.
    static func canUnshare(_ flags: [String]) -> Bool {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") else { return false }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        process.arguments = flags + ["true"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    static let networkNamespace = ["--user", "--map-root-user", "--net"]
    static let mountNamespace = ["--user", "--map-root-user", "--mount"]

    /// Internal error text that must never reach a person.
    static let leaks = [
        "Error Domain=", "NIOCore", "NIOPosix", "SingleConnectionFailure", "NSCocoaErrorDomain", "Optional(", "IOError", "PSQLError", "errno",
    ]

    /// The output holds `message` on an `error:` line, none of the internal texts and no usage banner, and the status
    /// is not 0.
    static func expectReadableFailure(_ result: (Int32, String), _ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let (status, output) = result
        #expect(status != 0, "exit status 0: \(output)", sourceLocation: sourceLocation)
        #expect(output.contains("error: " + message), "\(output)", sourceLocation: sourceLocation)
        for leak in leaks + ["Usage:"] {
            #expect(!output.contains(leak), "'\(leak)' in: \(output)", sourceLocation: sourceLocation)
        }
    }

    /// A fresh temporary directory, removed by the caller.
    static func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("slipway-errors-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    // MARK: The client commands

    @Test(.enabled(if: hasExecutable))
    func noServerRunningSaysWhereAndWhatToDo() async throws {
        let port = try TestServer.freePort()
        let result = try await CommandLineTests.slipway(["ls", "--url", "http://127.0.0.1:\(port)"], environment: ["SLIPWAY_TOKEN": "slw_x"])
        Self.expectReadableFailure(
            result,
            "cannot reach Slipway at http://127.0.0.1:\(port): connection refused — is `slipway serve` running? "
                + "Pass --url (or set SLIPWAY_URL) if it listens elsewhere"
        )
        #expect(result.0 == 1)
    }

    @Test(.enabled(if: hasExecutable && canUnshare(networkNamespace), "needs a network namespace of its own: the name must not reach a DNS server"))
    func aHostNameThatDoesNotResolveIsNamed() async throws {
        // In a network namespace of its own no query leaves the machine; the resolver fails at once.
        let result = try await CommandLineTests.slipway(
            ["whoami", "--url", "http://slipway-test.invalid:8080"], environment: ["SLIPWAY_TOKEN": "slw_x"],
            launcher: ["/usr/bin/unshare"] + Self.networkNamespace
        )
        Self.expectReadableFailure(
            result, "cannot reach Slipway at http://slipway-test.invalid:8080: the host name 'slipway-test.invalid' does not resolve")
        #expect(result.1.contains("— check the host name in --url"), "\(result.1)")
    }

    @Test(.enabled(if: hasExecutable))
    func aServerThatNeverAnswersTimesOutWithTheLimit() async throws {
        // A listening socket nobody accepts on: the connection is made, the request is never answered.
        let (descriptor, port) = try LoopbackSocket.bind(listening: 8)
        defer { close(descriptor) }
        let result = try await CommandLineTests.slipway(
            ["whoami", "--url", "http://127.0.0.1:\(port)"], environment: ["SLIPWAY_TOKEN": "slw_x", "SLIPWAY_TIMEOUT": "1"])
        Self.expectReadableFailure(result, "cannot reach Slipway at http://127.0.0.1:\(port): no answer within 1 second — ")
        #expect(result.1.contains("SLIPWAY_TIMEOUT sets the limit in seconds"))
    }

    @Test(.enabled(if: hasExecutable))
    func anHTMLAnswerIsNotTakenForSlipway() async throws {
        let (descriptor, port) = try LoopbackSocket.bind(listening: 8)
        defer { close(descriptor) }
        let page = "<!DOCTYPE html><html><body><h1>Welcome to nginx!</h1></body></html>"
        async let served = onOwnThread {
            try Self.answerOnce(descriptor, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: \(page.utf8.count)\r\n\r\n" + page)
        }
        let result = try await CommandLineTests.slipway(["whoami", "--url", "http://127.0.0.1:\(port)"], environment: ["SLIPWAY_TOKEN": "slw_x"])
        shutdown(descriptor, Int32(SHUT_RDWR))  // wakes the accept if the command never connected
        _ = try? await served
        Self.expectReadableFailure(
            result,
            "the server at http://127.0.0.1:\(port) is not Slipway's API: it answered HTTP 200 with an HTML page — "
                + "check that --url is the address `slipway serve` printed"
        )
        #expect(!result.1.contains("nginx"), "the page itself is not printed: \(result.1)")
    }

    @Test(.enabled(if: hasExecutable))
    func aProxysErrorPageIsNotTakenForAnAPIError() async throws {
        let (descriptor, port) = try LoopbackSocket.bind(listening: 8)
        defer { close(descriptor) }
        async let served = onOwnThread {
            try Self.answerOnce(descriptor, "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nBad Gateway")
        }
        let result = try await CommandLineTests.slipway(["ls", "--url", "http://127.0.0.1:\(port)"], environment: ["SLIPWAY_TOKEN": "slw_x"])
        shutdown(descriptor, Int32(SHUT_RDWR))  // wakes the accept if the command never connected
        _ = try? await served
        Self.expectReadableFailure(
            result, "the server at http://127.0.0.1:\(port) is not Slipway's API: it answered HTTP 502 with text that is not JSON")
    }

    @Test(.enabled(if: hasExecutable))
    func tlsToAPlainServerSaysToUseHTTP() async throws {
        // A plain HTTP server that answers at once, before it reads anything: the TLS handshake gets HTTP back.
        let (descriptor, port) = try LoopbackSocket.bind(listening: 8)
        defer { close(descriptor) }
        async let served = onOwnThread {
            try Self.answerOnce(descriptor, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", readingRequest: false)
        }
        let result = try await CommandLineTests.slipway(["whoami", "--url", "https://127.0.0.1:\(port)"], environment: ["SLIPWAY_TOKEN": "slw_x"])
        shutdown(descriptor, Int32(SHUT_RDWR))  // wakes the accept if the command never connected
        _ = try? await served
        Self.expectReadableFailure(
            result,
            "cannot reach Slipway at https://127.0.0.1:\(port): the TLS handshake failed — "
                + "for a server without HTTPS use an http:// URL; otherwise check its certificate"
        )
        #expect(!result.1.contains("BoringSSL") && !result.1.contains("handshakeFailed"), "\(result.1)")
    }

    @Test(.enabled(if: hasExecutable))
    func theAPIsOwnErrorsAreShownAsItsMessage() async throws {
        try await TestServer.withServer { server in
            // A token the server refuses: its message, and what to do about it.
            let refused = try await CommandLineTests.slipway(["whoami"], environment: ["SLIPWAY_URL": server.baseURL, "SLIPWAY_TOKEN": "slw_wrong"])
            Self.expectReadableFailure(
                refused,
                "Unauthenticated: send a valid API token as 'Authorization: Bearer <token>' (HTTP 401) — the token is not valid on this server"
            )
            let unknown = try await CommandLineTests.slipway(
                ["show", "424242"], environment: ["SLIPWAY_URL": server.baseURL, "SLIPWAY_TOKEN": server.adminToken])
            Self.expectReadableFailure(unknown, "deployment '424242' not found (HTTP 404)")
        }
    }

    @Test(.enabled(if: hasExecutable))
    func aMissingTokenSaysWhereToGetOneWithoutTheUsage() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try await CommandLineTests.slipway(
            ["ls"], environment: ["HOME": directory, "XDG_CONFIG_HOME": directory + "/config"], in: directory)
        Self.expectReadableFailure(result, "no API token: pass --token, set SLIPWAY_TOKEN, or run `slipway login`.")
        #expect(
            result.1.contains("The first `slipway serve` on an empty data directory prints an admin token and saves it to <data-dir>/admin-token"))
        #expect(result.1.contains("(it looked for ./.slipway/admin-token)"), "\(result.1)")
        #expect(result.0 == 1)
    }

    // MARK: `slipway serve` before it listens

    /// Runs `slipway serve` on a free port in a temporary directory; it is expected to fail before it serves.
    static func serve(_ arguments: [String], environment: [String: String] = [:], launcher: [String] = []) async throws -> (Int32, String) {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = try TestServer.freePort()
        return try await CommandLineTests.slipway(
            ["serve", "--port", String(port)] + arguments, environment: ["HOME": directory].merging(environment) { $1 }, in: directory,
            launcher: launcher)
    }

    @Test(.enabled(if: hasExecutable && FileManager.default.fileExists(atPath: "/proc/self")))
    func aDataDirectoryThatCannotBeCreatedIsNamedWithTheFlag() async throws {
        Self.expectReadableFailure(
            try await Self.serve(["--data-dir", "/proc/slipway-nope"]),
            "cannot create the data directory /proc/slipway-nope: the file system there does not allow new directories — "
                + "choose another with --data-dir (or SLIPWAY_DATA_DIR)"
        )
        Self.expectReadableFailure(
            try await Self.serve(["--data-dir", "/proc/slipway-nope/deeper"]),
            "cannot create the data directory /proc/slipway-nope/deeper: the file system there does not allow new directories"
        )
        let file = try Self.temporaryDirectory() + "/a-file"
        defer { try? FileManager.default.removeItem(atPath: (file as NSString).deletingLastPathComponent) }
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        Self.expectReadableFailure(
            try await Self.serve(["--data-dir", file]),
            "cannot use the data directory \(file): it is a file, not a directory — choose another with --data-dir"
        )
    }

    @Test(.enabled(if: hasExecutable && canUnshare(mountNamespace), "needs a mount namespace of its own for a read-only bind mount"))
    func aDataDirectoryThatCannotBeWrittenIsNamed() async throws {
        let dataDirectory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        // The data directory exists but is read-only (a bind mount in a namespace of the command's own).
        let script = "mount --bind \"$0\" \"$0\" && mount -o remount,bind,ro \"$0\" && exec \"$@\""
        let result = try await Self.serve(
            ["--data-dir", dataDirectory], launcher: ["/usr/bin/unshare"] + Self.mountNamespace + ["sh", "-c", script, dataDirectory])
        Self.expectReadableFailure(
            result, "cannot write in the data directory \(dataDirectory): the file system is read-only — choose another with --data-dir")
    }

    @Test(.enabled(if: hasExecutable))
    func aDatabaseFileThatIsNotADatabaseIsNamed() async throws {
        let dataDirectory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        try Data(String(repeating: "not a database ", count: 20).utf8).write(to: URL(fileURLWithPath: dataDirectory + "/slipway.sqlite"))
        Self.expectReadableFailure(
            try await Self.serve(["--data-dir", dataDirectory]),
            "cannot open the SQLite database \(dataDirectory)/slipway.sqlite: file is not a database — "
                + "move the file away, or choose another data directory with --data-dir"
        )
    }

    @Test(.enabled(if: hasExecutable))
    func aDatabaseURLIsNeverEchoedWithItsPassword() async throws {
        let malformed = try await Self.serve(["--database-url", "postgres://slipway:hunter2@"])
        Self.expectReadableFailure(
            malformed,
            "invalid database URL: expected postgres://user[:password]@host[:port]/database[?tlsmode=disable] — fix --database-url"
        )
        #expect(!malformed.1.contains("hunter2"))

        // Nothing listens on the port: the server, the database and the user are named, never the password.
        let port = try TestServer.freePort()
        let unreachable = try await Self.serve([], environment: ["SLIPWAY_DATABASE_URL": "postgres://slipway:hunter2@127.0.0.1:\(port)/deploys"])
        Self.expectReadableFailure(
            unreachable,
            "cannot open the PostgreSQL database 'deploys' at 127.0.0.1:\(port) as user slipway: connection refused — "
                + "check that PostgreSQL runs there and --database-url (or SLIPWAY_DATABASE_URL) is right"
        )
        #expect(!unreachable.1.contains("hunter2"))
    }

    static var testDatabaseURL: String? { ProcessInfo.processInfo.environment["SLIPWAY_TEST_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 } }

    @Test(.enabled(if: hasExecutable && testDatabaseURL != nil, "needs a PostgreSQL server: SLIPWAY_TEST_DATABASE_URL"))
    func aPostgreSQLDatabaseThatDoesNotExistIsNamedWithTheServersReason() async throws {
        let testURL = try #require(Self.testDatabaseURL)
        var url = try #require(URLComponents(string: testURL))
        url.path = "/slipway_no_such_database"
        let databaseURL = try #require(url.string)
        let result = try await Self.serve([], environment: ["SLIPWAY_DATABASE_URL": databaseURL])
        Self.expectReadableFailure(result, "cannot open the PostgreSQL database 'slipway_no_such_database' at ")
        #expect(result.1.contains(#": database "slipway_no_such_database" does not exist — check that PostgreSQL runs there"#), "\(result.1)")
    }

    @Test(.enabled(if: hasExecutable))
    func helpAndMisusedArgumentsAreStillArgumentParsers() async throws {
        let (helpStatus, help) = try await CommandLineTests.slipway(["ls", "--help"], environment: [:])
        #expect(helpStatus == 0 && help.contains("OVERVIEW: List deployments, newest first.") && !help.contains("error:"), "\(help)")
        let (misuseStatus, misuse) = try await CommandLineTests.slipway(["ls", "--no-such-flag"], environment: [:])
        #expect(misuseStatus == 64 && misuse.contains("Unknown option '--no-such-flag'") && misuse.contains("Usage: slipway ls"), "\(misuse)")
    }

    @Test(.enabled(if: hasExecutable))
    func aPortInUseIsNamedWithTheFlag() async throws {
        let (descriptor, port) = try LoopbackSocket.bind(listening: 8)
        defer { close(descriptor) }
        let dataDirectory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        let result = try await CommandLineTests.slipway(
            ["serve", "--data-dir", dataDirectory, "--port", String(port)], environment: ["HOME": dataDirectory], in: dataDirectory)
        Self.expectReadableFailure(
            result,
            "cannot listen on 127.0.0.1:\(port): the port is already in use — stop what uses it, or choose another port with --port"
        )
    }

    @Test(.enabled(if: hasExecutable))
    func aBadSecretKeyAndBadSettingsAreSaidWithoutTheUsage() async throws {
        Self.expectReadableFailure(
            try await Self.serve(["--data-dir", "data"], environment: ["SLIPWAY_SECRET_KEY": "not-base64!"]),
            "SLIPWAY_SECRET_KEY is not valid base64; it must be the base64 of 32 random bytes (e.g. `openssl rand -base64 32`)"
        )
        Self.expectReadableFailure(
            try await Self.serve(["--data-dir", "data"], environment: ["SLIPWAY_PORT": "eighty"]), "SLIPWAY_PORT must be a port number, got 'eighty'")
        let badFlag = try await Self.serve(["--data-dir", "data", "--workers", "0"])
        Self.expectReadableFailure(badFlag, "--workers must be at least 1")
        #expect(badFlag.0 == 64)
        let badShare = try await Self.serve(["--data-dir", "data", "--workspace-workers", "0"])
        Self.expectReadableFailure(badShare, "--workspace-workers must be at least 1")
        #expect(badShare.0 == 64)
        Self.expectReadableFailure(
            try await Self.serve(["--data-dir", "data"], environment: ["SLIPWAY_WORKSPACE_WORKERS": "half"]),
            "SLIPWAY_WORKSPACE_WORKERS must be a positive integer, got 'half'"
        )
    }

    /// Accepts one connection on a listening socket, reads the request head (unless told not to) and writes `answer`.
    static func answerOnce(_ listener: Int32, _ answer: String, readingRequest: Bool = true) throws {
        let connection = accept(listener, nil, nil)
        guard connection >= 0 else { throw CommandLineErrorTestFailure("accept failed") }
        defer { close(connection) }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while readingRequest && !received.ends(with: Array("\r\n\r\n".utf8)) {
            let count = recv(connection, &buffer, buffer.count, 0)
            guard count > 0 else { throw CommandLineErrorTestFailure("the request ended early") }
            received += buffer[0..<count]
        }
        let bytes = Array(answer.utf8)
        guard send(connection, bytes, bytes.count, 0) == bytes.count else { throw CommandLineErrorTestFailure("send failed") }
    }
}

struct CommandLineErrorTestFailure: Error {
    var reason: String
    init(_ reason: String) { self.reason = reason }
}

extension Array where Element: Equatable {
    fileprivate func ends(with suffix: [Element]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}
