import Foundation
import Hummingbird
import NIOCore
import ServiceLifecycle
import SlipwayCore

/// `GET /api/v1/deployments/{id}/logs`: a deployment's log as JSON pages by byte offset, or, with
/// `Accept: text/event-stream`, a live Server-Sent Events stream that follows it until the deployment ends (docs/logs.md).
struct V1LogsController {
    /// Deployment logs.
    let logReader: any DeploymentLogReader
    /// Projects and deployments by the references of the native API's paths.
    let lookup: V1Lookup
    /// Deployment records: a follower sees when its deployment ends.
    let deployments: any DeploymentRepository
    /// Wakes followers when a log grows or a state changes.
    let activity: DeploymentActivity
    var configuration = LogEventStream.Configuration()

    /// Adds the logs route to the authenticated `/api/v1` group.
    func addRoutes(to group: RouterGroup<SlipwayRequestContext>) {
        group.get("deployments/:deployment/logs", use: logs)
    }

    /// One page of the JSON answer. `total` counts the lines in `data`; an empty `data` means the log has no more lines yet.
    struct LogPage: Encodable {
        /// One line with the offset just past it (where the next page starts when it is the last line).
        struct Line: Encodable {
            var line: String
            var ts: String
            var stream: LogStream
            /// The stage, or `runtime` for what a live service printed after its deployment ended.
            var stage: String?
            var offset: Int64
            /// The line's number (1 = the first), in numbered answers only.
            var number: Int?

            /// Encodes `stage` as `null` when absent, so every line has the same keys; `number` only when numbered.
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(line, forKey: .line)
                try container.encode(ts, forKey: .ts)
                try container.encode(stream, forKey: .stream)
                try container.encode(stage, forKey: .stage)
                try container.encode(offset, forKey: .offset)
                try container.encodeIfPresent(number, forKey: .number)
            }
            /// The JSON keys of a line.
            enum CodingKeys: String, CodingKey { case line, ts, stream, stage, offset, number }
        }
        var data: [Line]
        var total: Int
        var nextOffset: Int64
        var state: DeploymentState
        /// The whole log's line count now, in numbered answers only.
        var lines: Int?

        /// The JSON keys of a page.
        enum CodingKeys: String, CodingKey {
            case data, total, state, lines
            case nextOffset = "next_offset"
        }
    }

    /// Which lines a filtered page keeps (`contains=`, `errors=true`; docs/logs.md "Filters").
    struct LineFilter {
        /// Lower-cased text a line must contain.
        var text: String?
        /// Only error lines: stream `stderr`, or text containing `error` or `fail` in any case.
        var errorsOnly = false

        /// Whether `line` is kept.
        func keeps(_ line: LogLine) -> Bool {
            let lowered = line.text.lowercased()
            if let text, !lowered.contains(text) { return false }
            if errorsOnly { return line.stream == .stderr || lowered.contains("error") || lowered.contains("fail") }
            return true
        }
    }

    /// The most lines one filtered page looks at before it answers (`next_offset` says where it stopped).
    static let filterScanBudget = 100_000

    /// Answers JSON, or an event stream when the client accepts `text/event-stream`.
    @Sendable func logs(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.read)
        let (deployment, _) = try await lookup.deployment(context.parameters.get("deployment"), identity)
        let after = try request.integerQuery("after", default: 0, range: 0...Int.max)
        if request.acceptsEventStream {
            let start = try request.lastEventID ?? Int64(after)
            let stream = LogEventStream(
                deployment: deployment, start: start, logs: logReader, deployments: deployments, activity: activity, configuration: configuration)
            var headers = HTTPFields()
            headers[.contentType] = "text/event-stream"
            headers[.cacheControl] = "no-cache"
            // Reverse proxies such as nginx would otherwise buffer the stream.
            headers[.init("X-Accel-Buffering")!] = "no"
            return Response(status: .ok, headers: headers, body: ResponseBody { writer in try await stream.run(writer: &writer) })
        }
        let limit = try request.integerQuery("limit", default: 1000, range: 1...10_000)
        let query = request.uri.queryParameters
        var filter = LineFilter()
        if let text = query.get("contains") {
            guard (1...200).contains(text.unicodeScalars.count) else {
                throw SlipwayError.invalid("contains", "must be 1 to 200 characters, got \(text.unicodeScalars.count)")
            }
            filter.text = text.lowercased()
        }
        switch query.get("errors") {
        case nil, "false": break
        case "true": filter.errorsOnly = true
        case let other?: throw SlipwayError.invalid("errors", "must be 'true' or 'false', got '\(other.prefix(40))'")
        }
        var start = Int64(after)
        if query.get("line") != nil {
            guard query.get("after") == nil else { throw SlipwayError.invalid("line", "give either 'after' or 'line', not both") }
            let line = try request.integerQuery("line", default: 1, range: 1...Int.max)
            start = try logReader.position(ofLine: line, deploymentUID: deployment.uid).offset
        }
        let numbered = query.get("line") != nil || filter.text != nil || filter.errorsOnly
        guard numbered else {
            let chunk = try logReader.read(deploymentUID: deployment.uid, from: start, limit: limit)
            var timestamps = LogTimestampFormatter()
            let lines = chunk.lines.map {
                LogPage.Line(
                    line: $0.line.text, ts: timestamps.string($0.line.timestamp), stream: $0.line.stream,
                    stage: LogEventStream.stageLabel(of: $0.line), offset: $0.offset)
            }
            return try JSONBody.response(LogPage(data: lines, total: lines.count, nextOffset: chunk.nextOffset, state: deployment.state))
        }
        return try JSONBody.response(try numberedPage(deployment, from: start, limit: limit, filter: filter))
    }

    /// A page whose lines carry their numbers, filtered when asked: reads on from `start` until `limit` lines are
    /// kept, the log ends, or `filterScanBudget` lines were looked at; `next_offset` is where it stopped.
    private func numberedPage(_ deployment: Deployment, from start: Int64, limit: Int, filter: LineFilter) throws -> LogPage {
        let filtered = filter.text != nil || filter.errorsOnly
        var kept: [LogPage.Line] = []
        var timestamps = LogTimestampFormatter()
        var offset = start
        var looked = 0
        var number: Int?
        reading: while kept.count < limit, looked < Self.filterScanBudget {
            let chunk = try logReader.read(
                deploymentUID: deployment.uid, from: offset, limit: filtered ? min(2_000, Self.filterScanBudget - looked) : limit - kept.count)
            guard let first = chunk.lines.first else {
                offset = max(offset, chunk.nextOffset)
                break
            }
            // A line's number is how many whole lines end at or before its own end: counted once for the first line
            // of the page, then one more for each line read.
            var current = try number ?? logReader.position(ofOffset: first.offset, deploymentUID: deployment.uid).linesBefore
            for (lineOffset, line) in chunk.lines {
                looked += 1
                offset = lineOffset
                if filter.keeps(line) {
                    kept.append(
                        LogPage.Line(
                            line: line.text, ts: timestamps.string(line.timestamp), stream: line.stream,
                            stage: LogEventStream.stageLabel(of: line), offset: lineOffset, number: current))
                    if kept.count == limit { break reading }
                }
                current += 1
            }
            number = current
            offset = chunk.nextOffset
            if !filtered { break }
        }
        let count = try logReader.position(ofOffset: offset, deploymentUID: deployment.uid).lineCount
        return LogPage(data: kept, total: kept.count, nextOffset: offset, state: deployment.state, lines: count)
    }
}

/// What an event-stream client asks for.
extension Request {
    /// Whether the `Accept` header lists `text/event-stream` (with a non-zero quality).
    var acceptsEventStream: Bool {
        headers[values: .accept].lazy.flatMap { $0.split(separator: ",") }.contains { range in
            let parts = range.split(separator: ";").map { $0.replacingOccurrences(of: " ", with: "").lowercased() }
            guard parts.first == "text/event-stream" else { return false }
            let quality = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            return quality > 0
        }
    }

    /// The `Last-Event-ID` an event-stream client sends when it reconnects: the byte offset to resume after.
    var lastEventID: Int64? {
        get throws {
            guard let text = headers[.init("Last-Event-ID")!]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            guard let offset = Int64(text), offset >= 0 else {
                throw SlipwayError.invalid("Last-Event-ID", "must be a byte offset this stream sent as an event id, got '\(text)'")
            }
            return offset
        }
    }
}

/// Follows one deployment's log as Server-Sent Events: every line as it is written (`id:` the byte offset just past it,
/// `data:` `{line, ts, stream, stage}`), a `: keep-alive` comment while nothing happens, and once the deployment has
/// ended and every line is sent, `event: end` with its final state; then the stream closes. With `framing`
/// `.webSocket` the same follow writes the frames of Dokploy's `/listen-deployment` instead (`WebSocketFrame`).
///
/// Never holds the log: it reads a chunk, writes it (the writer waits while the client is slow), and reads the next.
/// It waits on `DeploymentActivity` rather than polling; a slow fallback re-check covers changes nobody announced.
struct LogEventStream: Sendable {
    /// Timings of the stream.
    struct Configuration: Sendable {
        /// A comment is sent after this long without any write, so proxies and clients keep the connection.
        var keepAliveInterval: Duration = .seconds(15)
        /// The longest wait for activity before the state is checked again anyway.
        var fallbackInterval: Duration = .seconds(2)
        /// The shortest time between two reads of the deployment's state (a wake-up with no new line may be a state change).
        var stateCheckInterval: Duration = .milliseconds(50)
        /// A deployment that ended less than this ago may still get a last line just after its final state was saved …
        var recentlyEnded: TimeInterval = 2
        /// … so the stream waits until its log has been quiet this long before it sends `end`.
        var quietPeriod: Duration = .milliseconds(100)
        /// Lines read (and written) at a time.
        var linesPerRead = 2000
    }

    /// How the stream is written on the wire.
    enum Framing: Sendable {
        /// Server-Sent Events (the native log follow, docs/logs.md).
        case serverSentEvents
        /// The body after a `101 Switching Protocols`: WebSocket frames, one text frame per line (its text and a
        /// newline, as Dokploy's `tail -f` sends them), a ping as keep-alive, a close frame at the end.
        case webSocket
    }

    let deployment: Deployment
    let start: Int64
    let logs: any DeploymentLogReader
    let deployments: any DeploymentRepository
    let activity: DeploymentActivity
    let configuration: Configuration
    var framing = Framing.serverSentEvents

    /// Writes the stream until the deployment has ended (then `end`), the server shuts down, or the client goes away.
    func run(writer: inout any ResponseBodyWriter) async throws {
        let clock = ContinuousClock()
        let uid = deployment.uid
        var offset = start
        var lastWrite = clock.now
        if framing == .serverSentEvents {
            // Tells EventSource clients to reconnect after 2 s (with Last-Event-ID) if the connection drops.
            try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
        }
        var nextStateCheck = clock.now
        var ended = false
        while !Task.isShuttingDownGracefully {
            let generation = activity.generation(of: uid)
            if try await sendLines(writer: &writer, offset: &offset) {
                lastWrite = clock.now
                continue
            }
            // The log has nothing new. The state is read before the last read of the log, so every line written
            // before the deployment ended is sent; at most once per `stateCheckInterval`, as a noisy build wakes
            // the stream for every line.
            let checksState = clock.now >= nextStateCheck
            if checksState {
                nextStateCheck = clock.now + configuration.stateCheckInterval
                guard let current = try await deployments.deployment(id: deployment.id, workspaceID: deployment.workspaceID)
                else {
                    // Deleted while followed: nothing more will come.
                    if framing == .webSocket { try await writer.write(WebSocketFrame.close(code: 1000, reason: "deployment deleted")) }
                    ended = true
                    break
                }
                if current.state.isFinished {
                    try await drainAfterEnd(current, writer: &writer, offset: &offset)
                    switch framing {
                    case .serverSentEvents: try await writer.write(Self.endEvent(current))
                    case .webSocket: try await writer.write(WebSocketFrame.close(code: 1000, reason: "deployment \(current.state.rawValue)"))
                    }
                    ended = true
                    break
                }
            }
            if clock.now - lastWrite >= configuration.keepAliveInterval {
                switch framing {
                case .serverSentEvents: try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                case .webSocket: try await writer.write(WebSocketFrame.ping())
                }
                lastWrite = clock.now
            }
            let untilKeepAlive = configuration.keepAliveInterval - (clock.now - lastWrite)
            var timeout = min(configuration.fallbackInterval, untilKeepAlive)
            if !checksState {
                // Woken with nothing new to send, too soon after the last check: check again as soon as allowed.
                timeout = min(timeout, max(nextStateCheck - clock.now, .milliseconds(1)))
            }
            let activity = activity
            await cancelWhenGracefulShutdown { [timeout] in await activity.wait(for: uid, after: generation, timeout: timeout) }
        }
        // On shutdown the stream closes without `end`: the client reconnects with Last-Event-ID. A WebSocket says
        // "going away".
        if !ended, framing == .webSocket {
            try await writer.write(WebSocketFrame.close(code: 1001, reason: "server shutting down"))
        }
        try await writer.finish(nil)
    }

    /// Sends every whole line after `offset`, chunk by chunk; whether there was any.
    private func sendLines(writer: inout any ResponseBodyWriter, offset: inout Int64) async throws -> Bool {
        var sent = false
        var timestamps = LogTimestampFormatter()
        while !Task.isShuttingDownGracefully {
            let chunk = try logs.read(deploymentUID: deployment.uid, from: offset, limit: configuration.linesPerRead)
            offset = max(offset, chunk.nextOffset)
            guard !chunk.lines.isEmpty else { break }
            var buffer = ByteBuffer()
            buffer.reserveCapacity(chunk.lines.count * 160)
            switch framing {
            case .serverSentEvents:
                for (lineOffset, line) in chunk.lines { Self.writeLineEvent(line, id: lineOffset, to: &buffer, timestamps: &timestamps) }
            case .webSocket:
                for (_, line) in chunk.lines { WebSocketFrame.writeText(line.text + "\n", to: &buffer) }
            }
            try await writer.write(buffer)
            sent = true
        }
        return sent
    }

    /// The runner may write a last line just after it saved the final state; a deployment that ended moments ago
    /// is followed until its log has been quiet for `quietPeriod`. One that ended earlier has nothing more to come.
    private func drainAfterEnd(_ ended: Deployment, writer: inout any ResponseBodyWriter, offset: inout Int64) async throws {
        while true {
            let generation = activity.generation(of: deployment.uid)
            _ = try await sendLines(writer: &writer, offset: &offset)
            let endedAt = ended.completedAt ?? ended.updatedAt
            guard Date().timeIntervalSince(endedAt) < configuration.recentlyEnded, !Task.isShuttingDownGracefully else { return }
            await activity.wait(for: deployment.uid, after: generation, timeout: configuration.quietPeriod)
            if activity.generation(of: deployment.uid) == generation { return }
        }
    }

    /// The `stage` of a line in the API: its stage's name, `runtime` for a live service's own lines, or nil.
    static func stageLabel(of line: LogLine) -> String? {
        line.isRuntime ? "runtime" : line.stage?.rawValue
    }

    /// `id: <offset>` and `data: {"line":…,"ts":…,"stream":…,"stage":…}` (the default `message` event).
    static func writeLineEvent(_ line: LogLine, id: Int64, to buffer: inout ByteBuffer, timestamps: inout LogTimestampFormatter) {
        buffer.writeStaticString("id: ")
        buffer.writeString(String(id))
        buffer.writeStaticString("\ndata: {\"line\":")
        writeJSONString(line.text, to: &buffer)
        buffer.writeStaticString(",\"ts\":\"")
        timestamps.write(line.timestamp, to: &buffer)
        buffer.writeStaticString("\",\"stream\":\"")
        buffer.writeString(line.stream.rawValue)
        if let stage = stageLabel(of: line) {
            buffer.writeStaticString("\",\"stage\":\"")
            buffer.writeString(stage)
            buffer.writeStaticString("\"}\n\n")
        } else {
            buffer.writeStaticString("\",\"stage\":null}\n\n")
        }
    }

    /// `event: end` with `{"state": …, "status": <native status>, "error": …}`.
    static func endEvent(_ deployment: Deployment) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeString("event: end\ndata: {\"state\":\"\(deployment.state.rawValue)\",\"status\":\(deployment.state.nativeStatus),\"error\":")
        if let error = deployment.error {
            writeJSONString(error, to: &buffer)
        } else {
            buffer.writeString("null")
        }
        buffer.writeString("}\n\n")
        return buffer
    }

    /// A JSON string literal. Every control character is escaped, so the event's `data:` stays on one line.
    static func writeJSONString(_ text: String, to buffer: inout ByteBuffer) {
        var text = text
        buffer.writeInteger(UInt8(ascii: "\""))
        text.withUTF8 { bytes in
            var runStart = 0
            for index in bytes.indices {
                let byte = bytes[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                buffer.writeBytes(UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                switch byte {
                case UInt8(ascii: "\""): buffer.writeStaticString("\\\"")
                case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
                case UInt8(ascii: "\n"): buffer.writeStaticString("\\n")
                case UInt8(ascii: "\r"): buffer.writeStaticString("\\r")
                case UInt8(ascii: "\t"): buffer.writeStaticString("\\t")
                default:
                    // Below 0x20: `\u00` then two hex digits, the first 0 or 1.
                    let low = byte & 0x0F
                    buffer.writeStaticString("\\u00")
                    buffer.writeInteger(UInt8(ascii: "0") + (byte >> 4))
                    buffer.writeInteger(low < 10 ? UInt8(ascii: "0") + low : UInt8(ascii: "a") + low - 10)
                }
                runStart = index + 1
            }
            buffer.writeBytes(UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count]))
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }
}

/// Formats log timestamps exactly as `Timestamp.format` does, but reuses the date and time of day while the second
/// stays the same: `String(format:)` costs several µs, too much for a million lines.
struct LogTimestampFormatter {
    private var second = Int64.min
    private var prefix = ""

    /// `2026-01-17T13:55:31.123456Z` into `buffer`.
    mutating func write(_ date: Date, to buffer: inout ByteBuffer) {
        let micros = Timestamp.microseconds(date)
        let second = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        if second != self.second {
            self.second = second
            prefix = String(Timestamp.format(date).dropLast(7))  // "2026-01-17T13:55:31."
        }
        buffer.writeString(prefix)
        var fraction = micros - second * 1_000_000
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, UInt8(ascii: "Z"))
        withUnsafeMutableBytes(of: &digits) { bytes in
            for position in stride(from: 5, through: 0, by: -1) {
                bytes[position] = UInt8(ascii: "0") + UInt8(fraction % 10)
                fraction /= 10
            }
            buffer.writeBytes(bytes)
        }
    }

    /// The same as a `String`, for the JSON answer.
    mutating func string(_ date: Date) -> String {
        var buffer = ByteBuffer()
        write(date, to: &buffer)
        return String(buffer: buffer)
    }
}
