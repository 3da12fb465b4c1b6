/// The most memory and the most processes one build (with everything it starts) may use. `nil` means no limit.
public struct ResourceLimits: Sendable, Equatable {
    /// The memory limit in bytes; swap is not allowed on top of it where the kernel can tell.
    public var memoryBytes: Int?
    /// The most processes (strictly: tasks, so threads count too) alive at once.
    public var maxProcesses: Int?

    /// Limits with every value given explicitly; both default to "no limit".
    public init(memoryBytes: Int? = nil, maxProcesses: Int? = nil) {
        self.memoryBytes = memoryBytes
        self.maxProcesses = maxProcesses
    }

    /// What a build gets unless configured otherwise: 4 GiB of memory and 1024 processes.
    public static let buildDefaults = ResourceLimits(memoryBytes: 4 * 1024 * 1024 * 1024, maxProcesses: 1024)

    /// No limit at all (the group is still used to find and kill the whole tree).
    public static let unlimited = ResourceLimits()

    /// One line for logs: "memory 4 GiB, 1024 processes".
    public var summary: String {
        let memory = memoryBytes.map { "memory \(Self.describe(bytes: $0))" } ?? "no memory limit"
        let processes = maxProcesses.map { "\($0) processes" } ?? "no process limit"
        return "\(memory), \(processes)"
    }

    private static func describe(bytes: Int) -> String {
        for (unit, size) in [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] where bytes >= size && bytes % size == 0 {
            return "\(bytes / size) \(unit)"
        }
        return "\(bytes) bytes"
    }
}
