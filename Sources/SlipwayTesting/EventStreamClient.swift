public import AsyncHTTPClient
import Foundation
import NIOCore
public import NIOHTTP1

/// One event of a Server-Sent Events stream, as a browser's `EventSource` would dispatch it.
public struct ServerSentEvent: Sendable, Equatable {
    /// The `id:` of the event, or the last id seen before it (what a reconnect sends as `Last-Event-ID`).
    public var id: String?
    /// The `event:` field; `message` when the server sent none.
    public var event: String
    /// The `data:` lines, joined by newlines.
    public var data: String

    /// An event with these fields.
    public init(id: String?, event: String = "message", data: String) {
        self.id = id
        self.event = event
        self.data = data
    }

    /// `data` decoded as JSON with snake_case keys.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(T.self, from: Data(data.utf8))
    }
}

/// What a Server-Sent Events stream carries: events, and comments (lines starting with `:`, e.g. keep-alives).
public enum EventStreamItem: Sendable, Equatable {
    case event(ServerSentEvent)
    case comment(String)
}

/// An open event stream: the response's status and headers, and its items as they arrive.
public struct EventStreamResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    /// The parsed stream; it finishes when the server closes the response.
    public var items: EventStreamItems
}

/// Opens Server-Sent Events streams over AsyncHTTPClient, reading the body as it arrives (never collecting it).
public struct EventStreamClient: Sendable {
    public let httpClient: HTTPClient

    /// A client on `HTTPClient.shared` (which has no read timeout, so a quiet stream stays open).
    public init(httpClient: HTTPClient = .shared) {
        self.httpClient = httpClient
    }

    /// Sends `GET url` with `Accept: text/event-stream` and the given headers; returns once the response head arrived.
    public func open(_ url: String, headers: [(String, String)] = []) async throws -> EventStreamResponse {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        request.headers.add(name: "Accept", value: "text/event-stream")
        for (name, value) in headers { request.headers.replaceOrAdd(name: name, value: value) }
        let response = try await httpClient.execute(request, timeout: .seconds(30))
        return EventStreamResponse(status: Int(response.status.code), headers: response.headers, items: EventStreamItems(body: response.body))
    }
}

/// The items of an event stream, parsed as the HTML standard's event-stream format says
/// (lines end with LF, CR or CRLF; a blank line dispatches the event; `id`, `event`, `data`, comments).
public struct EventStreamItems: AsyncSequence, Sendable {
    public typealias Element = EventStreamItem
    let body: HTTPClientResponse.Body

    /// An iterator that parses the body as it arrives.
    public func makeAsyncIterator() -> Iterator {
        Iterator(body: body.makeAsyncIterator())
    }

    /// Parses the body chunk by chunk; keeps only the current, unfinished line and event.
    public struct Iterator: AsyncIteratorProtocol {
        var body: HTTPClientResponse.Body.AsyncIterator
        var parser = EventStreamParser()
        var ready: [EventStreamItem] = []
        var finished = false

        /// The next event or comment; nil when the server closed the stream.
        public mutating func next() async throws -> EventStreamItem? {
            while ready.isEmpty {
                if finished { return nil }
                if let buffer = try await body.next() {
                    ready = parser.feed(Array(buffer.readableBytesView))
                } else {
                    finished = true
                    ready = parser.finish()
                }
            }
            return ready.removeFirst()
        }
    }
}

/// The event-stream parser itself, fed with bytes as they arrive.
public struct EventStreamParser: Sendable {
    private var line: [UInt8] = []
    private var lastByteWasCR = false
    private var lastEventID: String?
    private var eventType = ""
    private var data: [String] = []
    private var hasData = false

    /// A parser at the start of a stream.
    public init() {}

    /// Parses the next bytes; returns the items they complete.
    public mutating func feed(_ bytes: [UInt8]) -> [EventStreamItem] {
        var items: [EventStreamItem] = []
        for byte in bytes {
            if lastByteWasCR {
                lastByteWasCR = false
                if byte == UInt8(ascii: "\n") { continue }
            }
            switch byte {
            case UInt8(ascii: "\r"):
                lastByteWasCR = true
                processLine(into: &items)
            case UInt8(ascii: "\n"):
                processLine(into: &items)
            default:
                line.append(byte)
            }
        }
        return items
    }

    /// The end of the stream: an unfinished event is dropped, as the standard says.
    public mutating func finish() -> [EventStreamItem] {
        line = []
        data = []
        hasData = false
        return []
    }

    /// Handles one complete line: a field, a comment, or the blank line that dispatches the event.
    private mutating func processLine(into items: inout [EventStreamItem]) {
        let text = String(decoding: line, as: UTF8.self)
        line.removeAll(keepingCapacity: true)
        if text.isEmpty {
            if hasData {
                items.append(
                    .event(ServerSentEvent(id: lastEventID, event: eventType.isEmpty ? "message" : eventType, data: data.joined(separator: "\n"))))
            }
            data = []
            hasData = false
            eventType = ""
            return
        }
        if text.hasPrefix(":") {
            items.append(.comment(String(text.dropFirst()).trimmingCharacters(in: .whitespaces)))
            return
        }
        let field: Substring
        var value: Substring
        if let colon = text.firstIndex(of: ":") {
            field = text[..<colon]
            value = text[text.index(after: colon)...]
            if value.hasPrefix(" ") { value = value.dropFirst() }
        } else {
            field = text[...]
            value = ""
        }
        switch field {
        case "data":
            data.append(String(value))
            hasData = true
        case "event": eventType = String(value)
        case "id" where !value.contains("\0"): lastEventID = String(value)
        default: break  // `retry` and unknown fields
        }
    }
}

/// Following deployment logs on the test server.
extension TestServer {
    /// Follows a deployment's log as an event stream with the admin token; `lastEventID` and `after` resume it.
    public func followLogs(_ deploymentID: Int64, lastEventID: Int64? = nil, after: Int64? = nil) async throws -> EventStreamResponse {
        var headers = [("Authorization", "Bearer \(adminToken)")]
        if let lastEventID { headers.append(("Last-Event-ID", String(lastEventID))) }
        let query = after.map { "?after=\($0)" } ?? ""
        return try await EventStreamClient().open(baseURL + "/api/v1/deployments/\(deploymentID)/logs" + query, headers: headers)
    }
}
