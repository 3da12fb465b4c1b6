import Foundation
import Logging
import SlipwayCore
import SlipwayStore

/// The first start on an empty data directory: workspace `default`, user `admin` and an admin token,
/// printed once and written to `<data-dir>/admin-token` with mode 0600 (or taken from `SLIPWAY_ADMIN_TOKEN`).
struct Bootstrap {
    let store: SQLStore
    let layout: DataLayout
    let configuration: SlipwayConfiguration
    let logger: Logger

    func run() async throws {
        guard try await store.identities.isEmpty() else { return }
        let secret = configuration.adminToken ?? APIToken.generateSecret()
        _ = try await store.identities.bootstrap(workspaceName: "default", userName: "admin", tokenSecret: secret)
        try writeTokenFile(secret)
        logger.info("first start: created workspace 'default', user 'admin' and an admin token (saved to \(layout.adminTokenFile))")
        if configuration.adminToken == nil && configuration.printsAdminToken {
            print("Slipway admin token (shown once; also saved to \(layout.adminTokenFile)):\n\n    \(secret)\n")
            fflush(nil)
        }
    }

    private func writeTokenFile(_ secret: String) throws {
        let path = layout.adminTokenFile
        _ = FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        try Data((secret + "\n").utf8).write(to: URL(fileURLWithPath: path))
    }
}
