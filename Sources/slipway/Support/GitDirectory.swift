import Foundation

/// Facts about the git checkout the CLI runs in, read with `git` itself.
struct GitDirectory {
    /// The checkout's top directory.
    var root: String
    /// The `origin` remote's URL, if there is one.
    var origin: String?
    /// The branch checked out now, if any.
    var branch: String?

    /// The checkout containing the current directory, or nil outside one.
    static func current() -> GitDirectory? {
        guard let root = git("rev-parse", "--show-toplevel") else { return nil }
        return GitDirectory(root: root, origin: git("remote", "get-url", "origin"), branch: git("symbolic-ref", "--quiet", "--short", "HEAD"))
    }

    /// What a project created from here uses as its repository: the origin URL, else the local path.
    var repository: String { origin ?? root }

    private static func git(_ arguments: String...) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return process.terminationStatus == 0 && !text.isEmpty ? text : nil
    }
}
