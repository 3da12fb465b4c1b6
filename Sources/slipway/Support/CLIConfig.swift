import Foundation

/// What `slipway login` saves: the API URL and token, in `~/.config/slipway/config.json` (mode 0600), and the workspace
/// `slipway workspaces switch` chose for that login.
struct CLIConfig: Codable, Equatable {
    var url: String
    var token: String
    /// The id of the workspace commands made with this login act in (sent as `X-Slipway-Workspace`); nil: the
    /// login's default workspace.
    var workspace: String?

    /// `$XDG_CONFIG_HOME/slipway/config.json`, else `~/.config/slipway/config.json`.
    static var path: String {
        let environment = ProcessInfo.processInfo.environment
        let base = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.config")
        return base + "/slipway/config.json"
    }

    /// The saved configuration, if there is one.
    static func load() -> CLIConfig? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(CLIConfig.self, from: data)
    }

    /// Saves the configuration readable by its owner only.
    func save() throws {
        let directory = (Self.path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        _ = FileManager.default.createFile(atPath: Self.path, contents: nil, attributes: [.posixPermissions: 0o600])
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: Self.path)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: Self.path))
        defer { try? handle.close() }
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: try encoder.encode(self))
    }
}
