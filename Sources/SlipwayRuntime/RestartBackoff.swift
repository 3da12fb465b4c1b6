/// The pause before a crashed service process is started again: 1 s, doubling up to 30 s; a process that ran
/// for at least a minute before it crashed starts over at 1 s.
public struct RestartBackoff: Sendable, Equatable {
    public static let first: Duration = .seconds(1)
    public static let longest: Duration = .seconds(30)
    public static let stableUptime: Duration = .seconds(60)

    private var current: Duration?

    public init() {}

    /// The pause before the next start, after a process that ran for `uptime`.
    public mutating func next(afterUptime uptime: Duration) -> Duration {
        let pause: Duration
        if let current, uptime < Self.stableUptime {
            pause = min(current * 2, Self.longest)
        } else {
            pause = Self.first
        }
        current = pause
        return pause
    }
}
