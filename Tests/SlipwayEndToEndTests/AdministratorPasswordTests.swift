import Foundation
import Logging
import NIOHTTP1
import SQLKit
import SlipwayClient
import SlipwayCore
import SlipwaySandbox
import SlipwayServer
import SlipwayTesting
import Testing

@testable import SlipwayStore

/// The install administrator's password: generated at the first start (printed once, saved 0600), given to an
/// install made before passwords existed, and used by `slipway login`, `slipway sessions` and `slipway admin users`.
@Suite struct AdministratorPasswordTests {
    /// Runs `slipway` with `input` on its standard input; returns the exit status and the combined output.
    static func slipway(_ arguments: [String], environment: [String: String], input: String = "") async throws -> (Int32, String) {
        try await onOwnThread {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CommandLineTests.executable)
            process.arguments = arguments
            process.environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"].merging(environment) { $1 }
            let stdin = Pipe()
            let output = Pipe()
            process.standardInput = stdin
            process.standardOutput = output
            process.standardError = output
            try process.run()
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try stdin.fileHandleForWriting.close()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: data, as: UTF8.self))
        }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: CommandLineTests.executable)))
    func theGeneratedPasswordLogsInFromTheCommandLineAndNoPasswordReachesTheLog() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("slipway-admin-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let dataDirectory = root + "/data"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let logFile = root + "/server.log"
        _ = FileManager.default.createFile(atPath: logFile, contents: nil)
        let port = try TestServer.freePort()
        let url = "http://127.0.0.1:\(port)"

        let server = Process()
        server.executableURL = URL(fileURLWithPath: CommandLineTests.executable)
        server.arguments = ["serve", "--data-dir", dataDirectory, "--port", String(port)]
        // The most talkative log there is: every SQL statement.
        server.environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": root, "LOG_LEVEL": "trace"]
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logFile))
        server.standardOutput = log
        server.standardError = log
        try server.run()
        defer {
            if server.isRunning {
                server.terminate()
                server.waitUntilExit()
            }
        }
        let ready = await ProcessTable.eventually(timeout: .seconds(60)) {
            (try? await SlipwayClient(baseURL: url, token: "").raw(.GET, "/health").0) == 200
        }
        #expect(ready)

        let layout = DataLayout(root: dataDirectory)
        let password = try String(contentsOfFile: layout.adminPasswordFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(password.count >= 24)
        #expect((try FileManager.default.attributesOfItem(atPath: layout.adminPasswordFile)[.posixPermissions] as? Int) == 0o600)

        let home = ["XDG_CONFIG_HOME": root + "/config", "HOME": root]
        let (loginStatus, loginOutput) = try await Self.slipway(
            ["login", "--url", url, "--login", "admin"], environment: home.merging(["SLIPWAY_PASSWORD": password]) { $1 })
        #expect(loginStatus == 0, "\(loginOutput)")
        #expect(loginOutput.contains("Logged in to \(url) as admin (workspace default"))
        let saved = try String(contentsOfFile: root + "/config/slipway/config.json", encoding: .utf8)
        #expect(saved.contains("\"token\" : \"slws_"))
        let (whoStatus, whoOutput) = try await Self.slipway(["whoami"], environment: home)
        #expect(whoStatus == 0 && whoOutput.contains("admin in workspace default"), "\(whoOutput)")

        let gracePassword = "grace's own passphrase"
        let (createStatus, createOutput) = try await Self.slipway(
            ["admin", "users", "create", "Grace", "--email", "grace@example.com", "--password-stdin"], environment: home, input: gracePassword + "\n")
        #expect(createStatus == 0 && createOutput.contains("(grace)"), "\(createOutput)")
        let (listStatus, listOutput) = try await Self.slipway(["admin", "users", "list"], environment: home)
        #expect(listStatus == 0 && listOutput.contains("grace@example.com"), "\(listOutput)")

        let (wrongStatus, wrongOutput) = try await Self.slipway(
            ["login", "--url", url, "--login", "grace"], environment: home.merging(["SLIPWAY_PASSWORD": "not her password"]) { $1 })
        #expect(wrongStatus == 1 && wrongOutput.contains("error: wrong login or password (HTTP 401)"), "\(wrongOutput)")
        #expect(!wrongOutput.contains("token"), "a wrong password is not a token problem")

        let (graceStatus, graceOutput) = try await Self.slipway(
            ["login", "--url", url, "--login", "grace", "--password-stdin"], environment: home, input: gracePassword + "\n")
        #expect(graceStatus == 0, "\(graceOutput)")
        let (sessionsStatus, sessionsOutput) = try await Self.slipway(["sessions", "list"], environment: home)
        #expect(sessionsStatus == 0 && sessionsOutput.contains("(this one)"), "\(sessionsOutput)")
        // grace is not an install administrator.
        let (forbiddenStatus, forbiddenOutput) = try await Self.slipway(["admin", "users", "list"], environment: home)
        #expect(forbiddenStatus == 1 && forbiddenOutput.contains("HTTP 403"), "\(forbiddenOutput)")

        server.terminate()
        server.waitUntilExit()
        try log.close()
        let output = try String(contentsOfFile: logFile, encoding: .utf8)
        #expect(output.contains("Applied database migration"), "the log is the talkative one")
        // The generated password is printed once, as the first start's notice; no other password ever.
        #expect(output.components(separatedBy: password).count == 2, "\(output.prefix(2000))")
        #expect(output.contains("Slipway password of the install administrator 'admin' (shown once"))
        #expect(!output.contains(gracePassword))
        #expect(!output.contains("not her password"))
    }

    @Test func anInstallMadeBeforePasswordsGetsAnAdministratorPasswordAtItsNextStart() async throws {
        let dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("slipway-upgrade-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        let layout = DataLayout(root: dataDirectory)
        try layout.createDirectories()
        try layout.createDatabaseFile()
        // The database as the release before migration 10 left it: a workspace, its user and an admin token.
        let token = APIToken.generateSecret()
        try await Database.withRunning(.sqlite(path: layout.database), logger: .init(label: "test")) { database in
            try await Migrator(migrations: Array(Migrations.all.prefix(9))).migrate(database, logger: .init(label: "test"))
            try await database.withConnection { session in
                let workspace = try await session.insertReturningID(
                    "INSERT INTO workspaces (uid, name, created_at) VALUES (\(bind: UUID().lowercased), 'default', 0) RETURNING id")
                let user = try await session.insertReturningID(
                    "INSERT INTO users (workspace_id, name, created_at) VALUES (\(bind: workspace), 'admin', 0) RETURNING id")
                try await session.run(
                    """
                    INSERT INTO api_tokens (workspace_id, user_id, name, scopes, token_hash, created_at)
                    VALUES (\(bind: workspace), \(bind: user), 'admin', 'admin', \(bind: StoredValue.tokenHash(token)), 0)
                    """)
            }
        }
        var configuration = SlipwayConfiguration()
        configuration.dataDirectory = dataDirectory
        configuration.port = 0
        configuration.adminToken = token
        configuration.printsAdminToken = false
        configuration.allowsWorkingCheckout = false
        try await TestServer.run(configuration) { server in
            let password = try String(contentsOfFile: layout.adminPasswordFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect((try FileManager.default.attributesOfItem(atPath: layout.adminPasswordFile)[.posixPermissions] as? Int) == 0o600)
            let me = try await server.client.me()
            #expect(me.user.login == "admin" && me.user.isInstallAdmin)
            let login = try await server.client(token: "").logIn(login: "admin", password: password)
            #expect(login.user.id == me.user.id)
        }
        // The next start leaves the password as it is.
        let before = try String(contentsOfFile: layout.adminPasswordFile, encoding: .utf8)
        try FileManager.default.removeItem(atPath: layout.adminPasswordFile)
        try await TestServer.run(configuration) { _ in }
        #expect(!FileManager.default.fileExists(atPath: layout.adminPasswordFile))
        #expect(!before.isEmpty)
    }
}
