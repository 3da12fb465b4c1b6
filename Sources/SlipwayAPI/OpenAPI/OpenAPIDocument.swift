import Hummingbird
import NIOCore

/// The API's OpenAPI document, served at `GET /openapi.yaml`: every dialect (DESIGN.md §6) — native (`/api/v1`),
/// Deploys (`/api/deploys`), Dokploy (`/api/deployment.*`) and Cloudflare Pages (`/client/v4/...`) — and `/health`.
/// It lives in `openapi.yaml` next to this file and is compiled into the binary (`.embedInCode` in Package.swift).
public enum OpenAPIDocument {
    /// The document as YAML, exactly the bytes of `Sources/SlipwayAPI/OpenAPI/openapi.yaml`.
    public static var yaml: [UInt8] { PackageResources.openapi_yaml }

    /// `GET /openapi.yaml`: the document as YAML.
    static func response() -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/yaml; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: yaml)))
    }
}
