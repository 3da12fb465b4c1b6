import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What the server does with files a sandboxed command made (a checkout, a build's output, a service's home),
/// without ever following a link the command made: every step opens a directory relative to the last one with
/// `O_NOFOLLOW`, so a link anywhere on a path is an error, never a way out.
public enum SandboxFiles {
    /// `O_PATH` (Linux): a descriptor that names a directory for the `*at` calls without opening its contents.
    static let openPath: Int32 = 0o10000000

    /// A path that cannot be used, with a message that names the field and the link (or what else is wrong).
    public struct PathError: Error, CustomStringConvertible, Equatable {
        public var description: String

        public init(_ description: String) {
            self.description = description
        }
    }

    /// A directory reached without following a link: its descriptor, and the directory it was opened in with its
    /// name there (so that it can be moved by that name, with nothing to swap in between).
    public final class Directory: Sendable {
        /// An `O_PATH` descriptor, closed with the object.
        let descriptor: Int32
        let parent: Directory?
        let name: String

        private init(descriptor: Int32, parent: Directory?, name: String) {
            self.descriptor = descriptor
            self.parent = parent
            self.name = name
        }

        deinit { close(descriptor) }

        /// A directory of ours (its last component is not followed if it is a link).
        public static func open(_ path: String) throws -> Directory {
            let descriptor = Glibc.open(path, SandboxFiles.openPath | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard descriptor >= 0 else { throw PathError("\(path) cannot be opened: \(String(cString: strerror(errno)))") }
            return Directory(descriptor: descriptor, parent: nil, name: path)
        }

        /// The directory `relativePath` below this one, refusing a symbolic link on the way, `..`, and anything that
        /// is not a directory; `field` names the setting in errors (`output_dir`). An empty path or `.` is this one.
        public func directory(_ relativePath: String, field: String) throws -> Directory {
            try descend(relativePath.split(separator: "/"), shownAs: relativePath, field: field)
        }

        /// The directory `components` below this one; errors show `relativePath`, the whole path the setting names.
        private func descend(_ components: [Substring], shownAs relativePath: String, field: String) throws -> Directory {
            var current = self
            var walked: [Substring] = []
            for component in components where component != "." {
                walked.append(component)
                let shown = walked.joined(separator: "/")
                guard component != ".." else { throw PathError("\(field) '\(relativePath)' leaves the repository ('..')") }
                let name = String(component)
                let next = openat(current.descriptor, name, SandboxFiles.openPath | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                guard next >= 0 else {
                    let failure = errno
                    var status = stat()
                    if fstatat(current.descriptor, name, &status, AT_SYMLINK_NOFOLLOW) == 0 && (status.st_mode & S_IFMT) == S_IFLNK {
                        let target = readLink(name, in: current.descriptor)
                        throw PathError("\(field) '\(relativePath)': '\(shown)' is a symbolic link (to '\(target)'); links are not followed")
                    }
                    if failure == ENOENT { throw PathError("\(field) '\(relativePath)': '\(shown)' does not exist") }
                    throw PathError("\(field) '\(relativePath)': '\(shown)' is not a directory")
                }
                current = Directory(descriptor: next, parent: current, name: name)
            }
            return current
        }

        /// Checks that `relativePath` below this directory is a regular file reached without following a link (on the
        /// way or at its end) and without `..`; `field` names the setting in errors (`dockerfile_path`). Returns the
        /// path relative to this directory, normalized.
        @discardableResult
        public func regularFile(_ relativePath: String, field: String) throws -> String {
            let components = relativePath.split(separator: "/").filter { $0 != "." }
            guard let last = components.last else { throw PathError("\(field) '\(relativePath)' names no file") }
            guard last != ".." else { throw PathError("\(field) '\(relativePath)' leaves the repository ('..')") }
            let parent = try descend(Array(components.dropLast()), shownAs: relativePath, field: field)
            var status = stat()
            guard fstatat(parent.descriptor, String(last), &status, AT_SYMLINK_NOFOLLOW) == 0 else {
                if errno == ENOENT { throw PathError("\(field) '\(relativePath)' does not exist") }
                throw PathError("\(field) '\(relativePath)' cannot be read: \(String(cString: strerror(errno)))")
            }
            switch status.st_mode & S_IFMT {
            case S_IFREG:
                return components.joined(separator: "/")
            case S_IFLNK:
                let target = readLink(String(last), in: parent.descriptor)
                throw PathError("\(field) '\(relativePath)' is a symbolic link (to '\(target)'); links are not followed")
            default:
                throw PathError("\(field) '\(relativePath)' is not a regular file")
            }
        }

        /// Moves this directory to `destination` (a path of ours on the same file system) by renaming its entry in
        /// the directory it was opened in.
        public func move(to destination: String) throws {
            let source = parent?.descriptor ?? AT_FDCWD
            guard renameat(source, name, AT_FDCWD, destination) == 0 else {
                throw PathError("cannot move \(name) to \(destination): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Removes `path` and everything below it without following any link: a link is removed itself, never its
    /// target. A missing path is not an error.
    public static func remove(_ path: String) throws {
        let parentPath = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let parent = open(parentPath.isEmpty ? "/" : parentPath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard parent >= 0 else {
            if errno == ENOENT { return }
            throw PathError("cannot open \(parentPath): \(String(cString: strerror(errno)))")
        }
        defer { close(parent) }
        try removeEntry(name, in: parent, shownAs: path)
    }

    /// Removes one entry of the directory `parent`: a directory with its contents, anything else by unlinking it.
    private static func removeEntry(_ name: String, in parent: Int32, shownAs path: String) throws {
        var status = stat()
        guard fstatat(parent, name, &status, AT_SYMLINK_NOFOLLOW) == 0 else {
            if errno == ENOENT { return }
            throw PathError("cannot remove \(path): \(String(cString: strerror(errno)))")
        }
        if (status.st_mode & S_IFMT) == S_IFDIR {
            let directory = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard directory >= 0 else { throw PathError("cannot open \(path): \(String(cString: strerror(errno)))") }
            for child in try entries(of: directory) {
                try removeEntry(child, in: directory, shownAs: path + "/" + child)
            }
            close(directory)
            guard unlinkat(parent, name, AT_REMOVEDIR) == 0 || errno == ENOENT else {
                throw PathError("cannot remove \(path): \(String(cString: strerror(errno)))")
            }
        } else {
            guard unlinkat(parent, name, 0) == 0 || errno == ENOENT else {
                throw PathError("cannot remove \(path): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// The names in an open directory (without `.` and `..`); the descriptor stays open.
    private static func entries(of directory: Int32) throws -> [String] {
        let copy = dup(directory)
        guard copy >= 0, let stream = fdopendir(copy) else {
            if copy >= 0 { close(copy) }
            throw PathError("cannot list a directory: \(String(cString: strerror(errno)))")
        }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// What `keepOnlyFilesAndInsideLinks` took out of a build, for its log.
    public struct Removed: Sendable, Equatable {
        /// Paths (relative to the build) of links that resolve outside it or nowhere.
        public var links: [String] = []
        /// Paths of FIFOs, sockets and device files.
        public var specialFiles: [String] = []
    }

    /// Leaves only directories, regular files and links that resolve inside `root` in the tree: a link to the
    /// host (or dangling), a FIFO, a socket or a device file is removed. Nothing runs in the tree any more, so
    /// what is checked is what stays.
    public static func keepOnlyFilesAndInsideLinks(in root: String) throws -> Removed {
        let resolvedRoot = realPath(root) ?? root
        var removed = Removed()
        let top = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard top >= 0 else { throw PathError("cannot open \(root): \(String(cString: strerror(errno)))") }
        defer { close(top) }
        func visit(_ directory: Int32, relative: String) throws {
            for name in try entries(of: directory) {
                let path = relative.isEmpty ? name : relative + "/" + name
                var status = stat()
                guard fstatat(directory, name, &status, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
                switch status.st_mode & S_IFMT {
                case S_IFDIR:
                    let child = openat(directory, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                    guard child >= 0 else { throw PathError("cannot open \(path) in the build: \(String(cString: strerror(errno)))") }
                    defer { close(child) }
                    try visit(child, relative: path)
                case S_IFREG:
                    continue
                case S_IFLNK:
                    // Resolving a path reads link names only, never a target's contents.
                    if let target = realPath(root + "/" + path), target == resolvedRoot || target.hasPrefix(resolvedRoot + "/") { continue }
                    removed.links.append(path)
                    guard unlinkat(directory, name, 0) == 0 else { throw PathError("cannot remove \(path): \(String(cString: strerror(errno)))") }
                default:
                    removed.specialFiles.append(path)
                    guard unlinkat(directory, name, 0) == 0 else { throw PathError("cannot remove \(path): \(String(cString: strerror(errno)))") }
                }
            }
        }
        try visit(top, relative: "")
        return removed
    }

    /// Gives a directory we made to the sandbox user (not following a link; the directory is empty or ours).
    public static func handOver(_ path: String, to user: SandboxUser?) throws {
        guard let user else { return }
        guard lchown(path, user.uid, user.gid) == 0 else {
            throw PathError("cannot give \(path) to uid \(user.uid): \(String(cString: strerror(errno)))")
        }
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    static func readLink(_ name: String, in directory: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlinkat(directory, name, &buffer, buffer.count - 1)
        guard count >= 0 else { return "?" }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
