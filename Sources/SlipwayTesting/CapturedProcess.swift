import Foundation

/// Runs a program to its end and returns its exit status and output, for tests.
///
/// The output goes to a temporary file, not a pipe: reading a pipe "to its end" waits until every process holding
/// its write end has closed it, and a program another test starts at the same moment can inherit that end and hold
/// it for as long as it runs (a build, a server). Waiting for this process's own exit and then reading the file
/// cannot be held up by anyone else.
public enum CapturedProcess {
    /// One launch at a time: Foundation's `Process.run()` crashed in a `memcpy` (a bad pointer) with many tests
    /// launching programs on several threads at once. Only the launch is serialized; the programs run side by side.
    private static let launching = NSLock()

    /// Runs `executable` with `arguments` and waits for it; standard error goes to the same file as standard output
    /// when `includeErrors`, else nowhere.
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, directory: String? = nil,
        includeErrors: Bool = true
    ) throws -> (status: Int32, output: String) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("slipway-output-\(UUID().uuidString)").path
        guard FileManager.default.createFile(atPath: path, contents: nil) else { throw TestSupportError("cannot create \(path)") }
        defer { try? FileManager.default.removeItem(atPath: path) }
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.standardOutput = output
        process.standardError = includeErrors ? output : FileHandle.nullDevice
        do {
            try launching.withLock { try process.run() }
        } catch {
            try? output.close()
            throw error
        }
        process.waitUntilExit()
        try? output.close()
        let data = FileManager.default.contents(atPath: path) ?? Data()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
