import Foundation
import Hummingbird
import NIOCore
import SlipwayCore

/// Reads JSON request bodies and writes JSON responses, with errors that name the offending field.
enum JSONBody {
    static let maximumSize = 1 << 20

    /// Decodes the body as `T`. An empty body decodes as `{}` so that all-optional bodies may be left out.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: maximumSize)
        } catch {
            throw APIError.bodyTooLarge(limit: maximumSize)
        }
        let data = buffer.readableBytes == 0 ? Data("{}".utf8) : Data(buffer.readableBytesView)
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw problem(error)
        }
    }

    private static func problem(_ error: DecodingError) -> any Error {
        func path(_ codingPath: [any CodingKey], _ key: (any CodingKey)? = nil) -> String {
            let keys = codingPath + (key.map { [$0] } ?? [])
            let joined = keys.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
            return joined.isEmpty ? "body" : joined
        }
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return APIError.malformedBody("the request body is not valid JSON")
        case .dataCorrupted(let context):
            return SlipwayError.invalid(path(context.codingPath), context.debugDescription)
        case .typeMismatch(let type, let context):
            if context.codingPath.isEmpty { return APIError.malformedBody("the request body must be a JSON object") }
            return SlipwayError.invalid(path(context.codingPath), "must be \(describe(type))")
        case .valueNotFound(let type, let context):
            return SlipwayError.invalid(path(context.codingPath), "must be \(describe(type)), not null")
        case .keyNotFound(let key, let context):
            return SlipwayError.invalid(path(context.codingPath, key), "is required")
        @unknown default:
            return APIError.malformedBody("the request body could not be read")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type: "an integer"
        case is Bool.Type: "a boolean"
        case is [Int64].Type, is [Int].Type: "an array of integers"
        case is [String].Type: "an array of strings"
        default: "of type \(type)"
        }
    }

    /// A JSON response.
    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try encoder.encode(value)
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()
}

/// A field that is either absent, `null`, or a value: for PATCH bodies and nullable inputs.
enum Optionality<Value: Decodable & Sendable>: Decodable, Sendable {
    case null
    case value(Value)

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        self = container.decodeNil() ? .null : .value(try container.decode(Value.self))
    }
}

/// Query-string integers with errors that name the parameter.
extension Request {
    func integerQuery(_ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = uri.queryParameters.get(name) else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw SlipwayError.invalid(name, "must be an integer from \(range.lowerBound) to \(range.upperBound), got '\(text)'")
        }
        return number
    }
}
