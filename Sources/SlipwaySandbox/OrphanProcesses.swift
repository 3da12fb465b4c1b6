import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Finds and kills every process that carries a marker in its environment (`SLIPWAY_DEPLOYMENT_UID=<uid>`):
/// what a build left behind when the server died, including processes that left its process group.
public enum OrphanProcesses {
    /// The pids of live processes whose environment contains `entry` exactly.
    public static func find(environmentEntry entry: String, procRoot: String = "/proc") -> [Int32] {
        let needle = Array(entry.utf8)
        let own = getpid()
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: procRoot)) ?? []
        return entries.compactMap { name -> Int32? in
            guard let pid = Int32(name), pid != own,
                let data = FileManager.default.contents(atPath: "\(procRoot)/\(name)/environ")
            else { return nil }
            return data.split(separator: 0).contains { Array($0) == needle } ? pid : nil
        }
    }

    /// SIGKILLs every process carrying `entry`, again until none is left (or after a few rounds); returns how many.
    @discardableResult
    public static func kill(environmentEntry entry: String) -> Int {
        var killed = Set<Int32>()
        for _ in 0..<10 {
            let pids = find(environmentEntry: entry)
            if pids.isEmpty { break }
            for pid in pids {
                Glibc.kill(pid, SIGKILL)
                killed.insert(pid)
            }
            usleep(20_000)
        }
        return killed.count
    }
}
