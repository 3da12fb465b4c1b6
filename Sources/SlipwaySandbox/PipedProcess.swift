import CSlipwaySpawn
import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A process whose standard input and output are raw byte streams: for CGI programs such as `git http-backend`,
/// where the request body goes in and a binary response comes out. Runs in its own process group; standard error
/// is collected as lines. Blocking reads and writes happen on the process's own dispatch queues, never on the
/// Swift concurrency pool.
public final class PipedProcess: Sendable {
    /// The process id (also its process group id).
    public let pid: Int32
    private let stdinFD: Mutex<Int32>
    private let stdoutFD: Int32
    private let errorLines = ErrorLines()
    private let errorReader: LineReader
    private let writeQueue = DispatchQueue(label: "slipway.piped-process.write")
    private let readQueue = DispatchQueue(label: "slipway.piped-process.read")
    private let exitStatus = Mutex<Int32?>(nil)

    /// Starts `command` with pipes on its standard input and output.
    public init(_ command: Command) throws {
        // A child that exits before reading its whole input must not kill the server with SIGPIPE: writes then fail with EPIPE.
        signal(SIGPIPE, SIG_IGN)
        var inPipe: [Int32] = [-1, -1]
        var outPipe: [Int32] = [-1, -1]
        var errPipe: [Int32] = [-1, -1]
        guard slipway_pipe_cloexec(&inPipe) == 0, slipway_pipe_cloexec(&outPipe) == 0, slipway_pipe_cloexec(&errPipe) == 0 else {
            throw SpawnError(description: "cannot create pipes: \(String(cString: strerror(errno)))")
        }
        defer {
            close(inPipe[0])
            close(outPipe[1])
            close(errPipe[1])
        }
        let pid: pid_t
        do {
            pid = try ProcessSpawner.spawn(command, standardInput: inPipe[0], standardOutput: outPipe[1], standardError: errPipe[1])
        } catch {
            close(inPipe[1])
            close(outPipe[0])
            close(errPipe[0])
            throw error
        }
        self.pid = pid
        self.stdinFD = Mutex(inPipe[1])
        self.stdoutFD = outPipe[0]
        let lines = errorLines
        self.errorReader = LineReader.start(fd: errPipe[0], stream: .stderr) { line in lines.lines.withLock { $0.append(line.text) } }
    }

    deinit {
        stdinFD.withLock { fd in
            if fd >= 0 { close(fd) }
        }
        close(stdoutFD)
    }

    /// Writes all of `bytes` to the process's standard input; throws when it stopped reading (EPIPE).
    public func write(_ bytes: [UInt8]) async throws {
        let fd = stdinFD.withLock { $0 }
        guard fd >= 0 else { throw SpawnError(description: "standard input is closed") }
        let failure: Int32? = await withCheckedContinuation { continuation in
            writeQueue.async {
                var offset = 0
                while offset < bytes.count {
                    let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
                    if written < 0 {
                        if errno == EINTR { continue }
                        continuation.resume(returning: errno)
                        return
                    }
                    offset += written
                }
                continuation.resume(returning: nil)
            }
        }
        if let failure { throw SpawnError(description: "writing to the process failed: \(String(cString: strerror(failure)))") }
    }

    /// Closes standard input: the process sees the end of its input.
    public func closeInput() {
        stdinFD.withLock { fd in
            if fd >= 0 { close(fd) }
            fd = -1
        }
    }

    /// The next bytes of standard output, at most 64 KiB; nil at its end.
    public func read() async -> [UInt8]? {
        let fd = stdoutFD
        return await withCheckedContinuation { continuation in
            readQueue.async {
                var buffer = [UInt8](repeating: 0, count: 64 * 1024)
                while true {
                    let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                    if count < 0 && errno == EINTR { continue }
                    if count <= 0 {
                        continuation.resume(returning: nil)
                        return
                    }
                    continuation.resume(returning: Array(buffer[..<count]))
                    return
                }
            }
        }
    }

    /// Waits for the process to exit (closing its input first) and returns how it ended.
    public func wait() async -> Termination {
        closeInput()
        if let status = exitStatus.withLock({ $0 }) { return Self.decode(status) }
        let pid = self.pid
        let status = await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
            Thread.detachNewThread {
                var status: Int32 = 0
                while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
                continuation.resume(returning: status)
            }
        }
        exitStatus.withLock { $0 = status }
        await errorReader.finished()
        return Self.decode(status)
    }

    /// What the process wrote to standard error, line by line (complete once `wait` returned).
    public var standardError: [String] { errorLines.lines.withLock { $0 } }

    /// SIGKILL to the whole process group (a client went away).
    public func kill() {
        _ = Glibc.kill(-pid, SIGKILL)
    }

    private static func decode(_ status: Int32) -> Termination {
        let signal = status & 0x7f
        if signal == 0 { return Termination(exitCode: (status >> 8) & 0xff, signal: nil) }
        return Termination(exitCode: nil, signal: signal)
    }
}

/// The standard error lines of a piped process, shared with its reader thread.
private final class ErrorLines: Sendable {
    let lines = Mutex<[String]>([])
}
