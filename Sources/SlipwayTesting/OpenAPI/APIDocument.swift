public import Foundation
import SlipwayAPI
public import SlipwayServer

/// The OpenAPI document the server serves, read for checks: which operations it documents (against the router's own
/// route list, both ways) and what a response to each may look like (against the schemas, in the end-to-end tests).
public struct APIDocument: Sendable {
    /// The parsed document.
    public let root: JSONValue
    /// Every documented operation: method (upper case) and OpenAPI path.
    public let operations: [APIRoute]

    static let methods = ["get", "put", "post", "patch", "delete", "head", "options", "trace"]

    /// The document compiled into the server (`Sources/SlipwayAPI/OpenAPI/openapi.yaml`).
    public static let served: APIDocument = {
        do {
            return try APIDocument(yaml: String(decoding: OpenAPIDocument.yaml, as: UTF8.self))
        } catch {
            fatalError("the served OpenAPI document is not YAML: \(error)")
        }
    }()

    public init(yaml: String) throws {
        root = try JSONValue(yaml: yaml)
        guard let paths = root["paths"]?.objectValue else { throw JSONValueError("the document has no paths") }
        operations = paths.flatMap { path, item in
            (item.objectValue ?? []).filter { Self.methods.contains($0.key) }.map { APIRoute(method: $0.key.uppercased(), path: path) }
        }
    }

    /// The OpenAPI spelling of a router path: `:name` and `{name}` segments become `{name}`; anything else stays as
    /// it is, so that a wildcard (`*`, `**`), which OpenAPI cannot express, matches no documented path.
    public static func openAPIPath(_ routerPath: String) -> String {
        let segments = routerPath.split(separator: "/", omittingEmptySubsequences: true).map { segment in
            segment.hasPrefix(":") ? "{\(segment.dropFirst())}" : String(segment)
        }
        return "/" + segments.joined(separator: "/")
    }

    /// What differs between the router's routes and the documented operations.
    public struct RouteDifferences: Sendable, Equatable, CustomStringConvertible {
        /// Routed but not documented (in OpenAPI spelling).
        public var undocumented: [APIRoute] = []
        /// Documented but not routed.
        public var unrouted: [APIRoute] = []

        public init(undocumented: [APIRoute] = [], unrouted: [APIRoute] = []) {
            self.undocumented = undocumented
            self.unrouted = unrouted
        }

        public var isEmpty: Bool { undocumented.isEmpty && unrouted.isEmpty }

        public var description: String {
            (undocumented.map { "routed but not documented: \($0)" } + unrouted.map { "documented but not routed: \($0)" }).joined(separator: "\n")
        }
    }

    /// Compares the router's routes with the documented operations both ways, by method and path (parameter names
    /// included). Each list comes out sorted by path, then method.
    public func differences(from routes: [APIRoute]) -> RouteDifferences {
        let routed = Set(routes.map { APIRoute(method: $0.method, path: Self.openAPIPath($0.path)) })
        let documented = Set(operations)
        let order: (APIRoute, APIRoute) -> Bool = { ($0.path, $0.method) < ($1.path, $1.method) }
        return RouteDifferences(
            undocumented: routed.subtracting(documented).sorted(by: order), unrouted: documented.subtracting(routed).sorted(by: order))
    }

    /// The documented operation a concrete request path and method reach, with the path template; nil if none.
    public func operation(method: String, path: String) -> (template: String, operation: JSONValue)? {
        let requestSegments = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0]
            .split(separator: "/", omittingEmptySubsequences: true)
        let candidates = operations.filter { $0.method == method.uppercased() }.filter { route in
            let templateSegments = route.path.split(separator: "/", omittingEmptySubsequences: true)
            return templateSegments.count == requestSegments.count
                && zip(templateSegments, requestSegments).allSatisfy { template, segment in
                    (template.hasPrefix("{") && template.hasSuffix("}")) || template == segment
                }
        }
        // A literal segment wins over a parameter, as in the router.
        let best = candidates.max { $0.path.filter { $0 == "{" }.count > $1.path.filter { $0 == "{" }.count }
        guard let best, let operation = root["paths"]?[best.path]?[best.method.lowercased()] else { return nil }
        return (best.path, operation)
    }

    /// A `$ref` (`#/components/...`) followed to its target; anything else as it is.
    public func resolved(_ value: JSONValue) -> JSONValue {
        var value = value
        for _ in 0..<10 {
            guard let reference = value["$ref"]?.stringValue, reference.hasPrefix("#"), let target = root.value(at: String(reference.dropFirst()))
            else {
                return value
            }
            value = target
        }
        return value
    }

    /// What is wrong with a response to a documented operation: a status the operation does not list, a JSON body
    /// where it documents none, or a JSON body that breaks the schema of its status. Empty for a response that
    /// matches, and for a request to no documented operation (the edge, a path the document does not name).
    public func problems(method: String, path: String, status: Int, contentType: String?, body: Data) -> [String] {
        guard let (template, operation) = operation(method: method, path: path) else { return [] }
        let operationName = "\(method.uppercased()) \(template)"
        guard let responses = operation["responses"], let response = responses["\(status)"] ?? responses["\(status / 100)XX"] ?? responses["default"]
        else {
            return [
                "\(operationName) answered \(status), which the document does not list for it (\(String(decoding: body.prefix(300), as: UTF8.self)))"
            ]
        }
        let mediaType = contentType?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        guard mediaType == "application/json" || mediaType.hasSuffix("+json") else { return [] }
        guard let content = resolved(response)["content"]?.objectValue, let documented = content.first(where: { $0.key == mediaType })?.value else {
            return ["\(operationName) answered \(status) with \(mediaType), which the document does not list for that status"]
        }
        guard let schema = documented["schema"] else { return [] }
        guard let value = JSONValue(json: body) else {
            return ["\(operationName) answered \(status) with a body that is not JSON: \(String(decoding: body.prefix(300), as: UTF8.self))"]
        }
        return JSONSchemaValidator(document: root).violations(of: value, against: schema).map {
            "\(operationName) (\(path)) answered \(status) with a body that breaks its schema \($0)"
        }
    }
}

/// A response that does not match the OpenAPI document.
public struct APIDocumentMismatch: Error, CustomStringConvertible {
    public var problems: [String]
    public var description: String { "the response does not match the OpenAPI document:\n" + problems.joined(separator: "\n") }
}

extension APIDocument {
    /// Throws `APIDocumentMismatch` for a response that does not match the document (see `problems`).
    public func check(method: String, path: String, status: Int, contentType: String?, body: Data) throws {
        let problems = problems(method: method, path: path, status: status, contentType: contentType, body: body)
        if !problems.isEmpty { throw APIDocumentMismatch(problems: problems) }
    }
}
