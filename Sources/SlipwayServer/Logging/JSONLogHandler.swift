public import Foundation
public import Logging
import Synchronization

/// A swift-log handler writing one JSON object per line (`slipway serve --log-format json`, docs/operations.md "Logs"):
/// `{"time":"2026-12-04T20:56:06.123Z","level":"info","label":"slipway","message":"…","metadata":{…}}`, keys in that
/// order, `metadata` always present (an empty object when there is none), nested metadata as nested JSON.
public struct JSONLogHandler: LogHandler {
    /// Where the lines go: one write per line, under a lock, so lines of concurrent tasks never interleave.
    public final class Output: Sendable {
        private let lock = Mutex(())
        private let write: @Sendable (String) -> Void

        /// Lines to `write` (a test's collector).
        public init(_ write: @escaping @Sendable (String) -> Void) {
            self.write = write
        }

        /// Standard error, where `slipway serve` logs.
        public static let standardError = Output { line in FileHandle.standardError.write(Data(line.utf8)) }

        func emit(_ line: String) {
            lock.withLock { _ in write(line) }
        }
    }

    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let output: Output
    let now: @Sendable () -> Date

    /// A handler for `label` writing to `output`, stamping lines with `now`.
    public init(label: String, output: Output = .standardError, now: @escaping @Sendable () -> Date = { Date() }) {
        self.label = label
        self.output = output
        self.now = now
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(
        level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String, file: String, function: String,
        line: UInt
    ) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let explicit { merged.merge(explicit) { _, new in new } }
        output.emit(Self.line(time: now(), level: level, label: label, message: message.description, metadata: merged))
    }

    /// One log line, ending in a newline.
    static func line(time: Date, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) -> String {
        var text = "{\"time\":"
        appendString(Self.timestamp(time), to: &text)
        text += ",\"level\":"
        appendString(level.rawValue, to: &text)
        text += ",\"label\":"
        appendString(label, to: &text)
        text += ",\"message\":"
        appendString(message, to: &text)
        text += ",\"metadata\":"
        appendDictionary(metadata, to: &text)
        text += "}\n"
        return text
    }

    /// ISO 8601 in UTC with milliseconds: `2026-12-04T20:56:06.123Z`.
    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    private static func appendDictionary(_ metadata: Logger.Metadata, to text: inout String) {
        text += "{"
        for (index, key) in metadata.keys.sorted().enumerated() {
            if index > 0 { text += "," }
            appendString(key, to: &text)
            text += ":"
            appendValue(metadata[key]!, to: &text)
        }
        text += "}"
    }

    private static func appendValue(_ value: Logger.Metadata.Value, to text: inout String) {
        switch value {
        case .string(let string): appendString(string, to: &text)
        case .stringConvertible(let convertible): appendString(convertible.description, to: &text)
        case .dictionary(let dictionary): appendDictionary(dictionary, to: &text)
        case .array(let array):
            text += "["
            for (index, element) in array.enumerated() {
                if index > 0 { text += "," }
                appendValue(element, to: &text)
            }
            text += "]"
        }
    }

    /// `string` as a JSON string: quotes, backslashes and control characters escaped (RFC 8259 §7).
    static func appendString(_ string: String, to text: inout String) {
        text += "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20:
                text += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }
}

/// How `slipway serve` writes its log (`--log-format`, `SLIPWAY_LOG_FORMAT`).
public enum LogFormat: String, Sendable, CaseIterable {
    /// swift-log's own lines, for a person at a terminal.
    case text
    /// One JSON object per line (`JSONLogHandler`), for a log collector.
    case json

    /// The format `text` names; `name` is the flag or variable named in the error.
    public static func parse(_ text: String, name: String) throws -> LogFormat {
        guard let format = LogFormat(rawValue: text.lowercased()) else {
            throw ConfigurationError("\(name) must be text or json, got '\(text)'")
        }
        return format
    }
}
