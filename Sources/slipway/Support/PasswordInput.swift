import ArgumentParser
import Foundation

/// Where a command reads a password from: never from an argument (it would show in `ps` and the shell's history).
enum PasswordInput {
    /// `variable` when set, else the first line of standard input with `--password-stdin`, else a prompt on the
    /// terminal with echo off.
    static func read(prompt: String, variable: String?, fromStandardInput: Bool) throws -> String {
        if let variable, let value = ProcessInfo.processInfo.environment[variable], !value.isEmpty { return value }
        if fromStandardInput {
            guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                throw ValidationError("--password-stdin: standard input held no password")
            }
            return line
        }
        guard isatty(STDIN_FILENO) == 1 else {
            let source = variable.map { "set \($0) or pass --password-stdin" } ?? "pass --password-stdin"
            throw ValidationError("no terminal to ask for the password on: \(source)")
        }
        return try readWithoutEcho(prompt: prompt)
    }

    /// Asks on the terminal with echo off, and turns echo back on whatever happens.
    private static func readWithoutEcho(prompt: String) throws -> String {
        FileHandle.standardError.write(Data(prompt.utf8))
        var original = termios()
        guard tcgetattr(STDIN_FILENO, &original) == 0 else { throw CommandError("cannot read the terminal's settings") }
        var silent = original
        silent.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent)
        defer {
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &original)
            FileHandle.standardError.write(Data("\n".utf8))
        }
        guard let line = readLine(strippingNewline: true), !line.isEmpty else { throw ValidationError("a password is required") }
        return line
    }
}
