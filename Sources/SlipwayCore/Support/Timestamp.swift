public import Foundation

/// Timestamps as the APIs show them: ISO-8601 UTC with microseconds, `2026-01-17T13:55:31.000000Z`.
public enum Timestamp {
    /// Formats a date with six fractional digits in UTC.
    public static func format(_ date: Date) -> String {
        let micros = microseconds(date)
        let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        let fraction = micros - seconds * 1_000_000
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
            Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
            Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(fraction)
        )
    }

    /// Microseconds since 1970 (rounded down, as `format` shows them): how the store keeps timestamps,
    /// exact and sortable on every database.
    public static func microseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1_000_000).rounded(.down))
    }

    /// The date for a count of microseconds since 1970.
    public static func date(microseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(microseconds) / 1_000_000)
    }

    /// Now, truncated to the microsecond so that a stored and re-read timestamp compares equal.
    public static func now() -> Date { date(microseconds: microseconds(Date())) }
}
