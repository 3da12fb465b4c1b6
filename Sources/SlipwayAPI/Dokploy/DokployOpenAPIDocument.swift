import Foundation
import Yams

/// The OpenAPI document `settings.getOpenApiDocument` answers: the Dokploy dialect as Dokploy's clients read it.
///
/// It is derived from the one document of the whole API (`openapi.yaml`), never written twice: its `/api/...` paths
/// tagged `dokploy`, relative to the server `<scheme>://<host>/api` (Dokploy's clients name an endpoint by its
/// `entity.action` path, such as `/deployment.all`), and the components those paths use, transitively. Paths outside
/// `/api` (the `/listen-deployment` WebSocket) are left out: Dokploy's own document has none either.
enum DokployOpenAPIDocument {
    /// The parts that do not depend on the request, as JSON; nil when openapi.yaml could not be read (a build defect
    /// that the tests catch).
    static let base: Data? = {
        guard let text = String(bytes: OpenAPIDocument.yaml, encoding: .utf8),
            let loaded = try? Yams.load(yaml: text) as? [String: Any]
        else { return nil }
        return try? JSONSerialization.data(withJSONObject: derive(from: loaded), options: [.sortedKeys])
    }()

    /// The document for clients that reach the API at `baseURL` (`http://host:port/api`).
    static func document(baseURL: String) -> Data? {
        guard let base, var document = try? JSONSerialization.jsonObject(with: base) as? [String: Any] else { return nil }
        document["servers"] = [["url": baseURL]]
        document["externalDocs"] = ["url": baseURL + "/settings.getOpenApiDocument"]
        return try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])
    }

    /// The Dokploy part of the whole document.
    static func derive(from whole: [String: Any]) -> [String: Any] {
        var paths: [String: Any] = [:]
        for (path, item) in whole["paths"] as? [String: Any] ?? [:] {
            guard path.hasPrefix("/api/"), let operations = item as? [String: Any], operations.values.contains(where: isDokploy) else { continue }
            paths[String(path.dropFirst("/api".count))] = operations
        }
        let allComponents = whole["components"] as? [String: Any] ?? [:]
        var components: [String: Any] = [:]
        if let schemes = allComponents["securitySchemes"] { components["securitySchemes"] = schemes }
        var pending = references(in: paths)
        var seen = Set<String>()
        while let reference = pending.popLast() {
            guard seen.insert(reference).inserted else { continue }
            // "#/components/<section>/<name>"
            let parts = reference.split(separator: "/").map(String.init)
            guard parts.count == 4, parts[0] == "#", parts[1] == "components",
                let section = allComponents[parts[2]] as? [String: Any], let component = section[parts[3]]
            else { continue }
            var copied = components[parts[2]] as? [String: Any] ?? [:]
            copied[parts[3]] = component
            components[parts[2]] = copied
            pending += references(in: component)
        }
        let info = whole["info"] as? [String: Any] ?? [:]
        return [
            "openapi": whole["openapi"] ?? "3.1.0",
            "info": [
                "title": "Slipway (Dokploy API)",
                "version": info["version"] ?? "1",
                "description": "Dokploy's deployment API as Slipway answers it (docs/dokploy.md).",
            ],
            "paths": paths,
            "components": components,
            "security": whole["security"] ?? [],
            "tags": [["name": "dokploy"]],
        ]
    }

    private static func isDokploy(_ operation: Any) -> Bool {
        ((operation as? [String: Any])?["tags"] as? [String])?.contains("dokploy") ?? false
    }

    /// Every `$ref` under `value`.
    private static func references(in value: Any) -> [String] {
        switch value {
        case let object as [String: Any]:
            var found = (object["$ref"] as? String).map { [$0] } ?? []
            for (key, member) in object where key != "$ref" { found += references(in: member) }
            return found
        case let array as [Any]:
            return array.flatMap(references(in:))
        default:
            return []
        }
    }
}
