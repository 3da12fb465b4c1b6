import AsyncHTTPClient
import Foundation
import Hummingbird
import NIOHTTP1
import SlipwayServer
import SlipwayTesting
import Testing

/// `GET /openapi.yaml` (Sources/SlipwayAPI/OpenAPI/openapi.yaml, compiled into the binary), checked against the
/// router's own route list both ways; the end-to-end tests check their answers against its schemas (`TestServer.send`,
/// `TestServer.client`).
@Suite struct OpenAPIDocumentTests {
    static let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "../../Sources/SlipwayAPI/OpenAPI/openapi.yaml")

    @Test func theServerServesTheDocumentFileWithoutAToken() async throws {
        try await TestServer.withServer { server in
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: server.baseURL + "/openapi.yaml"), timeout: .seconds(30))
            #expect(response.status.code == 200)
            #expect(response.headers.first(name: "Content-Type") == "application/yaml; charset=utf-8")
            let served = Data(try await response.body.collect(upTo: 4 << 20).readableBytesView)
            #expect(served == (try Data(contentsOf: Self.source)), "the binary embeds the file as it is now")
            let document = String(decoding: served, as: UTF8.self)
            #expect(document.hasPrefix("openapi: 3.1.0\n"))
            #expect(!document.contains("\t"), "YAML indents with spaces only")
        }
    }

    @Test func everyRouteIsDocumentedAndEveryDocumentedOperationIsRouted() async throws {
        let routes = try await apiRouteList()
        #expect(routes.count > 40)
        let differences = APIDocument.served.differences(from: routes)
        #expect(differences.isEmpty, "\(differences)")
    }

    @Test func aRouteWithoutAnEntryAndAnEntryWithoutARouteAreReported() async throws {
        // A copy of the real routes in a real router, with one route more and one less.
        let router = Router()
        var removed: APIRoute?
        for route in try await apiRouteList() {
            if route == APIRoute(method: "POST", path: "/api/deploys/{deploy}/cancel") {
                removed = route
                continue
            }
            router.on(RouterPath(route.path), method: .init(route.method)!) { _, _ in "" }
        }
        router.get("api/v1/projects/:project/secrets") { _, _ in "" }
        router.delete("health") { _, _ in "" }
        #expect(removed != nil)

        let differences = APIDocument.served.differences(from: router.apiRoutes)
        #expect(
            differences
                == APIDocument.RouteDifferences(
                    undocumented: [APIRoute(method: "DELETE", path: "/health"), APIRoute(method: "GET", path: "/api/v1/projects/{project}/secrets")]
                        .sorted { $0.path < $1.path },
                    unrouted: [APIRoute(method: "POST", path: "/api/deploys/{deploy}/cancel")]
                ))
    }

    @Test func routerPathsMapToOpenAPIPaths() {
        #expect(APIDocument.openAPIPath("/api/v1/tokens/:id") == "/api/v1/tokens/{id}")
        #expect(APIDocument.openAPIPath("api/v1/tokens/{id}/") == "/api/v1/tokens/{id}")
        #expect(APIDocument.openAPIPath("/files/*") == "/files/*")
        #expect(APIDocument.openAPIPath("/files/**") == "/files/**")
        #expect(APIDocument.openAPIPath("/") == "/")
    }

    @Test func aResponseThatBreaksItsSchemaIsReportedWithItsPointer() throws {
        let token = Data(#"{"id": 1, "name": "ci", "scopes": ["read", "root"], "created_at": "2026-01-01T00:00:00Z"}"#.utf8)
        let problems = APIDocument.served.problems(method: "GET", path: "/api/v1/tokens", status: 200, contentType: "application/json", body: token)
        #expect(problems.count == 1)
        #expect(problems.first?.contains("GET /api/v1/tokens (/api/v1/tokens) answered 200") == true, "\(problems)")

        let error = Data(#"{"status": "error", "message": 7}"#.utf8)
        #expect(
            APIDocument.served.problems(method: "DELETE", path: "/api/v1/tokens/12", status: 404, contentType: "application/json", body: error)
                == [
                    #"DELETE /api/v1/tokens/{id} (/api/v1/tokens/12) answered 404 with a body that breaks its schema at "/message": expected type string, got 7"#
                ]
        )
        #expect(
            APIDocument.served.problems(method: "DELETE", path: "/api/v1/tokens/12", status: 418, contentType: "application/json", body: error).first?
                .hasPrefix("DELETE /api/v1/tokens/{id} answered 418, which the document does not list for it") == true)
        let fine = Data(#"{"status": "error", "message": "no token 12", "errors": null}"#.utf8)
        #expect(
            APIDocument.served.problems(method: "DELETE", path: "/api/v1/tokens/12", status: 404, contentType: "application/json", body: fine).isEmpty
        )
        // Not a documented operation: not checked.
        #expect(APIDocument.served.problems(method: "GET", path: "/nowhere", status: 500, contentType: "application/json", body: error).isEmpty)
    }

    @Test func theValidatorKnowsTheKeywordsTheDocumentUses() throws {
        let document = try JSONValue(
            yaml: """
                components:
                  schemas:
                    Id: {type: integer, minimum: 1}
                    Thing:
                      type: object
                      required: [id, kind]
                      additionalProperties: false
                      properties:
                        id: {$ref: "#/components/schemas/Id"}
                        kind: {type: string, enum: [a, b]}
                        note: {type: [string, "null"], maxLength: 3, pattern: "^x"}
                        tags: {type: array, items: {type: string}, minItems: 1}
                        either: {oneOf: [{type: string}, {type: integer}]}
                        both: {allOf: [{type: object, required: [x]}, {type: object, required: [y]}]}
                """)
        let validator = JSONSchemaValidator(document: document)
        let schema = try #require(document.value(at: "/components/schemas/Thing"))
        let good = try #require(
            JSONValue(json: Data(#"{"id": 2, "kind": "a", "note": null, "tags": ["t"], "either": 3, "both": {"x": 1, "y": 2}}"#.utf8)))
        #expect(validator.violations(of: good, against: schema).isEmpty)
        let bad = try #require(
            JSONValue(json: Data(#"{"id": 0, "kind": "c", "note": "yyyy", "tags": [], "either": true, "both": {"x": 1}, "extra": false}"#.utf8)))
        #expect(
            validator.violations(of: bad, against: schema).map(\.description).sorted()
                == [
                    #"at "/both/y": expected the required member "y", got none"#,
                    #"at "/either": expected exactly one of 2 schemas of oneOf to match (0 did), got true"#,
                    #"at "/extra": expected no member "extra" (additionalProperties: false), got false"#,
                    #"at "/id": expected minimum 1, got 0"#,
                    #"at "/kind": expected one of ["a","b"], got "c""#,
                    #"at "/note": expected a string matching ^x, got "yyyy""#,
                    #"at "/note": expected maxLength 3, got "yyyy""#,
                    #"at "/tags": expected minItems 1, got []"#,
                ].sorted())
        #expect(
            validator.violations(of: .bool(true), against: .object([("type", .string("integer"))])).map(\.description) == [
                #"at "": expected type integer, got true"#
            ])
        #expect(validator.violations(of: .number(1.5), against: .object([("type", .string("integer"))])).count == 1)
    }
}
