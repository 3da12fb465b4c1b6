import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Makes the manifest of a build directory by walking it once. Every entry is resolved with `realpath(3)` and must
/// lie inside the build's real root, so neither `..` nor a link can bring in another file; a link to a directory
/// inside the build is walked under its own name, but never into a directory it is already inside (no loops). The
/// walk stops adding entries at `maximumEntries`, so a hostile build cannot make it endless.
enum SiteManifestBuilder {
    /// The most files and directories one manifest lists.
    static let maximumEntries = 200_000

    /// The names of Cloudflare Pages' rule files in a build's root: read into the manifest, never served.
    static let ruleFiles = ["_redirects", "_headers"]
    /// The largest rule file read (Pages' own limits make a real one far smaller).
    static let largestRuleFile = 4 << 20

    /// The manifest of the build at `root`; nil when there is no such directory.
    static func build(root: String, maximumEntries: Int = maximumEntries) -> SiteManifest? {
        guard let realRoot = FileStatus.realPath(root), FileStatus.of(realRoot)?.kind == .directory else { return nil }
        var walk = Walk(realRoot: realRoot, maximumEntries: maximumEntries)
        walk.visit(realDirectory: realRoot, urlPrefix: "", ancestors: [realRoot])
        var files = walk.files
        let rules = ruleFiles.map { name -> Data? in
            guard let entry = files.removeValue(forKey: name), entry.size <= largestRuleFile else { return nil }
            return FileManager.default.contents(atPath: realRoot + "/" + entry.path)
        }
        return SiteManifest(files: files, directories: walk.directories, redirectsFile: rules[0], headersFile: rules[1])
    }

    private struct Walk {
        let realRoot: String
        let maximumEntries: Int
        var files: [String: SiteManifest.Entry] = [:]
        var directories: Set<String> = [""]

        init(realRoot: String, maximumEntries: Int) {
            self.realRoot = realRoot
            self.maximumEntries = maximumEntries
        }

        var isFull: Bool { files.count + directories.count >= maximumEntries }

        mutating func visit(realDirectory: String, urlPrefix: String, ancestors: Set<String>) {
            for name in Self.names(in: realDirectory) {
                if isFull { return }
                guard let real = FileStatus.realPath(realDirectory + "/" + name), let relative = relativePath(of: real),
                    let status = FileStatus.of(real)
                else { continue }
                let key = urlPrefix + name
                switch status.kind {
                case .regularFile:
                    guard FileStatus.isReadable(real) else { continue }
                    files[key] = SiteManifest.Entry(
                        path: relative, size: status.size, modificationSeconds: status.modificationSeconds,
                        modificationNanoseconds: status.modificationNanoseconds, inode: status.inode)
                case .directory:
                    guard !ancestors.contains(real) else { continue }
                    directories.insert(key)
                    visit(realDirectory: real, urlPrefix: key + "/", ancestors: ancestors.union([real]))
                case .other:
                    continue
                }
            }
        }

        /// The path of `real` relative to the root, when it is inside it (and not the root itself).
        func relativePath(of real: String) -> String? {
            let prefix = realRoot == "/" ? "/" : realRoot + "/"
            guard real.hasPrefix(prefix), real.count > prefix.count else { return nil }
            return String(real.dropFirst(prefix.count))
        }

        /// The names in a directory, without `.` and `..`, sorted (so that the walk, and what a full walk leaves out,
        /// is the same every time).
        static func names(in directory: String) -> [String] {
            guard let handle = opendir(directory) else { return [] }
            defer { closedir(handle) }
            var names: [String] = []
            while let entry = readdir(handle) {
                let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
                    pointer.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
                }
                if name != "." && name != ".." { names.append(name) }
            }
            return names.sorted()
        }
    }
}
