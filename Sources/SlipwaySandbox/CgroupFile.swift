import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Plain POSIX access to cgroup control files and directories. Control files report a size of 0 or 4096 and take
/// one write per value, so everything goes through `open`/`read`/`write` rather than Foundation's file helpers.
enum CgroupFile {
    /// The text of a control file, or nil when it cannot be read.
    static func text(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count < 0 { return nil }
            if count == 0 { break }
            bytes += buffer[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The whitespace-separated words of a control file (`cgroup.controllers`, `cgroup.subtree_control`).
    static func words(_ path: String) -> [String] {
        (text(path) ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).map(String.init)
    }

    /// The number after `key` in a flat keyed file such as `memory.events` ("oom_kill 3").
    static func keyedValue(_ key: String, in path: String) -> Int? {
        for line in (text(path) ?? "").split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, parts[0] == key { return Int(parts[1]) }
        }
        return nil
    }

    /// Writes `value` in one `write` call, creating the file when it is missing (which only happens in a fake root).
    static func set(_ path: String, to value: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw CgroupError.cannotWrite(path: path, value: value, reason: errorText(errno)) }
        defer { close(fd) }
        let bytes = Array(value.utf8)
        var result: Int
        repeat {
            result = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        } while result < 0 && errno == EINTR
        guard result == bytes.count else {
            throw CgroupError.cannotWrite(path: path, value: value, reason: result < 0 ? errorText(errno) : "short write")
        }
    }

    static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    static func isDirectory(_ path: String) -> Bool {
        var information = stat()
        return stat(path, &information) == 0 && (information.st_mode & S_IFMT) == S_IFDIR
    }

    /// The names of the subdirectories (child groups) of `directory`, sorted.
    static func subdirectories(of directory: String) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return entries.filter { isDirectory(directory + "/" + $0) }.sorted()
    }

    /// `mkdir`; 0 on success, else the errno.
    static func makeDirectory(_ path: String) -> Int32 {
        mkdir(path, 0o755) == 0 ? 0 : errno
    }

    /// The pids in `directory`'s `cgroup.procs` and in those of all its child groups.
    static func processIDs(inTree directory: String) -> [pid_t] {
        guard isDirectory(directory) else { return [] }
        var pids = (text(directory + "/cgroup.procs") ?? "").split(separator: "\n").compactMap { pid_t($0) }
        for child in subdirectories(of: directory) { pids += processIDs(inTree: directory + "/" + child) }
        return pids
    }

    /// `rmdir` of `directory` and its child groups, deepest first. A missing directory is fine.
    static func removeTree(_ directory: String) throws {
        guard isDirectory(directory) else { return }
        for child in subdirectories(of: directory) { try removeTree(directory + "/" + child) }
        if rmdir(directory) != 0 && errno != ENOENT {
            throw CgroupError.cannotRemove(path: directory, reason: errorText(errno))
        }
    }

    static func errorText(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
