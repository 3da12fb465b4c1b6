import Foundation

/// The machine's live processes, read from /proc: to prove that nothing of a build survived.
public enum ProcessTable {
    /// The pids of live (non-zombie) processes whose command line contains `marker`.
    public static func matching(_ marker: String) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.filter { entry in
            guard Int(entry) != nil, let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return false }
            let status = (try? String(contentsOfFile: "/proc/\(entry)/status", encoding: .utf8)) ?? ""
            if status.contains("State:\tZ") { return false }
            return String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self).contains(marker)
        }
    }

    /// A `sleep` duration no other process uses, so `matching` finds exactly the sleeps a test started.
    public static func uniqueSleepDuration() -> String { "300.\(UInt32.random(in: 1...UInt32.max))" }

    /// Waits until `condition` holds, checking every 20 ms, for at most `timeout`; returns whether it held.
    public static func eventually(timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async rethrows -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return try await condition()
    }
}
