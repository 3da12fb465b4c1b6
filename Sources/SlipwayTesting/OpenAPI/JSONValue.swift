public import Foundation
import Yams

/// A JSON value, from a response body or from the OpenAPI document (YAML read with the JSON types it resolves to).
public indirect enum JSONValue: Sendable, Equatable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    /// Members in the order they were written.
    case object([(key: String, value: JSONValue)])

    /// Parses JSON text; nil if it is not JSON.
    public init?(json data: Data) {
        guard let value = try? JSONDecoder().decode(Decoded.self, from: data) else { return nil }
        self = value.value
    }

    /// Parses YAML text with YAML's core types (a quoted `"200"` stays a string, `true` is a boolean).
    public init(yaml text: String) throws {
        guard let node = try Yams.compose(yaml: text) else { throw JSONValueError("the YAML text holds no document") }
        self = try JSONValue(node)
    }

    private init(_ node: Node) throws {
        switch node {
        case .scalar(let scalar):
            switch Tag.Name(rawValue: node.tag.description) {
            case .null: self = .null
            case .bool:
                guard let value = node.bool else { throw JSONValueError("not a boolean: \(scalar.string)") }
                self = .bool(value)
            case .int, .float:
                guard let value = node.float else { throw JSONValueError("not a number: \(scalar.string)") }
                self = .number(value)
            default: self = .string(scalar.string)
            }
        case .sequence(let sequence):
            self = .array(try sequence.map { try JSONValue($0) })
        case .mapping(let mapping):
            self = .object(
                try mapping.map { pair in
                    guard case .scalar(let key) = pair.key else { throw JSONValueError("a mapping key that is not a scalar") }
                    return (key.string, try JSONValue(pair.value))
                })
        }
    }

    /// The member `key` of an object (the first one if written twice), nil for anything else.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// The value a JSON pointer (RFC 6901) names, such as `/components/schemas/NativeToken`.
    public func value(at pointer: String) -> JSONValue? {
        var value = self
        for token in pointer.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
            let name = token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            switch value {
            case .object: guard let member = value[name] else { return nil }; value = member
            case .array(let items):
                guard let index = Int(name), items.indices.contains(index) else { return nil }
                value = items[index]
            default: return nil
            }
        }
        return value
    }

    public var stringValue: String? { if case .string(let text) = self { text } else { nil } }
    public var arrayValue: [JSONValue]? { if case .array(let items) = self { items } else { nil } }
    public var objectValue: [(key: String, value: JSONValue)]? { if case .object(let members) = self { members } else { nil } }

    /// The JSON Schema type name of this value (`integer` for a whole number).
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number(let number): number.rounded() == number && number.isFinite ? "integer" : "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    /// Compact JSON text, cut to a readable length for messages.
    public var description: String {
        let text: String
        switch self {
        case .null: text = "null"
        case .bool(let value): text = "\(value)"
        case .number(let number): text = number.rounded() == number && abs(number) < 1e15 ? "\(Int64(number))" : "\(number)"
        case .string(let string): text = "\"" + string.replacingOccurrences(of: "\"", with: "\\\"") + "\""
        case .array(let items): text = "[" + items.map(\.description).joined(separator: ",") + "]"
        case .object(let members): text = "{" + members.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}"
        }
        return text.count > 200 ? String(text.prefix(200)) + "…" : text
    }

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case (.bool(let left), .bool(let right)): left == right
        case (.number(let left), .number(let right)): left == right
        case (.string(let left), .string(let right)): left == right
        case (.array(let left), .array(let right)): left == right
        case (.object(let left), .object(let right)):
            left.count == right.count && left.allSatisfy { member in right.contains { $0.key == member.key && $0.value == member.value } }
        default: false
        }
    }

    /// JSON text decoded through `Decodable`, which tells booleans from numbers.
    private struct Decoded: Decodable {
        var value: JSONValue

        init(from decoder: any Decoder) throws {
            if var items = try? decoder.unkeyedContainer() {
                var values: [JSONValue] = []
                while !items.isAtEnd { values.append(try items.decode(Decoded.self).value) }
                value = .array(values)
            } else if let members = try? decoder.container(keyedBy: AnyKey.self) {
                value = .object(try members.allKeys.map { ($0.stringValue, try members.decode(Decoded.self, forKey: $0).value) })
            } else {
                let single = try decoder.singleValueContainer()
                if single.decodeNil() {
                    value = .null
                } else if let bool = try? single.decode(Bool.self) {
                    value = .bool(bool)
                } else if let number = try? single.decode(Double.self) {
                    value = .number(number)
                } else {
                    value = .string(try single.decode(String.self))
                }
            }
        }
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

/// YAML or JSON that is not what the checks expect.
public struct JSONValueError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
