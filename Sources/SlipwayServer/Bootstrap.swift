import Foundation
import Logging
import SlipwayCore
import SlipwayStore

/// The first start on an empty data directory: workspace `default`, the install administrator `admin` with a
/// password, and an admin token. The token is printed once and written to `<data-dir>/admin-token` (or taken from
/// `SLIPWAY_ADMIN_TOKEN`); the password is generated, printed once and written to `<data-dir>/admin-password` (or taken
/// from `SLIPWAY_ADMIN_PASSWORD`). Both files have mode 0600.
///
/// An install made before users had passwords gets one for its install administrator (its first user, marked by
/// migration 10) the same way at its next start.
struct Bootstrap {
    let store: SQLStore
    let passwords: any PasswordHasher
    let layout: DataLayout
    let configuration: SlipwayConfiguration
    let logger: Logger

    static let administratorLogin = "admin"

    func run() async throws {
        if try await store.identities.isEmpty() {
            try await firstStart()
        } else if let administrator = try await store.identities.installAdministratorWithoutPassword() {
            let password = try await givePassword(to: administrator)
            logger.notice("install administrator '\(administrator.login)' had no password: set one (see \(layout.adminPasswordFile))")
            show(password: password, login: administrator.login)
        }
    }

    private func firstStart() async throws {
        let secret = configuration.adminToken ?? APIToken.generateSecret()
        let password = try chosenPassword(login: Self.administratorLogin)
        let hash = try await passwords.hash(password)
        _ = try await store.identities.bootstrap(
            workspaceName: "default", user: NewUser(login: Self.administratorLogin, passwordHash: hash, isInstallAdministrator: true),
            tokenSecret: secret
        )
        try Self.writePrivateFile(layout.adminTokenFile, secret)
        if configuration.adminPassword == nil { try Self.writePrivateFile(layout.adminPasswordFile, password) }
        logger.info(
            "first start: created workspace 'default', install administrator 'admin' and an admin token (saved to \(layout.adminTokenFile))")
        if configuration.adminToken == nil && configuration.printsAdminToken {
            print("Slipway admin token (shown once; also saved to \(layout.adminTokenFile)):\n\n    \(secret)\n")
            fflush(nil)
        }
        show(password: password, login: Self.administratorLogin)
    }

    /// Sets the password of an install administrator who has none.
    private func givePassword(to administrator: User) async throws -> String {
        let password = try chosenPassword(login: administrator.login)
        let hash = try await passwords.hash(password)
        try await store.identities.setPasswordHash(hash, userID: administrator.id, keepingSession: nil, at: Date())
        if configuration.adminPassword == nil { try Self.writePrivateFile(layout.adminPasswordFile, password) }
        return password
    }

    /// `SLIPWAY_ADMIN_PASSWORD` when it meets the password rules, else a generated password.
    private func chosenPassword(login: String) throws -> String {
        guard let given = configuration.adminPassword else { return Self.generatePassword() }
        let problems = PasswordPolicy.problems(given, login: login)
        guard problems.isEmpty else {
            throw ConfigurationError("SLIPWAY_ADMIN_PASSWORD " + problems.map(\.message).joined(separator: "; "))
        }
        return given
    }

    /// Prints a generated password once (never one the operator chose, never into the log).
    private func show(password: String, login: String) {
        guard configuration.adminPassword == nil && configuration.printsAdminToken else { return }
        print(
            "Slipway password of the install administrator '\(login)' (shown once; also saved to \(layout.adminPasswordFile)):\n\n    \(password)\n")
        fflush(nil)
    }

    /// 24 random characters of an alphabet without look-alikes (about 119 bits), in four groups: `k7mq3x-…`.
    static func generatePassword() -> String {
        let alphabet = Array("abcdefghjkmnpqrstuvwxyz23456789")
        var generator = SystemRandomNumberGenerator()
        let groups = (0..<4).map { _ in String((0..<6).map { _ in alphabet.randomElement(using: &generator)! }) }
        return groups.joined(separator: "-")
    }

    /// Writes `text` and a newline to a file that only its owner may read, made so before anything is written.
    static func writePrivateFile(_ path: String, _ text: String) throws {
        _ = FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        try Data((text + "\n").utf8).write(to: URL(fileURLWithPath: path))
    }
}
