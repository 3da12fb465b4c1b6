import Foundation
import SlipwaySandbox

/// What isolation this machine gives, found by the server's own `SandboxDetection` (each candidate must run `true`),
/// once per test process: the conditions under which the live sandbox tests run.
enum MachineSandbox {
    /// Whether bubblewrap works here (with the host's network).
    static func bubblewrapWorks() async -> Bool {
        if case .bubblewrap = await hostNetwork.value { return true }
        return false
    }

    /// Whether bubblewrap with a network namespace of its own (slirp4netns) works here.
    static func privateNetworkWorks() async -> Bool {
        if case .bubblewrap(let setup) = await privateNetwork.value { return setup.hasPrivateNetwork }
        return false
    }

    private static let hostNetwork = Task { await detect(.host) }
    private static let privateNetwork = Task { await detect(.private) }

    private static func detect(_ network: SandboxNetworkChoice) async -> Isolation {
        let hidden = FileManager.default.temporaryDirectory.appendingPathComponent("slipway-detect-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: hidden, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: hidden) }
        return await SandboxDetection.detect(hiddenDirectory: hidden, network: network).isolation
    }
}
