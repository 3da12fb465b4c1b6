import Foundation

/// Checks a JSON value against a schema of the OpenAPI document (JSON Schema 2020-12 as OpenAPI 3.1 uses it), for the
/// keywords the document uses: `type` (a name or a list), `const`, `enum`, `properties`, `required`,
/// `additionalProperties`, `propertyNames`, `items`, `minItems`/`maxItems`, `minLength`/`maxLength`, `pattern`,
/// `minimum`/`maximum`, `allOf`/`anyOf`/`oneOf` and `$ref` to the document's own components. `format`, `description`
/// and `default` are annotations only. A keyword it does not know is reported, so that the document cannot outgrow it
/// unnoticed.
public struct JSONSchemaValidator: Sendable {
    /// The whole document, which `$ref`s point into.
    public var document: JSONValue

    public init(document: JSONValue) {
        self.document = document
    }

    /// One way a value breaks its schema.
    public struct Violation: Sendable, Equatable, CustomStringConvertible {
        /// Where in the value (JSON pointer; "" is the whole value).
        public var pointer: String
        /// What the schema asks for.
        public var expected: String
        /// What the value holds there.
        public var got: String

        public var description: String { "at \"\(pointer)\": expected \(expected), got \(got)" }
    }

    static let annotations: Set<String> = ["format", "description", "default", "example", "examples", "title", "deprecated", "readOnly", "writeOnly"]

    /// Every violation of `schema` by `value` (empty: it matches).
    public func violations(of value: JSONValue, against schema: JSONValue, at pointer: String = "") -> [Violation] {
        if case .bool(let allowed) = schema {
            return allowed ? [] : [Violation(pointer: pointer, expected: "nothing (false schema)", got: "\(value)")]
        }
        guard let keywords = schema.objectValue else { return [Violation(pointer: pointer, expected: "a schema", got: "schema \(schema)")] }
        var found: [Violation] = []
        func fail(_ expected: String) { found.append(Violation(pointer: pointer, expected: expected, got: "\(value)")) }
        for (keyword, argument) in keywords {
            switch keyword {
            case "$ref":
                guard let reference = argument.stringValue, reference.hasPrefix("#"), let target = document.value(at: String(reference.dropFirst()))
                else {
                    fail("a resolvable $ref (\(argument))")
                    continue
                }
                found += violations(of: value, against: target, at: pointer)
            case "type":
                let names = argument.arrayValue?.compactMap(\.stringValue) ?? argument.stringValue.map { [$0] } ?? []
                if !names.contains(where: { Self.value(value, hasType: $0) }) { fail("type \(names.joined(separator: " or "))") }
            case "const":
                if value != argument { fail("the constant \(argument)") }
            case "enum":
                if !(argument.arrayValue ?? []).contains(value) { fail("one of \(argument)") }
            case "properties":
                guard case .object = value, let properties = argument.objectValue else { continue }
                for (name, propertySchema) in properties {
                    if let member = value[name] { found += violations(of: member, against: propertySchema, at: pointer + "/" + Self.escape(name)) }
                }
            case "required":
                guard case .object = value else { continue }
                for name in argument.arrayValue?.compactMap(\.stringValue) ?? [] where value[name] == nil {
                    found.append(Violation(pointer: pointer + "/" + Self.escape(name), expected: "the required member \"\(name)\"", got: "none"))
                }
            case "additionalProperties":
                guard let members = value.objectValue else { continue }
                let declared = Set(schema["properties"]?.objectValue?.map(\.key) ?? [])
                for (name, member) in members where !declared.contains(name) {
                    if case .bool(false) = argument {
                        found.append(
                            Violation(
                                pointer: pointer + "/" + Self.escape(name), expected: "no member \"\(name)\" (additionalProperties: false)",
                                got: "\(member)"))
                    } else {
                        found += violations(of: member, against: argument, at: pointer + "/" + Self.escape(name))
                    }
                }
            case "propertyNames":
                for (name, _) in value.objectValue ?? [] {
                    found += violations(of: .string(name), against: argument, at: pointer + "/" + Self.escape(name))
                }
            case "items":
                for (index, item) in (value.arrayValue ?? []).enumerated() {
                    found += violations(of: item, against: argument, at: pointer + "/\(index)")
                }
            case "minItems", "maxItems", "minLength", "maxLength", "minimum", "maximum":
                guard case .number(let limit) = argument else {
                    fail("a number for \(keyword)")
                    continue
                }
                let measure: Double? =
                    switch value {
                    case .array(let items) where keyword.hasSuffix("Items"): Double(items.count)
                    case .string(let text) where keyword.hasSuffix("Length"): Double(text.count)
                    case .number(let number) where keyword == "minimum" || keyword == "maximum": number
                    default: nil
                    }
                if let measure, keyword.hasPrefix("min") ? measure < limit : measure > limit { fail("\(keyword) \(JSONValue.number(limit))") }
            case "pattern":
                guard case .string(let text) = value, let pattern = argument.stringValue else { continue }
                guard let expression = try? NSRegularExpression(pattern: pattern) else {
                    fail("a valid pattern (\(pattern))")
                    continue
                }
                if expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil { fail("a string matching \(pattern)") }
            case "allOf":
                for part in argument.arrayValue ?? [] { found += violations(of: value, against: part, at: pointer) }
            case "anyOf", "oneOf":
                let parts = argument.arrayValue ?? []
                let matching = parts.filter { violations(of: value, against: $0, at: pointer).isEmpty }.count
                if keyword == "anyOf" ? matching == 0 : matching != 1 {
                    fail("\(keyword == "anyOf" ? "at least one" : "exactly one") of \(parts.count) schemas of \(keyword) to match (\(matching) did)")
                }
            default:
                if !Self.annotations.contains(keyword) { fail("a schema keyword the checker knows (\(keyword) is not one)") }
            }
        }
        return found
    }

    static func value(_ value: JSONValue, hasType name: String) -> Bool {
        switch (name, value) {
        case ("null", .null), ("boolean", .bool), ("number", .number), ("string", .string), ("array", .array), ("object", .object): true
        case ("integer", .number): value.typeName == "integer"
        default: false
        }
    }

    static func escape(_ name: String) -> String {
        name.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }
}
